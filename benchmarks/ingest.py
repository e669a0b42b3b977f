"""Benchmark 1: event ingest: the emulator pushes a burst of 10,000 agent messages to one guest.

Three variants, each run in a fresh client process against the same emulator process, interleaved run by run
(a, b, c, a, b, c, ...):
  (a) bare: a `websockets` client receiving the burst and `json.loads`-ing every frame (the physical limit);
  (b) session: our `WebChatClient` + `EventStream` + `ChatSession`, counting messages as `MessagesAdded`
      events reach a subscriber;
  (c) app: the full Textual app, headless (`run_test`), joined through its own join form, until the first
      frame in which the last message of the burst is on screen in the message pane (checked on the rendered
      screen text, with the ANSI encoding of every frame included; see `_tui_probe.py`).
Per run: the chat is opened with the emulator's auto agent off and the agent connected through the control
API, then the worker records t0 and asks the emulator (control API, from a thread) to push 10,000 messages
(`count=10000`, 80-character bodies like the baseline's frames). Time = t0 -> last message received / emitted
/ rendered. The ratios (b)/(a) and (c)/(a) are taken per run (same run, same machine state), and judged on
their median.
The trigger, the bare reader, the variant interleaving and the shared figures are `_burst.py`'s (shared with
`messaging_ingest`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from benchmarks import _harness as h
from benchmarks._burst import MessageCounter, bare_burst, reply, run_variants, webchat_burst

MODULE = "benchmarks.ingest"
TITLE = "1. Event ingest (10,000-message burst)"
BODY = "Burst from the agent: the quick brown fox jumps over the lazy dog, again and again"  # + " #N" = 80+


async def connect_agent(info: dict[str, Any], cid: str) -> None:
    """Route the conversation to an agent once its socket is attached (setup, from a thread)."""
    await asyncio.to_thread(h.connect_agent, h.control_for(info), cid)


# ------------------------------------------------------------------------------------------------------------
# (a) bare websockets


async def _bare(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: (a) bare websockets client."""
    from websockets.asyncio.client import connect

    info, n, marker = params["info"], int(params["n"]), params["marker"]

    def in_burst(frame: dict[str, Any]) -> bool:
        meta = frame.get("metadata")
        return (
            meta is not None
            and meta.get("type") == "message"
            and frame["eventBody"]["body"].startswith(marker)
        )

    conv = await asyncio.to_thread(h.create_guest_conversation, info["base_url"], info)
    async with connect(conv["eventStreamUri"], compression=None) as ws:
        await connect_agent(info, conv["id"])
        async for raw in ws:  # wait for the agent's member-join: setup done
            frame = json.loads(raw)
            if frame.get("eventBody", {}).get("bodyType") == "member-join":
                break
        return await bare_burst(ws, webchat_burst(info, conv["id"], marker, n), n, in_burst)


# ------------------------------------------------------------------------------------------------------------
# (b) WebChatClient + EventStream + ChatSession


