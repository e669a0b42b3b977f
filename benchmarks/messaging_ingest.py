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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
import uuid
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.messaging_ingest"
BODY = "Burst from the agent: the quick brown fox jumps over the lazy dog, again and again"
RICH_EVERY = 10
"""Every 10th message of the burst carries quick replies (10 % rich)."""


class Trigger:
    """Asks the emulator for the burst, from a thread (the control call must not block the loop)."""

    def __init__(self, info: dict[str, Any], token: str, text: str, count: int) -> None:
        self.control = h.control_for(info)
        self.token, self.text, self.count = token, text, count
        self.started = 0.0
        self.returned = 0.0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            sid = str(self.control.messaging_session_for(self.token)["id"])
            body = {"text": self.text, "count": self.count, "quickRepliesEvery": RICH_EVERY}
            self.control.messaging_agent(sid, "messages", body)
        except BaseException as exc:  # reported by join()
            self.error = exc
        self.returned = time.perf_counter()

    def start(self) -> float:
        """Start the burst; returns t0."""
        self.started = time.perf_counter()
        self._thread.start()
        return self.started

    def join(self) -> None:
        """Wait for the control call; re-raise its error."""
        self._thread.join(120)
        if self.error is not None:
            raise self.error


def _reply(n: int, t0: float, first: float, last: float, trigger: Trigger, cpu_s: float) -> dict[str, Any]:
    return {
        "cpu_s": cpu_s,
        "n": n,
        "total_s": last - t0,
        "first_to_last_s": last - first,
        "server_push_s": trigger.returned - t0,
        "rate": n / (last - t0),
    }


# ------------------------------------------------------------------------------------------------------------
# (a) bare websockets


async def _bare(params: dict[str, Any]) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    info, n, marker = params["info"], int(params["n"]), params["marker"]
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
        trigger = Trigger(info, token, marker, n)
        count = 0
        first = 0.0
        cpu0 = h.cpu_seconds()
        t0 = trigger.start()
        async for raw in ws:
            frame = json.loads(raw)
            body = frame.get("body")
            if frame.get("class") == "StructuredMessage" and str(body.get("text") or "").startswith(marker):
                count += 1
                if count == 1:
                    first = time.perf_counter()
                if count == n:
                    break
        last = time.perf_counter()
        cpu = h.cpu_seconds() - cpu0
        trigger.join()
    return _reply(n, t0, first, last, trigger, cpu)


def worker_bare(params: dict[str, Any]) -> dict[str, Any]:
    """(a) bare websockets client."""
    return asyncio.run(_bare(params))


# ------------------------------------------------------------------------------------------------------------
# (b) MessagingClient + MessagingSession


async def _session(params: dict[str, Any]) -> dict[str, Any]:
    from webchat_tui.chat import MessagesAdded, SessionEvent
    from webchat_tui.messaging import MessagingClient, MessagingSession, TokenStore

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    state = {"count": 0, "first": 0.0, "last": 0.0, "cpu": 0.0}
    done = asyncio.Event()

    def on_event(event: SessionEvent) -> None:
        if isinstance(event, MessagesAdded):
            for message in event.messages:
                if message.body.startswith(marker):
                    state["count"] += 1
                    if state["count"] == 1:
                        state["first"] = time.perf_counter()
                    if state["count"] == n:
                        state["last"] = time.perf_counter()
                        state["cpu"] = h.cpu_seconds()
                        done.set()

    client = MessagingClient(info["messaging_direct_deployment_id"], base_url=info["base_url"])
    session = MessagingSession(client, token_store=TokenStore(None))
    session.subscribe(on_event)
    await session.start()
    deadline = time.perf_counter() + 30
    while session.agent is None:  # the agent's greeting: setup done
        if time.perf_counter() > deadline:
            raise h.BenchError("no agent greeting")
        await asyncio.sleep(0.005)
    trigger = Trigger(info, session.token.get(), marker, n)
    cpu0 = h.cpu_seconds()
    t0 = trigger.start()
    await asyncio.wait_for(done.wait(), 120)
    trigger.join()
    held = sum(1 for m in session.messages if m.body.startswith(marker))
    await session.close()
    if held != n:
        raise h.BenchError(f"the session holds {held} of {n} burst messages")
    return _reply(n, t0, state["first"], state["last"], trigger, state["cpu"] - cpu0)


