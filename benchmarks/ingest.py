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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from typing import Any

from benchmarks import _harness as h

MODULE = "benchmarks.ingest"
BODY = "Burst from the agent: the quick brown fox jumps over the lazy dog, again and again"  # + " #N" = 80+


class Trigger:
    """Asks the emulator to push the burst, from a thread (the control call must not block the loop)."""

    def __init__(self, info: dict[str, Any], cid: str, body: str, count: int) -> None:
        self.control = h.control_for(info)
        self.cid, self.body, self.count = cid, body, count
        self.started = 0.0
        self.returned = 0.0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.control.agent_messages(self.cid, self.body, self.count)
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
        self._thread.join(60)
        if self.error is not None:
            raise self.error


async def wait_until(predicate: Any, timeout: float = 15.0, what: str = "condition") -> None:
    """Poll (5 ms) until predicate() is true; harness setup only, never inside a timed section."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise h.BenchError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def connect_agent(info: dict[str, Any], cid: str) -> None:
    """Once the socket is attached (conversation no longer pending_socket), route it to an agent now."""
    control = h.control_for(info)

    def attached() -> bool:
        conv = control.conversation(cid)
        return conv is not None and conv["state"] != "pending_socket"

    deadline = time.perf_counter() + 15
    while not await asyncio.to_thread(attached):
        if time.perf_counter() > deadline:
            raise h.BenchError("socket never attached")
        await asyncio.sleep(0.01)
    await asyncio.to_thread(control.connect, cid)


def _reply(
    n: int, t0: float, first: float, last: float, trigger: Trigger, cpu_s: float, **extra: Any
) -> dict[str, Any]:
    return {
        "cpu_s": cpu_s,
        "n": n,
        "total_s": last - t0,
        "first_to_last_s": last - first,
        "server_push_s": trigger.returned - t0,
        "rate": n / (last - t0),
        **extra,
    }


# ------------------------------------------------------------------------------------------------------------
# (a) bare websockets


async def _bare(params: dict[str, Any]) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    conv = await asyncio.to_thread(h.create_guest_conversation, info["base_url"], info)
    async with connect(conv["eventStreamUri"], compression=None) as ws:
        await connect_agent(info, conv["id"])
        async for raw in ws:  # wait for the agent's member-join: setup done
            frame = json.loads(raw)
            if frame.get("eventBody", {}).get("bodyType") == "member-join":
                break
        trigger = Trigger(info, conv["id"], marker, n)
        count = 0
        first = 0.0
        cpu0 = h.cpu_seconds()
        t0 = trigger.start()
        async for raw in ws:
            frame = json.loads(raw)
            meta = frame.get("metadata")
            if meta and meta.get("type") == "message" and frame["eventBody"]["body"].startswith(marker):
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
# (b) WebChatClient + EventStream + ChatSession


async def _session(params: dict[str, Any]) -> dict[str, Any]:
    from webchat_tui.api import ChatSession, GuestMemberInfo, WebChatClient
    from webchat_tui.api.session_types import MessagesAdded, SessionEvent, SessionState

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    state = {"count": 0, "first": 0.0, "last": 0.0, "batches": 0, "cpu": 0.0}
    done = asyncio.Event()

    def on_event(event: SessionEvent) -> None:
        if isinstance(event, MessagesAdded):
            state["batches"] += 1
            for message in event.messages:
                if message.body.startswith(marker):
                    state["count"] += 1
                    if state["count"] == 1:
                        state["first"] = time.perf_counter()
                    if state["count"] == n:
                        state["last"] = time.perf_counter()
                        state["cpu"] = h.cpu_seconds()
                        done.set()

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
        await wait_until(lambda: session.state == SessionState.CONNECTED, what="agent connected")
        await wait_until(
            lambda: any(m.body_type == "member-join" for m in session.messages), what="member-join"
        )
        state["batches"] = 0
        trigger = Trigger(info, session.conversation_id, marker, n)
        cpu0 = h.cpu_seconds()
        t0 = trigger.start()
        await asyncio.wait_for(done.wait(), 120)
        trigger.join()
        held = len(session.messages)
        await session.close()
    return _reply(
        n,
        t0,
        state["first"],
        state["last"],
        trigger,
        state["cpu"] - cpu0,
        batches=state["batches"],
        held=held,
    )


def worker_session(params: dict[str, Any]) -> dict[str, Any]:
    """(b) our client stack."""
    return asyncio.run(_session(params))


# ------------------------------------------------------------------------------------------------------------
# (c) the full app, headless


async def _app(params: dict[str, Any]) -> dict[str, Any]:
    from benchmarks import _app

    info, n, marker = params["info"], int(params["n"]), params["marker"]
    async with _app.joined_app(info) as chat:
        trigger = Trigger(info, chat.conversation_id, marker, n)
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
    return _reply(n, t0, first, last, trigger, cpu, frames=frames, encode_s=encode)


def worker_app(params: dict[str, Any]) -> dict[str, Any]:
    """(c) the full app."""
    return asyncio.run(_app(params))


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
    per: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in VARIANTS}
    errors: dict[str, str] = {}
    with h.EmulatorProcess(time_scale=0.01) as emu:
        for run_idx in range(result.runs):
            for name, _label in VARIANTS:
                if name in errors:
                    continue
                emu.control.reset()
                emu.control.set_config(autoAgent=False, timeScale=0.01, idleTimeout=10_000_000)
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
        result.figures.append(h.Figure(f"{label}: first -> last", "s", [r["first_to_last_s"] for r in runs]))
        result.figures.append(h.Figure(f"{label}: client CPU for the burst", "s", [r["cpu_s"] for r in runs]))
    if per["bare"]:
        result.figures.append(
            h.Figure(
                "emulator: control call returned (all pushed)", "s", [r["server_push_s"] for r in per["bare"]]
            )
        )
    ratios: dict[str, list[float]] = {}
    for name in ("session", "app"):
        pairs = list(zip(per["bare"], per[name], strict=False))
        ratios[name] = [v["total_s"] / b["total_s"] for b, v in pairs]
        result.figures.append(h.Figure(f"ratio {name} / bare (same run)", "x", ratios[name]))
    for name in ("session", "app"):
        pairs = list(zip(per["bare"], per[name], strict=False))
        result.figures.append(
            h.Figure(
                f"client CPU ratio {name} / bare (same run)",
                "x",
                [v["cpu_s"] / b["cpu_s"] for b, v in pairs if b["cpu_s"] > 0],
            )
        )
    if per["session"]:
        result.figures.append(
            h.Figure("(b) MessagesAdded batches per burst", "events", [r["batches"] for r in per["session"]])
        )
    if per["app"]:
        result.figures.append(
            h.Figure("(c) frames during burst", "frames", [r["frames"] for r in per["app"]])
        )
        result.figures.append(
            h.Figure("(c) ANSI encoding inside frames", "s", [r["encode_s"] for r in per["app"]])
        )
    result.targets += [
        h.make_target(
            "ingest_session_vs_bare_ratio",
            h.median(ratios["session"]) if ratios["session"] else None,
            "x",
            "<=",
            1.5,
        ),
        h.make_target(
            "ingest_app_vs_bare_ratio", h.median(ratios["app"]) if ratios["app"] else None, "x", "<=", 3
        ),
        h.make_target(
            "ingest_app_10k_seconds",
            h.median([r["total_s"] for r in per["app"]]) if per["app"] else None,
            "s",
            "<",
            1,
        ),
    ]
    if errors:
        raise h.BenchError("; ".join(f"{k}: {v.splitlines()[0]}" for k, v in errors.items()))


def main(argv: list[str] | None = None) -> int:
    """Entry point: `python -m benchmarks.ingest [--quick] [--runs N] [--json-out F]`."""
    args = h.bench_parser(__doc__ or "").parse_args(argv)
    workers = {"bare": worker_bare, "session": worker_session, "app": worker_app}
    return h.bench_main(args, run, workers, "ingest", "1. Event ingest (10,000-message burst)")


if __name__ == "__main__":
    sys.exit(main())
