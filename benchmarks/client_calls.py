"""Benchmark 5: client calls: 2,000 sequential sends + 2,000 reads, our `WebChatClient` vs the official SDK.

Variants of ours (issue 12: what one call costs decides how many guests a core holds): the same
`WebChatClient` on each HTTP wire (aiohttp, the one `api/_transport.py` uses; httpx's default httpcore + h11,
injected through `WebChatClient(http_transport=httpx.AsyncHTTPTransport(...))`) and each event loop (uvloop,
asyncio's own). "ours" in the targets is what we ship for a loop we own: the aiohttp wire on
`webchat_tui.event_loop.run` (uvloop when installed).

Method
- One emulator process, auto agent off. Per run and variant the harness resets the emulator, creates a guest
  conversation, attaches a websocket that it drains in a thread (so the chat is active and the echo of every
  send has somewhere to go) and connects an agent through the control API. That setup is the same for both
  variants and is not measured.
- Each variant runs in a fresh process, variants interleaved run by run: ours: `WebChatClient` (async)
  with the conversation's JWT (`set_guest_token`); sdk: `PureCloudPlatformClientV2==258.0.0` `WebChatApi`
  (synchronous, urllib3), configured the documented way
        (`configuration.api_key['Authorization']` + prefix `Bearer`, `ApiClient(host=...)`).
- Each: 20 warm-up sends + reads (not counted), then N sequential `POST .../messages` (80-character bodies),
  then N sequential `GET .../messages/{id}` of those messages. Per call latency is wall time around the call;
  the throughput is calls / total wall time of the phase; client CPU per call comes from /proc.
- Note: the SDK wraps every WebChatApi method in `@deprecated`, which forces `warnings.simplefilter('always')`
  and writes a DeprecationWarning to stderr on every call; that is part of what the SDK costs and is left in.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from typing import Any

from benchmarks import _harness as h
from benchmarks._calls import TEXT, Holder, Variant, http_transport, sdk_message, versus_sdk

MODULE = "benchmarks.client_calls"
TITLE = "5. Client calls (ours vs official SDK)"
WARMUP = 20


def _summary(
    send_lat: list[float], read_lat: list[float], send_s: float, read_s: float, cpu_s: float, n: int
) -> dict[str, Any]:
    return {
        "n": n,
        "send_s": send_s,
        "read_s": read_s,
        "send_rate": n / send_s,
        "read_rate": n / read_s,
        "rate": 2 * n / (send_s + read_s),
        "send_p50_ms": h.percentile(send_lat, 50) * 1000,
        "send_p99_ms": h.percentile(send_lat, 99) * 1000,
        "read_p50_ms": h.percentile(read_lat, 50) * 1000,
        "read_p99_ms": h.percentile(read_lat, 99) * 1000,
        "cpu_ms_per_call": cpu_s * 1000 / (2 * n),
    }


async def _ours(params: dict[str, Any]) -> dict[str, Any]:
    from webchat_tui.api import WebChatClient

    info, cid, mid, jwt, n = params["info"], params["cid"], params["mid"], params["jwt"], int(params["n"])
    perf = time.perf_counter
    async with WebChatClient(
        base_url=info["base_url"], http_transport=http_transport(params.get("wire", "aiohttp"))
    ) as client:
        client.set_guest_token(cid, jwt)
        for i in range(WARMUP):
            msg = await client.post_webchat_guest_conversation_member_messages(cid, mid, f"{TEXT}w{i}")
            await client.get_webchat_guest_conversation_message(cid, msg.id)
        cpu0 = h.cpu_seconds()
        ids: list[str] = []
        send_lat: list[float] = []
        start = perf()
        for i in range(n):
            t = perf()
            msg = await client.post_webchat_guest_conversation_member_messages(cid, mid, f"{TEXT}{i}")
            send_lat.append(perf() - t)
            ids.append(msg.id)
        send_s = perf() - start
        read_lat: list[float] = []
        start = perf()
        for message_id in ids:
            t = perf()
            got = await client.get_webchat_guest_conversation_message(cid, message_id)
            read_lat.append(perf() - t)
        read_s = perf() - start
        assert got.id == ids[-1]
        cpu = h.cpu_seconds() - cpu0
    return _summary(send_lat, read_lat, send_s, read_s, cpu, n)


def worker_ours(params: dict[str, Any]) -> dict[str, Any]:
    """Our async client on `params["wire"]` and `params["loop"]` (uvloop / asyncio)."""
    from webchat_tui.event_loop import run

    return run(_ours(params), use_uvloop=params.get("loop", "uvloop") == "uvloop")


def worker_sdk(params: dict[str, Any]) -> dict[str, Any]:
    """The official synchronous SDK."""
    import PureCloudPlatformClientV2 as pc

    info, cid, mid, jwt, n = params["info"], params["cid"], params["mid"], params["jwt"], int(params["n"])
    perf = time.perf_counter
    pc.configuration.host = info["base_url"]
    pc.configuration.api_key["Authorization"] = jwt
    pc.configuration.api_key_prefix["Authorization"] = "Bearer"
    api = pc.WebChatApi(pc.ApiClient(host=info["base_url"]))

    for i in range(WARMUP):
        msg = api.post_webchat_guest_conversation_member_messages(cid, mid, sdk_message(pc, f"{TEXT}w{i}"))
        api.get_webchat_guest_conversation_message(cid, msg.id)
    cpu0 = h.cpu_seconds()
    ids: list[str] = []
    send_lat: list[float] = []
    start = perf()
    for i in range(n):
        t = perf()
        msg = api.post_webchat_guest_conversation_member_messages(cid, mid, sdk_message(pc, f"{TEXT}{i}"))
        send_lat.append(perf() - t)
        ids.append(msg.id)
    send_s = perf() - start
    read_lat: list[float] = []
    start = perf()
    for message_id in ids:
        t = perf()
        got = api.get_webchat_guest_conversation_message(cid, message_id)
        read_lat.append(perf() - t)
    read_s = perf() - start
    assert got.id == ids[-1]
    cpu = h.cpu_seconds() - cpu0
    return _summary(send_lat, read_lat, send_s, read_s, cpu, n)


# (key, worker, wire, loop, label). The first is what we ship ("ours" in the targets).
VARIANTS: tuple[Variant, ...] = (
    ("ours", "ours", "aiohttp", "uvloop", "ours: httpx on aiohttp, uvloop"),
    ("aiohttp_asyncio", "ours", "aiohttp", "asyncio", "ours: httpx on aiohttp, asyncio loop"),
    ("httpcore_uvloop", "ours", "httpcore", "uvloop", "ours: httpx default transport, uvloop"),
    ("httpcore_asyncio", "ours", "httpcore", "asyncio", "ours: httpx default transport, asyncio loop"),
    ("sdk", "sdk", "", "", "official SDK 258.0.0 (sync urllib3)"),
)


def run(args: argparse.Namespace, result: h.BenchResult) -> None:
    """Interleave ours / sdk run by run against one emulator process."""
    n = 100 if args.quick else 2000
    per: dict[str, list[dict[str, Any]]] = {key: [] for key, *_ in VARIANTS}
    with h.EmulatorProcess(time_scale=0.01) as emu:
        for _ in range(result.runs):
            for key, worker, wire, loop, _label in VARIANTS:
                emu.reset(**h.AGENT_OFF)
                holder = Holder(emu)
                try:
                    params = {"info": emu.params(), "n": n, "wire": wire, "loop": loop, **holder.params()}
                    per[key].append(h.run_worker(MODULE, worker, params, timeout=600))
                finally:
                    holder.close()
    result.notes.append(
        f"{n:,} sequential sends then {n:,} reads (GET message by id) per variant and run, after "
        f"{WARMUP} warm-up calls of each; variants interleaved, fresh process each; 'ours' (the targets) is "
        "what we ship for a loop we own: httpx on the aiohttp wire, on uvloop"
    )
    for key, _worker, _wire, _loop, label in VARIANTS:
        col = partial(h.column, per[key])
        result.figures += [
            h.Figure(f"{label}: calls/s (sends + reads)", "calls/s", col("rate"), "higher"),
            h.Figure(f"{label}: sends/s", "calls/s", col("send_rate"), "higher"),
            h.Figure(f"{label}: reads/s", "calls/s", col("read_rate"), "higher"),
            h.Figure(f"{label}: send p50", "ms", col("send_p50_ms")),
            h.Figure(f"{label}: send p99", "ms", col("send_p99_ms")),
            h.Figure(f"{label}: read p50", "ms", col("read_p50_ms")),
            h.Figure(f"{label}: read p99", "ms", col("read_p99_ms")),
            h.Figure(f"{label}: client CPU per call", "ms", col("cpu_ms_per_call")),
        ]
    ratios, figures = versus_sdk(per, VARIANTS)
    result.figures += figures
    result.targets += [
        h.make_target("client_calls_throughput_vs_sdk_ratio", h.median(ratios), "x", ">=", 1.0),
        h.make_target("client_send_p50_ms", h.median([r["send_p50_ms"] for r in per["ours"]]), "ms", "<=", 5),
    ]


if __name__ == "__main__":
    sys.exit(h.bench_main(__doc__, run, {"ours": worker_ours, "sdk": worker_sdk}, "client_calls", TITLE))
