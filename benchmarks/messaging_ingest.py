"""Benchmark: Web Messaging ingest: the emulator's agent sends a burst of 10,000 messages to one guest.

Three variants, each run in a fresh client process against the same emulator process, interleaved run by run:
  (a) bare: a `websockets` client that configures and `json.loads` every frame (the physical limit);
  (b) session: our `MessagingClient` + `MessagingSession` (typed lenient parsing, inert strings, reorder
      window, transcript in `channel.time` order), counting messages as `MessagesAdded` events arrive;
  (c) app: the full Textual app, headless, joined through its own join form on Web Messaging, until the
      first frame in which the burst's last message is in the pane and on screen (`_tui_probe.py`).
The burst is rich: every 10th message carries two quick replies (the emulator's `quickRepliesEvery`), which
the app draws as a row of choices.
Per run: the guest opens a session on the direct-to-agent deployment and waits for the agent's greeting, then
the worker records t0 and asks the emulator (control API, from a thread) to send the burst (`count=10000`).
Time = t0 -> last message received / emitted. The ratio (b)/(a) is taken per run and judged on its median.
The trigger, the bare reader, the variant interleaving and the shared figures are `_burst.py`'s (shared with
`ingest`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from typing import Any

from benchmarks import _harness as h
from benchmarks._burst import MessageCounter, Trigger, bare_burst, reply, run_variants

MODULE = "benchmarks.messaging_ingest"
TITLE = "Web Messaging ingest (10,000-message burst)"
BODY = "Burst from the agent: the quick brown fox jumps over the lazy dog, again and again"
RICH_EVERY = 10
"""Every 10th message of the burst carries quick replies (10 % rich)."""


def messaging_burst(info: dict[str, Any], token: str, text: str, count: int) -> Trigger:
    """The agent of the session holding `token` sends `count` messages, every `RICH_EVERY`th with quick
    replies (the session is looked up inside the timed call, as a trigger on a token must)."""
    control = h.control_for(info)

    def push() -> None:
        sid = str(control.messaging_session_for(token)["id"])
        control.messaging_agent(
            sid, "messages", {"text": text, "count": count, "quickRepliesEvery": RICH_EVERY}
        )

    return Trigger(push, join_timeout=120)


# ------------------------------------------------------------------------------------------------------------
# (a) bare websockets


async def _bare(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: (a) bare websockets client."""
    from websockets.asyncio.client import connect

    info, n, marker = params["info"], int(params["n"]), params["marker"]

    def in_burst(frame: dict[str, Any]) -> bool:
        body = frame.get("body")
        return frame.get("class") == "StructuredMessage" and str(body.get("text") or "").startswith(marker)

    deployment = info["messaging_direct_deployment_id"]
    token = str(uuid.uuid4())
    url = f"{info['messaging_ws_url']}?deploymentId={deployment}"
    async with connect(url, compression=None, max_size=2**22) as ws:
        await ws.send(json.dumps({"action": "configureSession", "token": token, "deploymentId": deployment}))
        join = {"type": "Event", "events": [{"eventType": "Presence", "presence": {"type": "Join"}}]}
        await ws.send(json.dumps({"action": "onMessage", "token": token, "message": join}))  # autostart
        async for raw in ws:  # the agent's greeting: setup done
            frame = json.loads(raw)
            body = frame.get("body")
            if isinstance(body, dict) and body.get("direction") == "Outbound" and body.get("type") == "Text":
                break
        return await bare_burst(ws, messaging_burst(info, token, marker, n), n, in_burst)


# ------------------------------------------------------------------------------------------------------------
# (b) MessagingClient + MessagingSession


