"""Turn api-layer exceptions into plain words for the join form and the chat screen (no Textual here)."""

from __future__ import annotations

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


def describe_start_error(exc: BaseException, *, queue: str = "", target: str = "") -> str:
    """A sentence or two saying why the chat could not start, and what to do about it."""
    from webchat_tui.api import errors

    if isinstance(exc, errors.ClientValidationError):
        return f"Check the form: {exc.field} {exc.reason}."
    if isinstance(exc, errors.ApiError):
        template = _CODES.get(exc.code or "")
        if template is not None:
            return template.format(queue=queue)
        if exc.status == 404:
            return "The deployment or organization was not found. Check both ids."
        if exc.status >= 500:
            return f"The chat service had a problem ({exc.status}). Try again in a moment."
        detail = f": {exc.message}" if exc.message else ""
        return f"The chat could not start ({exc.status} {exc.code or 'error'}){detail}"
    if isinstance(exc, errors.NetworkError):
        where = f" {target}" if target else " the chat service"
        return f"Cannot reach{where}. Check the environment and your network connection, then try again."
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
