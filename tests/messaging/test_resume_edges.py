"""Coming back with a stored token (real emulator): when the service cannot resume the conversation (it
expired meanwhile), the guest is told that a new one started instead of silently getting a blank one."""

from __future__ import annotations

from pathlib import Path

from tests.messaging.conftest import WAIT, SessionFactory
from webchat_tui.chat.types import EndCause, Notice, SessionState
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import TokenStore


async def test_a_stored_conversation_that_expired_meanwhile_is_reported_when_a_new_one_starts(
    new_session: SessionFactory, control: ControlClient, tmp_path: Path
) -> None:
    store_path = tmp_path / "persisted.json"
    first = await new_session(store=TokenStore(store_path))
    await first.send("before the break")
    sid = str(control.messaging_session_for(first.token.get())["id"])
    control.messaging_session_action(sid, "expire")
    await first.wait_until(lambda s: s.state is SessionState.ENDED, WAIT)
    assert first.end_cause is EndCause.EXPIRED
    await first.close()

    again = await new_session(store=TokenStore(store_path), start=False)
    notices: list[Notice] = []
    again.subscribe(lambda ev: notices.append(ev) if isinstance(ev, Notice) else None)
    await again.start()  # "Resume the previous conversation"
    assert again.token.get() == first.token.get() and again.new_session is True
    assert [n.kind for n in notices if n.kind == "new-session"] == ["new-session"]


async def test_a_first_visit_and_an_asked_for_new_conversation_say_nothing(
    new_session: SessionFactory, tmp_path: Path
) -> None:
    store_path = tmp_path / "persisted.json"
    fresh = await new_session(store=TokenStore(store_path), start=False)
    notices: list[Notice] = []
    fresh.subscribe(lambda ev: notices.append(ev) if isinstance(ev, Notice) else None)
    await fresh.start()
    await fresh.close()
    again = await new_session(store=TokenStore(store_path), start=False)
    again.subscribe(lambda ev: notices.append(ev) if isinstance(ev, Notice) else None)
    await again.start(start_new=True)  # "Start new"
    assert again.new_session is True
    assert not [n for n in notices if n.kind == "new-session"]
