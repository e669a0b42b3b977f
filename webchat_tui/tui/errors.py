"""Turn api-layer exceptions into plain words for the join form and the chat screen (no Textual here)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["describe_start_error", "describe_action_error"]

_CODES = {
    "chat.error.invalid.queue": "There is no queue called {queue!r} here. Check the queue name.",
    "chat.deployment.disabled": "This deployment is switched off. Use another deployment id or enable it.",
    "chat.deployment.require.auth": (
        "This deployment only accepts signed-in guests: paste a member auth token and try again."
    ),
    "chat.deployment.bad.auth": "The member auth token was not accepted. Check it is current and complete.",
    "chat.error.pattern.createconversationrequest.deploymentid": "That deployment id is not valid.",
    "chat.error.not.found": "The deployment or organization was not found. Check both ids.",
    "origin.not.allowed": "This deployment does not allow chats from this client (origin not allowed).",
    "too.many.requests.retry.after": "The server is busy (too many requests). Wait a moment and try again.",
}


_ID_FIELDS = {"organizationid": "Organization id", "deploymentid": "Deployment id"}


def describe_start_error(
    exc: BaseException,
    *,
    queue: str = "",
    target: str = "",
    queues: Sequence[str] = (),
    elapsed: float | None = None,
) -> str:
    """A sentence or two saying why the chat could not start, and what to do about it.

    Args:
        exc: what the start raised.
        queue: the queue asked for.
        target: where the chat was to run, in words.
        queues: the queues the backend is known to have (the local emulator's), listed for an unknown queue.
        elapsed: seconds the start waited, for "no answer in N s".
    """
    from webchat_tui.api import errors

    where = target or "the chat service"
    from webchat_tui.messaging.errors import MessagingError

    if isinstance(exc, MessagingError):
        return f"The conversation could not start on {where}: {exc}"
    if isinstance(exc, errors.ClientValidationError):
        return f"Check the form: {exc.field} {exc.reason}."
    if isinstance(exc, errors.ApiError):
        template = _CODES.get(exc.code or "")
        if template is not None:
            text = template.format(queue=queue)
            if exc.code == "chat.error.invalid.queue" and queues:
                text += f" Queues here: {', '.join(queues)}."
            return text
        message = (exc.message or "").lower().replace(" ", "")
        for key, field in _ID_FIELDS.items():
            if exc.status == 400 and key in message and ("unknown" in message or "invalid" in message):
                place = where[:1].upper() + where[1:]
                return f"{place} does not know this {field.lower()}. Check the {field} field."
        if exc.status == 404:
            return "The deployment or organization was not found. Check both ids."
        if exc.status >= 500:
            return f"The chat service had a problem ({exc.status}). Try again in a moment."
        detail = f": {exc.message}" if exc.message else ""
        return f"The chat could not start ({exc.status} {exc.code or 'error'}){detail}"
    timed_out = isinstance(exc, errors.ApiTimeoutError) or (
        # a create that timed out after it was sent is "ambiguous"; the words still say it was a timeout
        isinstance(exc, errors.AmbiguousOutcomeError) and "timeout" in str(exc).lower()
    )
    if timed_out:
        waited = f" in {elapsed:.0f} s" if elapsed is not None else ""
        return (
            f"No answer from {where}{waited}. It may be slow or overloaded (the connection was not "
            "refused); try again in a moment, or press Escape next time to stop waiting sooner."
        )
    if isinstance(exc, errors.NetworkError) and exc.sent is None:
        return (
            f"The connection to {where} broke before it answered. Check your network connection, "
            "then try again."
        )
    if isinstance(exc, errors.NetworkError):
        return (
            f"Cannot reach {where}: the connection was refused or the host is unreachable. "
            "Check the environment and your network connection, then try again."
        )
    if isinstance(exc, errors.WebChatError):
        return f"The chat could not start: {exc.message}"
    return f"The chat could not start: {type(exc).__name__}: {exc}"


def describe_action_error(exc: BaseException, action: str) -> str:
    """Plain words for a failed chat action such as "send the message" or "accept the request"."""
    from webchat_tui.api import errors

    if isinstance(exc, errors.ClientValidationError):
        return f"Could not {action}: {exc.reason}."
    if isinstance(exc, errors.ApiError):
        detail = f" ({exc.message})" if exc.message else ""
        return f"Could not {action}: the server answered {exc.status} {exc.code or ''}{detail}".rstrip()
    if isinstance(exc, errors.NetworkError):
        return f"Could not {action}: the connection failed. Try again."
    return f"Could not {action}: {exc}"
