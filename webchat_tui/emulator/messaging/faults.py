"""Web Messaging socket faults: drop sockets after N frames, duplicate, reorder and delay pushed frames,
refuse handshakes. Parsed with the same strict builder as the Web Chat v2 fault plan (`emulator.faults`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from webchat_tui.emulator.errors import EmulatorError
from webchat_tui.emulator.faults import _COUNT, _build, _in_range, _sendable_close_code


@dataclass
class MessagingFaults:
    """The active Web Messaging fault plan (mutated only on the server loop; read by each socket's sender).

    - `dropAfterFrames` N: a socket is closed with `closeCode` after N frames (`dropTimes` sockets;
      None = all);
    - `duplicateEveryFrames` K: every K-th pushed frame (type "message") is sent twice;
    - `reorderEveryFrames` K: every K-th pushed frame is held back and sent after the next one;
    - `delayMs`: each pushed frame waits this long before it goes out (order kept);
    - `refuseHandshakes` N: the next N upgrades get HTTP `refuseStatus`.
    """

    dropAfterFrames: int = 0  # noqa: N815 - wire names
    dropTimes: int | None = None  # noqa: N815
    duplicateEveryFrames: int = 0  # noqa: N815
    reorderEveryFrames: int = 0  # noqa: N815
    delayMs: int = 0  # noqa: N815
    refuseHandshakes: int = 0  # noqa: N815
    refuseStatus: int = 503  # noqa: N815
    closeCode: int = 1011  # noqa: N815

    def clear(self) -> None:
        """No faults."""
        self.replace({})

    def replace(self, data: Any) -> None:
        """Replace the plan from JSON; 400 on anything malformed (the old plan is kept then)."""
        new = _build(MessagingFaults, data if data is not None else {}, "messaging faults")
        counts = (
            "dropAfterFrames",
            "dropTimes",
            "duplicateEveryFrames",
            "reorderEveryFrames",
            "refuseHandshakes",
        )
        _in_range(new, {name: _COUNT for name in counts} | {"delayMs": (0, 600_000)}, "messaging faults")
        if not 400 <= new.refuseStatus <= 599:
            raise EmulatorError("bad.request", message="refuseStatus must be 400..599")
        if not _sendable_close_code(new.closeCode):
            raise EmulatorError("bad.request", message="closeCode must be 1000-1003, 1007-1014 or 3000-4999")
        for key, value in asdict(new).items():
            setattr(self, key, value)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON."""
        return asdict(self)

    def take_refusal(self) -> int | None:
        """HTTP status to refuse this handshake with, if a refusal is pending."""
        if self.refuseHandshakes > 0:
            self.refuseHandshakes -= 1
            return self.refuseStatus
        return None

    def drop_limit(self) -> int:
        """Frames after which a new socket is dropped (0 = never); consumes one of `dropTimes`."""
        if self.dropAfterFrames > 0 and (self.dropTimes is None or self.dropTimes > 0):
            if self.dropTimes is not None:
                self.dropTimes -= 1
            return self.dropAfterFrames
        return 0
