"""The emulator forgets (issue 8, item 11): ended conversations are evicted after a retention and beyond a
cap, expired OAuth tokens are pruned, and one timer drives every socket's heartbeats.
"""

from __future__ import annotations

import asyncio
import base64

from tests.emulator.helpers import Guest


def _ids(control) -> set[str]:  # type: ignore[no-untyped-def]
    return {c["id"] for c in control.conversations()}


async def test_ended_conversations_are_evicted_after_the_retention(emu, http, control) -> None:
    defaults = control.config()
    assert defaults["endedRetention"] == 3600 and defaults["maxEndedConversations"] == 1000
    ended = await Guest.create(emu, http, connect=False)
    alive = await Guest.create(emu, http, connect=False)
    assert (await ended.leave()).status_code == 204
    control.set_config(endedRetention=0.3)
    await asyncio.to_thread(control.wait_for, lambda: ended.cid not in _ids(control), 10)
    assert alive.cid in _ids(control)  # only ended conversations are forgotten
    assert (await ended.get("/messages")).status_code == 404
    assert (await alive.get("/messages")).status_code == 200


async def test_ended_conversations_beyond_the_cap_are_evicted_oldest_first(emu, http, control) -> None:
    control.set_config(maxEndedConversations=2)
    alive = await Guest.create(emu, http, connect=False)
    ended = []
    for _ in range(4):
        guest = await Guest.create(emu, http, connect=False)
        assert (await guest.leave()).status_code == 204
        ended.append(guest.cid)
    assert _ids(control) == {alive.cid, *ended[-2:]}
    control.set_config(maxEndedConversations=0)
    assert _ids(control) == {alive.cid}


async def test_expired_oauth_tokens_are_pruned(emu, http, control) -> None:
    store = emu.app.state.store
    emu.call(lambda: setattr(store.oauth, "lifetime", 1))
    try:
        basic = base64.b64encode(f"{emu.seed.client_id}:{emu.seed.client_secret}".encode()).decode()
        tokens = []
        for _ in range(3):
            issued = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            )
            assert issued.status_code == 200 and issued.json()["expires_in"] == 1
            tokens.append(issued.json()["access_token"])

        def kept() -> list[str]:
            return [t for t in tokens if t in store.oauth]

        assert emu.call(kept) == tokens
        control.set_config(endedRetention=0.2)  # the janitor runs every retention / 4
        await asyncio.to_thread(control.wait_for, lambda: emu.call(kept) == [], 15)
    finally:
        emu.call(lambda: setattr(store.oauth, "lifetime", 86_399))


def _heartbeat_tasks() -> list[str]:
    names = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        name = getattr(coro, "__qualname__", "")
        if "heartbeat" in name.lower() or "heartbeat" in task.get_name():
            names.append(name)
    return names


async def test_one_timer_drives_every_sockets_heartbeats(emu, http, control) -> None:
    control.set_config(heartbeatInterval=0.05, autoAgent=False)
    guests = [await Guest.create(emu, http) for _ in range(12)]

    def beats(guest: Guest) -> int:
        return sum(1 for f in guest.frames if f.get("eventBody", {}).get("message") == "WebSocket Heartbeat")

    for guest in guests:
        await guest.wait_for(lambda frames, g=guest: beats(g) >= 3, timeout=15)
    assert len(emu.call(_heartbeat_tasks)) == 1  # not one task per socket
    for guest in guests:
        await guest.close()
    await asyncio.to_thread(control.wait_for, lambda: not emu.call(_heartbeat_tasks), 10)