async def _session(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: (b) our client stack."""
    from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient
    from webchat_tui.api.session_types import MessagesAdded, SessionEvent, SessionState

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    counter = MessageCounter(marker, n)
    batches = 0

    def on_event(event: SessionEvent) -> None:
        nonlocal batches
        if isinstance(event, MessagesAdded):
            batches += 1
            counter.saw(event.messages)

    async with WebChatClient(base_url=info["base_url"]) as client:
        session = ChatSession(client)
        session.subscribe(on_event)
        await session.start(
            organization_id=info["organization_id"],
            deployment_id=info["deployment_id"],
            queue="Support",
            member_info=GuestMemberInfo(display_name="Bench Guest"),
        )
        assert session.conversation_id is not None
        await connect_agent(info, session.conversation_id)
        await h.until(lambda: session.state == SessionState.CONNECTED, 15, "agent connected", 0.005)
        await h.until(
            lambda: any(m.body_type == "member-join" for m in session.messages), 15, "member-join", 0.005
        )
        batches = 0
        trigger = webchat_burst(info, session.conversation_id, marker, n)
        cpu0 = h.cpu_seconds()
        t0 = trigger.start()
        await asyncio.wait_for(counter.done.wait(), 120)
        trigger.join()
        held = len(session.messages)
        await session.close()
    cpu = counter.cpu - cpu0
    return reply(n, t0, counter.first, counter.last, trigger, cpu, batches=batches, held=held)


# ------------------------------------------------------------------------------------------------------------
# (c) the full app, headless


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: (c) the full app."""
    from benchmarks import _app

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    async with _app.joined_app(info) as chat:
        trigger = webchat_burst(info, chat.conversation_id, marker, n)
        pattern = _app.last_message_pattern(marker, n)
        frames0, encode0 = chat.probe.frames, chat.probe.encode_seconds
        cpu0 = h.cpu_seconds()
        t0 = trigger.start()
        first = await chat.probe.frame_where(lambda: chat.pane_has(marker), timeout=120)
        # The first frame at which the session holds the whole burst AND the pane shows its last message.
        last = await chat.probe.frame_where(
            lambda: chat.pane_has_last(n) and chat.on_screen(pattern) and chat.session_count(marker) >= n,
            timeout=120,
        )
        cpu = h.cpu_seconds() - cpu0
        trigger.join()
        frames = chat.probe.frames - frames0
        encode = chat.probe.encode_seconds - encode0
    return reply(n, t0, first, last, trigger, cpu, frames=frames, encode_s=encode)


# ------------------------------------------------------------------------------------------------------------

VARIANTS = (
    ("bare", "(a) bare websockets + json.loads"),
    ("session", "(b) EventStream + ChatSession"),
    ("app", "(c) full app, last message rendered"),
)


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """Interleave the three variants run by run against one emulator process."""
    n = 300 if args.quick else 10_000
    result.notes.append(
        f"burst of {n:,} agent messages ({len(BODY) + 8}-character bodies), one guest; variants "
        "interleaved a,b,c per run, each in a fresh client process"
    )
    runs = run_variants(
        result,
        MODULE,
        VARIANTS,
        n=n,
        body=BODY,
        config=h.AGENT_OFF,
    )
    per = runs.per
    result.figures += runs.figures(VARIANTS, first_to_last=True)
    if per["bare"]:
        result.figures.append(
            h.Figure(
                "emulator: control call returned (all pushed)", "s", h.column(per["bare"], "server_push_s")
            )
        )
    ratios = {name: runs.ratios(name) for name in ("session", "app")}
    for name in ("session", "app"):
        result.figures.append(h.Figure(f"ratio {name} / bare (same run)", "x", ratios[name]))
    for name in ("session", "app"):
        result.figures.append(
            h.Figure(f"client CPU ratio {name} / bare (same run)", "x", runs.ratios(name, "cpu_s"))
        )
    if per["session"]:
        result.figures.append(
            h.Figure("(b) MessagesAdded batches per burst", "events", h.column(per["session"], "batches"))
        )
    if per["app"]:
        result.figures.append(h.Figure("(c) frames during burst", "frames", h.column(per["app"], "frames")))
        result.figures.append(
            h.Figure("(c) ANSI encoding inside frames", "s", h.column(per["app"], "encode_s"))
        )
    app_s = h.column(per["app"], "total_s")
    result.targets += [  # a variant that failed leaves its targets unmet, with no value
        h.make_target("ingest_session_vs_bare_ratio", h.median(ratios["session"]), "x", "<=", 1.5),
        h.make_target("ingest_app_vs_bare_ratio", h.median(ratios["app"]), "x", "<=", 3),
        h.make_target("ingest_app_10k_seconds", h.median(app_s), "s", "<", 1),
    ]
    runs.raise_errors()


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"bare": _bare, "session": _session, "app": _app}, "ingest", TITLE))
