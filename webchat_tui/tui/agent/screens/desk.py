"""`DeskScreen`: the waiting conversations of both channels, and one tab per conversation taken.

| key     | action                                   |
|---------|------------------------------------------|
| enter   | take the conversation under the cursor   |
| f2      | the waiting list                         |
| f3 / f4 | previous / next tab                      |

The screen applies the live feed's events (`apply`): the list follows waiting/taken/released/ended, the
tabs get the guest's messages, typing and media-request answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from webchat_tui.sanitize import sanitize_line
from webchat_tui.tui.agent.backend import DeskBackend
from webchat_tui.tui.agent.widgets.chat_pane import (
    ENDED_BY_YOU,
    TRANSFER_SIMULATED,
    ChatPane,
    transferred_text,
)
from webchat_tui.tui.agent.widgets.waiting_table import WaitingTable, entry_key
from webchat_tui.tui.gc_policy import HistoryFreezer

__all__ = ["DeskScreen", "binding_commands", "tab_id"]

WAITING_TAB = "waiting"
COMPACT_BELOW = 100
"""Narrower than this the footer drops its padding (as the guest app's does): every key shown fits at 80."""


def binding_commands(node: DOMNode) -> Iterable[SystemCommand]:
    """A palette command for each of `node`'s bindings that can run now (its `check_action` says so), named
    by the binding's tooltip, with its key: the palette offers exactly what the keys do."""
    for binding in node.BINDINGS:
        if not isinstance(binding, Binding):
            continue
        if node.check_action(binding.action.partition("(")[0], ()) is not True:
            continue  # our check_action methods look at the action's name only
        key = node.app.get_key_display(binding)
        yield SystemCommand(
            binding.tooltip or binding.description,
            f"{binding.description} ({key})",
            partial(node.app.run_action, binding.action, node),
        )


def tab_id(key: str) -> str:
    """A tab id for a conversation key (ids allow letters, digits, `-` and `_`)."""
    return "chat-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in key)


class DeskScreen(Screen[None]):
    """The agent's desk."""

    BINDINGS = [
        Binding("f2", "waiting", "Waiting", id="agent.waiting", tooltip="The waiting list"),
        # Off the footer (in help and the palette): a chat tab's own keys need the room (120 and 80 columns)
        Binding("f3", "tab(-1)", "Prev tab", id="agent.prev-tab", tooltip="Previous tab", show=False),
        Binding("f4", "tab(1)", "Next tab", id="agent.next-tab", tooltip="Next tab", show=False),
    ]
    AUTO_FOCUS = "#waiting-table"
    """The trainer's first key is enter on the waiting list (the default would focus the tab strip)."""

    def __init__(self, backend: DeskBackend, *, banner: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.banner = banner
        self.panes: dict[str, ChatPane] = {}
        self.online = False
        self._shown_status = ""
        self._freezer = HistoryFreezer(every=1)
        """A chat tab is a long-lived widget tree: frozen once open, full GCs skip it (see `gc_policy`)."""

    def compose(self) -> ComposeResult:
        yield Static(Content("Connecting to the agent feed…"), id="desk-status")
        if self.banner:
            yield Static(Content(self.banner), id="desk-banner")
        with TabbedContent(id="desk-tabs", initial=WAITING_TAB):
            with TabPane("Waiting (0)", id=WAITING_TAB):
                yield WaitingTable(id="waiting-table")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        self.query_one(Footer).compact = event.size.width < COMPACT_BELOW

    @property
    def table(self) -> WaitingTable:
        """The waiting list."""
        return self.query_one(WaitingTable)

    def _status(self) -> None:
        count = len(self.table.entries)
        state = "online" if self.online else "feed offline, reconnecting…"
        who = sanitize_line(self.backend.agent_name)
        text = f"{who} · {state} · {count} waiting · {len(self.panes)} open"
        if text == self._shown_status:
            return  # most feed events (messages, typing) change nothing here: no relayout of the tabs
        self._shown_status = text
        self.query_one("#desk-status", Static).update(Content(text))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab(WAITING_TAB).label = Content(f"Waiting ({count})")

    # --- the feed ---
    def apply(self, event: dict[str, Any]) -> None:
        """Apply one feed event."""
        kind = event.get("type")
        if kind == "offline":
            self.online = False
        elif kind == "snapshot":
            self.online = True
            convs = [c for c in event.get("conversations") or [] if isinstance(c, dict)]
            self.table.replace([c for c in convs if c.get("state") == "waiting"])
            present = {entry_key(str(c["channel"]), str(c["id"])) for c in convs}
            for key, open_pane in self.panes.items():
                if key not in present:
                    open_pane.finish("This conversation is no longer at the desk.")
        elif kind == "waiting":
            self.table.put(event["conversation"])
        elif kind == "taken":
            conv = event["conversation"]
            self.table.drop(entry_key(str(conv["channel"]), str(conv["id"])))
        else:
            key = entry_key(str(event.get("channel")), str(event.get("id")))
            pane = self.panes.get(key)
            if kind in ("released", "ended"):
                self.table.drop(key)
                if pane is not None:
                    to = sanitize_line(str(event.get("to", "")))
                    queue = None if to == TRANSFER_SIMULATED else to
                    if kind == "ended":
                        pane.finish(ENDED_BY_YOU if pane.ending else "The conversation ended.")
                    else:
                        pane.finish(transferred_text(queue))
            elif pane is not None and kind == "message":
                pane.guest_message(event)
            elif pane is not None and kind == "typing":
                pane.guest_typing()
            elif pane is not None and kind == "media":
                pane.media_changed(event)
        self._status()

    # --- taking ---
    @on(DataTable.RowSelected, "#waiting-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key is not None and key in self.table.entries:
            self.take(str(key))

    @work(group="take", exclusive=False)
    async def take(self, key: str) -> None:
        """Take the waiting conversation `key` and open its tab."""
        entry = self.table.entries.get(key)
        if entry is None:
            return
        try:
            taken = await self.backend.take(str(entry["channel"]), str(entry["id"]))
        except Exception as exc:  # noqa: BLE001 - someone else took it, it ended: say so
            self.notify(sanitize_line(f"Not taken: {exc}"), severity="warning", markup=False)
            return
        self.table.drop(key)
        await self.open_tab(key, {**entry, **taken})

    async def open_tab(self, key: str, entry: dict[str, Any]) -> ChatPane:
        """Add the conversation's tab and show it (replacing the tab of an earlier turn with it)."""
        tabs = self.query_one(TabbedContent)
        if self.panes.pop(key, None) is not None:
            await tabs.remove_pane(tab_id(key))
        pane = ChatPane(self.backend, entry)
        self.panes[key] = pane
        title = sanitize_line(str(entry.get("guest", "Guest")))[:24]
        await tabs.add_pane(TabPane(Content(title), pane, id=tab_id(key)))
        tabs.active = tab_id(key)
        pane.focus_here()
        self._status()
        self.call_after_refresh(self._freezer.added, 1)  # once the tab is composed
        return pane

    @on(ChatPane.Closed)
    async def _pane_closed(self, event: ChatPane.Closed) -> None:
        key = entry_key(event.pane.channel, event.pane.cid)
        self.panes.pop(key, None)
        await self.query_one(TabbedContent).remove_pane(tab_id(key))
        self.action_waiting()
        self._status()

    # --- navigation ---
    def action_waiting(self) -> None:
        """Show the waiting list."""
        self.query_one(TabbedContent).active = WAITING_TAB
        self.table.focus()

    def action_tab(self, step: int) -> None:
        """Show the previous (-1) or next (1) tab."""
        tabs = self.query_one(TabbedContent)
        ids = [WAITING_TAB] + [tab_id(k) for k in self.panes]
        current = ids.index(tabs.active) if tabs.active in ids else 0
        target = ids[(current + step) % len(ids)]
        tabs.active = target
        if target == WAITING_TAB:
            self.table.focus()
        else:
            pane = next(p for k, p in self.panes.items() if tab_id(k) == target)
            pane.focus_here()

    @property
    def active_pane(self) -> ChatPane | None:
        """The chat tab in front (None on the waiting list)."""
        active = self.query_one(TabbedContent).active
        return next((p for k, p in self.panes.items() if tab_id(k) == active), None)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The console's own commands for the palette: the desk's keys, then those of the chat tab in front
        (what it can do now), or taking the highlighted conversation on the waiting list."""
        yield from binding_commands(self)
        pane = self.active_pane
        if pane is not None:
            yield from binding_commands(pane)
        elif self.table.entries:
            yield SystemCommand(
                "Take conversation",
                "Take the highlighted waiting conversation (enter)",
                self._take_highlighted,
            )

    def _take_highlighted(self) -> None:
        if self.table.row_count:
            key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value
            if key is not None:
                self.take(str(key))

    def help_extra(self) -> list[tuple[str, str]]:
        """Rows for the help screen beyond the live bindings."""
        rows = [("enter", "In a chat tab: send the message")]
        if not any(pane.over for pane in self.panes.values()):
            rows.append(("f8", "Close the tab of a chat that has ended"))
        rows.append(("ctrl+p", "Command palette: every action of the tab in front, themes"))
        return rows
