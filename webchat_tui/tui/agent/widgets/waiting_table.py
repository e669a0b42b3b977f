"""`WaitingTable`: the conversations waiting for a person, oldest first, with the time each has waited.

| key         | action                          |
|-------------|---------------------------------|
| up / down   | choose a conversation           |
| enter       | take it (opens its tab)         |
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from webchat_tui.sanitize import sanitize_line

__all__ = ["WaitingTable", "entry_key", "waited"]

COLUMNS = ("Channel", "Guest", "Queue / deployment", "Fields", "Waited")
FIELDS_WIDTH = 40


def entry_key(channel: str, cid: str) -> str:
    """The row (and tab) key of a conversation."""
    return f"{channel}:{cid}"


def waited(since: float, now: float | None = None) -> str:
    """`m:ss` (or `h:mm:ss`) since `since` (epoch seconds)."""
    seconds = max(0, int((time.time() if now is None else now) - since))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _fields(fields: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in fields.items())
    return shown if len(shown) <= FIELDS_WIDTH else shown[: FIELDS_WIDTH - 1] + "…"


class WaitingTable(DataTable[Text]):
    """One row per waiting conversation; `DataTable.RowSelected` (enter) means take it."""

    BINDINGS = [Binding("enter", "select_cursor", "Take", id="agent.take", tooltip="Take this conversation")]
    clock: Callable[[], float] = staticmethod(time.time)
    """Wall clock for the Waited column (replaceable for snapshots)."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.entries: dict[str, dict[str, Any]] = {}

    def on_mount(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label)
        self.set_interval(1.0, self._tick)  # the clock column only: nothing is fetched

    def _cells(self, entry: dict[str, Any]) -> list[Text]:
        where = str(entry.get("queue", ""))
        if entry.get("channel") == "messaging":
            where += f" · {str(entry.get('deploymentId', ''))[:8]}"
        channel = "Web Chat" if entry.get("channel") == "webchat" else "Messaging"
        return [
            Text(channel),
            Text(sanitize_line(str(entry.get("guest", "")))),
            Text(sanitize_line(where)),
            Text(sanitize_line(_fields(entry.get("fields") or {}))),
            Text(waited(float(entry.get("since", self.clock())), self.clock())),
        ]

    def put(self, entry: dict[str, Any]) -> None:
        """Add (or refresh) a waiting conversation."""
        key = entry_key(str(entry["channel"]), str(entry["id"]))
        if key in self.entries:
            self.drop(key)
        self.entries[key] = entry
        self.add_row(*self._cells(entry), key=key)
        self._sort()

    def drop(self, key: str) -> None:
        """Drop a conversation that is no longer waiting (no-op when absent)."""
        if self.entries.pop(key, None) is not None:
            self.remove_row(key)

    def replace(self, entries: list[dict[str, Any]]) -> None:
        """Show exactly these waiting conversations."""
        self.clear()
        self.entries.clear()
        for entry in entries:
            key = entry_key(str(entry["channel"]), str(entry["id"]))
            self.entries[key] = entry
            self.add_row(*self._cells(entry), key=key)
        self._sort()

    def _sort(self) -> None:
        order = sorted(self.entries, key=lambda k: float(self.entries[k].get("since", 0)))
        if [str(r.value) for r in self.ordered_rows_keys()] != order:
            self.replace_order(order)

    def ordered_rows_keys(self) -> list[Any]:
        """Row keys in display order."""
        return [row.key for row in self.ordered_rows]

    def replace_order(self, order: list[str]) -> None:
        """Redraw the rows in `order`."""
        entries = dict(self.entries)
        self.clear()
        for key in order:
            self.add_row(*self._cells(entries[key]), key=key)

    def _tick(self) -> None:
        now = self.clock()
        for key, entry in self.entries.items():
            self.update_cell(key, "Waited", Text(waited(float(entry.get("since", now)), now)))

    def selected_key(self) -> str | None:
        """The key of the row under the cursor."""
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return None if row_key.value is None else str(row_key.value)
