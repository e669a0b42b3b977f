"""`MediaRequestQueue`: the chat screen's bookkeeping for media requests.

One dialog at a time; later requests wait in order (the open dialog says how many, kept live as they change);
a request that times out or is cancelled before the guest answered closes its dialog and says so; the answer
is sent through the session in a worker. The transcript lines (asked, accepted, cancelled...) come from the
session's transcript recorder, as for every other line.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from webchat_tui.api.session_types import MediaRequest, MediaRequestChanged
from webchat_tui.api.transcript import describe_media_types
from webchat_tui.tui.errors import describe_action_error
from webchat_tui.tui.screens.media_request import MediaRequestScreen

if TYPE_CHECKING:
    from webchat_tui.tui.screens.chat import ChatScreen

__all__ = ["MediaRequestQueue"]


class MediaRequestQueue:
    """Pending media requests of one chat and the dialog currently asking about one of them."""

    def __init__(self, screen: ChatScreen) -> None:
        self._screen = screen
        self._requests: dict[str, MediaRequest] = {}
        self._waiting: deque[str] = deque()
        self._open: MediaRequestScreen | None = None

    def changed(self, event: MediaRequestChanged) -> None:
        """React to a request appearing or changing state (the transcript line comes from the session's
        recorder); the open dialog's count of waiting requests stays live."""
        request = event.request
        self._requests[request.id] = request
        if request.state == "PENDING":
            if event.previous_state != "PENDING":
                self._waiting.append(request.id)
                self._show_next()
        else:
            dialog = self._open
            if dialog is not None and dialog.request.id == request.id:
                self._open = None
                dialog.dismiss(None)
                noun = describe_media_types(request.types, as_noun=True)
                text = f"The {noun} request ended ({request.state.lower()}) before you answered"
                self._screen.notify(f"{text}; its dialog was closed.", title="Media request", markup=False)
                self._show_next()
        if self._open is not None:
            self._open.set_queued(self._pending_count())

    def close_all(self, reason: str) -> None:
        """The chat ended: drop waiting requests and close the open dialog, saying why."""
        self._waiting.clear()
        dialog, self._open = self._open, None
        if dialog is not None:
            dialog.dismiss(None)
            self._screen.notify(reason, title="Media request", markup=False)

    def _pending_count(self) -> int:
        return sum(1 for rid in self._waiting if self._requests[rid].state == "PENDING")

    def _agent_name(self) -> str:
        agent = self._screen.session.agent
        return agent.display_name if agent is not None else "The agent"

    def _show_next(self) -> None:
        if self._open is not None:
            return
        while self._waiting:
            request = self._requests.get(self._waiting.popleft())
            if request is None or request.state != "PENDING":
                continue
            dialog = MediaRequestScreen(
                request,
                request.requested_by or self._agent_name(),
                queued=self._pending_count(),
                forward_key=self._screen.type_into_composer,
            )
            self._open = dialog
            self._screen.flush_transcript()

            def decided(choice: str | None, request_id: str = request.id) -> None:
                self._decided(request_id, choice)

            self._screen.app.push_screen(dialog, decided)
            return

    def _decided(self, request_id: str, choice: str | None) -> None:
        if self._open is not None and self._open.request.id == request_id:
            self._open = None
        if choice in ("accept", "decline"):
            self._screen.run_worker(
                self._answer(request_id, choice == "accept"), group="media", exit_on_error=False
            )
        self._show_next()

    async def _answer(self, request_id: str, accept: bool) -> None:
        """Send the answer; its outcome reaches the transcript as the request's state change."""
        request = self._requests.get(request_id)
        noun = describe_media_types(request.types, as_noun=True) if request else "media"
        session = self._screen.session
        try:
            await (session.accept(request_id) if accept else session.decline(request_id))
        except Exception as exc:  # the transcript says what went wrong; the chat goes on
            action = f"{'accept' if accept else 'decline'} the {noun} request"
            self._screen.say(describe_action_error(exc, action), role="error")
