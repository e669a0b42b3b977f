"""Smoke: the shared fixtures work — create a chat, attach the socket, get routed to an agent and greeted."""

from __future__ import annotations

import httpx

from tests.emulator.helpers import Guest, is_msg


async def test_create_attach_and_greeting(emu, control) -> None:
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        guest = await Guest.create(emu, http)
        greeting = await guest.wait_frame(lambda f: is_msg(f, "standard"))
        assert guest.created["eventStreamUri"].startswith("ws://127.0.0.1:")
        assert greeting["eventBody"]["sender"]["id"] != guest.mid
        control.wait_for(lambda: control.conversation(guest.cid)["state"] == "active")
        [conv] = control.conversations()
        assert conv["id"] == guest.cid and conv["state"] == "active"
        await guest.close()
