"""Starting a session on the real emulator, where plain words matter: coming back with a stored token when
the service cannot resume the conversation (it expired meanwhile) says that a new one started instead of
silently giving a blank one; an authenticated deployment without a sign-in says what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.messaging.conftest import WAIT, SessionFactory
from webchat_tui.chat.types import EndCause, Notice, SessionState
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.messaging import TokenStore
from webchat_tui.messaging import errors as e


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


async def test_an_authenticated_deployment_without_a_sign_in_says_so_in_plain_words(
    new_session: SessionFactory, emu: EmbeddedEmulator
) -> None:
    with pytest.raises(e.AuthenticationFailed) as refused:
        await new_session(emu.messaging_auth_deployment_id)
    assert isinstance(refused.value, e.Forbidden) and refused.value.code == 403
    assert "signed-in" in str(refused.value) and "auth code" in str(refused.value)


async def test_leaving_forgets_the_stored_token_so_nothing_is_offered_to_resume(
    new_session: SessionFactory, emu: EmbeddedEmulator, tmp_path: Path
) -> None:
    store_path = tmp_path / "persisted.json"
    session = await new_session(store=TokenStore(store_path))
    await session.send("goodbye for good")
    await session.leave()
    assert session.end_cause is EndCause.GUEST_LEFT
    assert TokenStore(store_path).get(emu.messaging_direct_deployment_id) is None  # the app offers no resume
    again = await new_session(store=TokenStore(store_path))
    assert again.token.get() != session.token.get() and again.new_session is True and again.messages == []


@pytest.mark.parametrize("refusal", ["origin", "sign-in"])
async def test_a_refused_start_stores_no_token(
    new_session: SessionFactory, emu: EmbeddedEmulator, tmp_path: Path, refusal: str
) -> None:
    """A deployment that refuses the guest (wrong Origin, sign-in needed) leaves no token behind: there is no
    conversation to offer to resume. An accepted start stores its token."""
    store_path = tmp_path / "persisted.json"
    deployment = (
        emu.messaging_restricted_deployment_id if refusal == "origin" else emu.messaging_auth_deployment_id
    )
    with pytest.raises((e.AccessDenied, e.Forbidden)):  # refused at the upgrade / at configureSession
        await new_session(deployment, store=TokenStore(store_path), origin="https://elsewhere.example")
    assert TokenStore(store_path).get(deployment) is None
    accepted = await new_session(store=TokenStore(store_path))
    assert TokenStore(store_path).get(emu.messaging_direct_deployment_id) == accepted.token.get()
