"""`webchat_tui.event_loop.run`: uvloop when installed (unless `WEBCHAT_UVLOOP=0`), asyncio otherwise, and
our client works on both loops against the real emulator (issue 12)."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.conftest import FAST_RETRY, chat_request
from webchat_tui import event_loop
from webchat_tui.api import WebChatClient
from webchat_tui.emulator import EmbeddedEmulator

uvloop = pytest.importorskip("uvloop")


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_uvloop_is_used_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBCHAT_UVLOOP", raising=False)
    assert event_loop.uvloop_available()
    assert issubclass(event_loop.run(_loop_type()), uvloop.Loop)


def test_asyncio_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBCHAT_UVLOOP", "0")
    assert not issubclass(event_loop.run(_loop_type()), uvloop.Loop)
    monkeypatch.delenv("WEBCHAT_UVLOOP")
    assert not issubclass(event_loop.run(_loop_type(), use_uvloop=False), uvloop.Loop)


def test_asyncio_when_uvloop_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBCHAT_UVLOOP", raising=False)
    monkeypatch.setitem(__import__("sys").modules, "uvloop", None)  # `import uvloop` raises ImportError
    assert not event_loop.uvloop_available()
    assert not issubclass(event_loop.run(_loop_type()), uvloop.Loop)
    with pytest.raises(ImportError):
        event_loop.loop_factory(use_uvloop=True)


@pytest.mark.parametrize("use_uvloop", [True, False], ids=["uvloop", "asyncio"])
def test_a_chat_round_trip_on_each_loop(emu: EmbeddedEmulator, use_uvloop: bool) -> None:
    async def chat() -> tuple[str, str]:
        async with WebChatClient(base_url=emu.base_url, retry=FAST_RETRY) as client:
            conv = await client.post_webchat_guest_conversations(chat_request(emu, "Loop Guest"))
            member = await client.get_webchat_guest_conversation_member(conv.id, conv.member.id, jwt=conv.jwt)
            return type(asyncio.get_running_loop()).__name__, member.display_name or ""

    loop_name, name = event_loop.run(chat(), use_uvloop=use_uvloop)
    assert name == "Loop Guest"
    assert (loop_name == "Loop") is use_uvloop