async def _session(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: (b) our client stack."""
    from webchat_tui.chat import MessagesAdded, SessionEvent
    from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    counter = MessageCounter(marker, n)

    def on_event(event: SessionEvent) -> None:
        if isinstance(event, MessagesAdded):
            counter.saw(event.messages)

    client = MessagingClient(info["messaging_direct_deployment_id"], base_url=info["base_url"])
    session = MessagingSession(client, token_store=TokenStore(None))
    session.subscribe(on_event)
    await session.start()
    deadline = time.perf_counter() + 30
    while session.agent is None:  # the agent's greeting: setup done
        if time.perf_counter() > deadline:
            raise h.BenchError("no agent greeting")
        await asyncio.sleep(0.005)
    trigger = messaging_burst(info, session.token.get(), marker, n)
    cpu0 = h.cpu_seconds()
    t0 = trigger.start()
    await asyncio.wait_for(counter.done.wait(), 120)
    trigger.join()
    held = sum(1 for m in session.messages if m.body.startswith(marker))
    await session.close()
    if held != n:
        raise h.BenchError(f"the session holds {held} of {n} burst messages")
    return reply(n, t0, counter.first, counter.last, trigger, counter.cpu - cpu0)


# ------------------------------------------------------------------------------------------------------------
# (c) the full app, headless


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    """Worker: (c) the full app."""
    import tempfile
    from pathlib import Path

    from benchmarks import _app

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    tokens = Path(tempfile.mkdtemp(prefix="bench-msg-")) / "tokens.json"
    last_body = f"{marker} #{n}"
    async with _app.joined_messaging_app(info, tokens) as chat:
        trigger = messaging_burst(info, chat.conversation_id, marker, n)
        pattern = _app.last_message_pattern(marker, n)

        def last_in_pane() -> bool:
            return any(e.body == last_body for e in chat.log.entries[-4:])

        frames0 = chat.probe.frames
        cpu0 = h.cpu_seconds()
        t0 = trigger.start()

        def burst_in_pane() -> bool:  # the newest entries may be a message's quick replies
            return any(e.body.startswith(marker) for e in chat.log.entries[-4:])

        first = await chat.probe.frame_where(burst_in_pane, timeout=120)
        last = await chat.probe.frame_where(
            lambda: last_in_pane() and chat.on_screen(pattern) and chat.session_count(marker) >= n,
            timeout=120,
        )
        cpu = h.cpu_seconds() - cpu0
        trigger.join()
        offers = sum(1 for e in chat.log.entries if e.choices)
        if offers < n // RICH_EVERY:
            raise h.BenchError(f"the pane drew {offers} rows of choices, expected {n // RICH_EVERY}")
        frames = chat.probe.frames - frames0
    return reply(n, t0, first, last, trigger, cpu, frames=frames)


# ------------------------------------------------------------------------------------------------------------

VARIANTS = (
    ("bare", "(a) bare websockets + json.loads"),
    ("session", "(b) MessagingClient + MessagingSession"),
    ("app", "(c) full app, last message rendered"),
)


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """Interleave the three variants run by run against one emulator process."""
    n = 300 if args.quick else 10_000
    result.notes.append(
        f"Web Messaging burst of {n:,} agent messages (every {RICH_EVERY}th with quick replies), one guest; "
        "variants interleaved a,b,c per run, each in a fresh client process"
    )
    runs = run_variants(result, MODULE, VARIANTS, n=n, body=BODY, config={})
    per = runs.per
    result.figures += runs.figures(VARIANTS, first_to_last=False)
    if per["bare"]:
        result.figures.append(
            h.Figure("emulator: control call returned", "s", h.column(per["bare"], "server_push_s"))
        )
    ratios = runs.ratios("session")
    result.figures.append(h.Figure("ratio session / bare (same run)", "x", ratios))
    result.figures.append(
        h.Figure("client CPU ratio session / bare (same run)", "x", runs.ratios("session", "cpu_s"))
    )
    result.targets.append(  # a variant that failed leaves its targets unmet, with no value
        h.make_target("messaging_ingest_session_vs_bare_ratio", h.median(ratios), "x", "<=", 1.5)
    )
    app_ratios = runs.ratios("app")
    result.figures.append(h.Figure("ratio app / bare (same run)", "x", app_ratios))
    result.targets.append(
        h.make_target("messaging_ingest_app_vs_bare_ratio", h.median(app_ratios), "x", "<=", 3)
    )
    app_s = h.column(per["app"], "total_s")
    result.targets.append(h.make_target("messaging_ingest_app_10k_seconds", h.median(app_s), "s", "<", 1))
    runs.raise_errors()


if __name__ == "__main__":
    sys.exit(
        h.bench_main(
            __doc__, run, {"bare": _bare, "session": _session, "app": _app}, "messaging_ingest", TITLE
        )
    )