def worker_session(params: dict[str, Any]) -> dict[str, Any]:
    """(b) our client stack."""
    return asyncio.run(_session(params))


# ------------------------------------------------------------------------------------------------------------
# (c) the full app, headless


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from benchmarks import _app

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    tokens = Path(tempfile.mkdtemp(prefix="bench-msg-")) / "tokens.json"
    last_body = f"{marker} #{n}"
    async with _app.joined_messaging_app(info, tokens) as chat:
        trigger = Trigger(info, chat.conversation_id, marker, n)
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
    reply = _reply(n, t0, first, last, trigger, cpu)
    reply["frames"] = frames
    return reply


def worker_app(params: dict[str, Any]) -> dict[str, Any]:
    """(c) the full app."""
    return asyncio.run(_app(params))


# ------------------------------------------------------------------------------------------------------------

VARIANTS = (
    ("bare", "(a) bare websockets + json.loads"),
    ("session", "(b) MessagingClient + MessagingSession"),
    ("app", "(c) full app, last message rendered"),
)


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """Interleave the two variants run by run against one emulator process."""
    n = 300 if args.quick else 10_000
    result.notes.append(
        f"Web Messaging burst of {n:,} agent messages (every {RICH_EVERY}th with quick replies), one guest; "
        "variants interleaved a,b,c per run, each in a fresh client process"
    )
    per: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in VARIANTS}
    errors: dict[str, str] = {}
    with h.EmulatorProcess(time_scale=0.01) as emu:
        for run_idx in range(result.runs):
            for name, _label in VARIANTS:
                if name in errors:
                    continue
                emu.control.reset()
                params = {"info": emu.params(), "n": n, "marker": f"{BODY} r{run_idx}"}
                try:
                    per[name].append(h.run_worker(MODULE, name, params, timeout=240))
                except h.BenchError as exc:
                    errors[name] = str(exc)
    for name, label in VARIANTS:
        runs = per[name]
        if name in errors:
            result.notes.append(f"{label} FAILED: {errors[name]}")
        result.figures.append(h.Figure(f"{label}: burst -> last", "s", [r["total_s"] for r in runs]))
        result.figures.append(h.Figure(f"{label}: msgs/s", "msg/s", [r["rate"] for r in runs], "higher"))
        result.figures.append(h.Figure(f"{label}: client CPU for the burst", "s", [r["cpu_s"] for r in runs]))
    if per["bare"]:
        result.figures.append(
            h.Figure("emulator: control call returned", "s", [r["server_push_s"] for r in per["bare"]])
        )
    pairs = list(zip(per["bare"], per["session"], strict=False))
    ratios = [v["total_s"] / b["total_s"] for b, v in pairs]
    result.figures.append(h.Figure("ratio session / bare (same run)", "x", ratios))
    result.figures.append(
        h.Figure(
            "client CPU ratio session / bare (same run)",
            "x",
            [v["cpu_s"] / b["cpu_s"] for b, v in pairs if b["cpu_s"] > 0],
        )
    )
    result.targets.append(
        h.make_target(
            "messaging_ingest_session_vs_bare_ratio", h.median(ratios) if ratios else None, "x", "<=", 1.5
        )
    )
    app_pairs = list(zip(per["bare"], per["app"], strict=False))
    app_ratios = [v["total_s"] / b["total_s"] for b, v in app_pairs]
    result.figures.append(h.Figure("ratio app / bare (same run)", "x", app_ratios))
    result.targets.append(
        h.make_target(
            "messaging_ingest_app_vs_bare_ratio", h.median(app_ratios) if app_ratios else None, "x", "<=", 3
        )
    )
    app_times = [r["total_s"] for r in per["app"]]
    result.targets.append(
        h.make_target(
            "messaging_ingest_app_10k_seconds", h.median(app_times) if app_times else None, "s", "<", 1
        )
    )
    if errors:
        raise h.BenchError("; ".join(f"{k}: {v.splitlines()[0]}" for k, v in errors.items()))


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m benchmarks.messaging_ingest [--quick] [--runs N] [--json-out F]`."""
    args = h.bench_parser(__doc__ or "").parse_args(argv)
    workers = {"bare": worker_bare, "session": worker_session, "app": worker_app}
    return h.bench_main(args, run, workers, "messaging_ingest", "Web Messaging ingest (10,000-message burst)")


if __name__ == "__main__":
    sys.exit(main())
