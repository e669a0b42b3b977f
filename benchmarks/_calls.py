"""What the client-call benchmarks (`client_calls`, `concurrent_guests`) share: the message text, the guest
conversations the harness holds open for them, our client's HTTP wires, the official SDK's message request,
and the ours-vs-SDK comparison figures.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from benchmarks import _harness as h

TEXT = "Client call benchmark message, eighty characters long with some padding here #"
"""Every measured message: this + its number (80 characters)."""

Variant = tuple[str, str, str, str, str]
"""(key, worker, wire, loop, label); the first variant is what we ship ("ours" in the targets), the last the
SDK."""


def sdk_message(pc: Any, text: str) -> Any:
    """The official SDK's `CreateWebChatMessageRequest` for a standard message (`pc`: the SDK module)."""
    body = pc.CreateWebChatMessageRequest()
    body.body = text
    body.body_type = "standard"
    return body


def http_transport(wire: str) -> Any:
    """The `http_transport=` for `WebChatClient`: None (our aiohttp wire) or httpx's default transport with
    the pool settings `api/_transport.py` gives httpx."""
    if wire == "aiohttp":
        return None
    if wire != "httpcore":
        raise ValueError(f"unknown wire {wire!r}")
    import httpx

    return httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=20, keepalive_expiry=4.0)
    )


class Holder:
    """Harness side of one conversation: create it, keep its socket attached and drained, connect an agent."""

    def __init__(self, emu: h.EmulatorProcess) -> None:
        from websockets.sync.client import connect

        self.conv = h.create_guest_conversation(emu.base_url, emu.info)
        self.ws = connect(self.conv["eventStreamUri"], compression=None)
        self.frames = 0
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        cid = self.conv["id"]
        h.connect_agent(emu.control, cid)
        emu.control.wait_for(lambda: (emu.control.conversation(cid) or {}).get("state") == "active")

    def _drain(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            for _ in self.ws:
                self.frames += 1
        except ConnectionClosed:
            pass

    def params(self) -> dict[str, Any]:
        """cid / mid / jwt for a worker."""
        return {"cid": self.conv["id"], "mid": self.conv["member"]["id"], "jwt": self.conv["jwt"]}

    def close(self) -> None:
        """Close the socket and stop draining."""
        self.ws.close()
        self._thread.join(5)


def versus_sdk(
    per: dict[str, list[dict[str, Any]]], variants: Sequence[Variant]
) -> tuple[list[float], list[h.Figure]]:
    """Per run, ours' calls/s / the SDK's (the targets' ratio), and one figure of that plus, for each of our
    variants, the SDK's CPU per call / ours (> 1: ours cheaper)."""
    ratios = [o["rate"] / s["rate"] for o, s in zip(per["ours"], per["sdk"], strict=True)]
    figures = [h.Figure("throughput ratio ours / sdk (same run)", "x", ratios, "higher")]
    for key, _worker, _wire, _loop, label in variants[:-1]:
        cpu = [s["cpu_ms_per_call"] / o["cpu_ms_per_call"] for o, s in zip(per[key], per["sdk"], strict=True)]
        figures.append(
            h.Figure(f"CPU per call, sdk / {label} (same run; > 1: ours cheaper)", "x", cpu, "higher")
        )
    return ratios, figures
