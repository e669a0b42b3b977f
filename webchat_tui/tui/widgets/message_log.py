"""`MessageLog`: the chat transcript as a line-API scroll view.

One widget for the whole transcript (never one widget per message): entries are kept in a list, wrapped into
display lines for the current width, and only the visible lines are turned into `Strip`s. New entries are
queued and written once per frame, so a burst of thousands of messages costs one layout update per frame.

Remote text is drawn as plain `Segment`s: nothing is ever parsed as markup, and control characters that
slipped past the session's sanitizer are removed again here.

| key              | action                          |
|------------------|---------------------------------|
| up / down        | scroll one line                 |
| pageup / pagedown| scroll one page                 |
| home / end       | oldest / newest message         |
| left / right     | move between offered choices    |
| enter            | pick the highlighted choice     |
| escape           | back to the message box         |
| 1 … 9            | pick that choice of the newest offer |

Rich content (quick replies, card buttons, date slots, list items) is drawn in the same line model: an entry
with `choices` is a lead line (what to do, or what was answered) and rows of numbered choices, wrapped to
the width. Picking one (by number, arrows and Enter, or a click) posts `MessageLog.ChoicePicked`; the screen
decides what it means and marks the offer answered with `mark_answered`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from webchat_tui.sanitize import sanitize_line, sanitize_text
from webchat_tui.tui.gc_policy import HistoryFreezer
from webchat_tui.tui.widgets.contrast import NORMAL_TEXT, readable

__all__ = ["DISPLAY_CAP", "LogEntry", "MessageLog", "cut_note", "wrap_text"]

_TOKENS = re.compile(r"\S+|\s+")

DISPLAY_CAP = 20_000
"""Characters of one message the pane shows; the rest is replaced by a note (saved transcripts keep all)."""
_CUT_NOTE = -1
"""Line number that marks the note under a message cut at `DISPLAY_CAP`."""


_MINIMUM_CONTRAST = {"body": 7.0, "own-body": 7.0}
"""Message text reads at 7:1 (WCAG AAA) so that times and system lines (4.5:1 at least) stay quieter."""


def cut_note(cut: int) -> str:
    """The note under a message shown cut: how much is not shown, and where to find it."""
    unit = "character" if cut == 1 else "characters"
    return f"… {cut:,} more {unit} not shown (save the transcript to read the whole message)"


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One transcript entry: a message (with sender) or a system line (sender empty)."""

    time: str
    """Already formatted display time."""
    sender: str
    """Sender display name; empty for system lines."""
    role: str
    """Style key: `agent`, `customer`, `own`, `bot`, `failed` (a message of ours that was not sent), `system`,
    `notice`, `error`, `content` (rich content in words), `choices` (a row of choices)."""
    body: str
    choices: tuple[str, ...] = ()
    """Labels of the choices this entry offers (role `choices`), numbered from 1."""
    offer: int = -1
    """The offer's number (the screen's key for what the choices mean); -1 (the default): the choices are
    only shown, never picked (the agent console showing what the guest was offered)."""


def wrap_text(text: str, first_width: int, rest_width: int) -> list[str]:
    """Greedy word wrap by terminal cells: the first line gets `first_width` cells, the others `rest_width`.

    Newlines start new lines, tabs become spaces, words longer than a line are cut. Linear in the length of
    `text` (a 100,000-character word is cut in one pass); ASCII is measured with `len`, the rest in cells.
    """
    first_width = max(1, first_width)
    rest_width = max(1, rest_width)
    ascii_text = text.isascii()
    if ascii_text and len(text) <= first_width and "\n" not in text and "\t" not in text:
        return [text]
    measure: Callable[[str], int] = len if ascii_text else cell_len
    out: list[str] = []
    width = first_width
    for paragraph in text.expandtabs(4).split("\n"):
        if measure(paragraph) <= width:
            out.append(paragraph)
            width = rest_width
            continue
        line = ""
        line_w = 0
        for token in _TOKENS.findall(paragraph):
            token_w = measure(token)
            if line_w + token_w <= width:
                line += token
                line_w += token_w
                continue
            if token.isspace():
                out.append(line)
                width = rest_width
                line, line_w = "", 0
                continue
            if line:
                out.append(line.rstrip())
                width = rest_width
                line, line_w = "", 0
            if token_w <= width:
                line, line_w = token, token_w
                continue
            if not out and token_w <= rest_width:
                # a word that does not fit a short first line (long sender name) starts on the next one
                out.append("")
                width = rest_width
                line, line_w = token, token_w
                continue
            # a word longer than a line: the first piece at this line's width, the rest in one pass
            pieces = _cut(token, width, rest_width, ascii_text)
            out.extend(pieces[:-1])
            width = rest_width
            line = pieces[-1]
            line_w = measure(line)
        out.append(line)
        width = rest_width
    return out


def _cut(word: str, first_width: int, rest_width: int, ascii_text: bool) -> list[str]:
    """`word` cut into pieces: the first `first_width` cells wide, the others `rest_width` (never empty)."""
    if ascii_text:
        head, tail = word[:first_width], word[first_width:]
        return [head] + [tail[i : i + rest_width] for i in range(0, len(tail), rest_width)]
    head = chop_cells(word[:first_width], first_width)[0]  # a piece of n cells holds at most n characters
    tail = word[len(head) :]
    return [head, *chop_cells(tail, rest_width)] if tail else [head]


class MessageLog(ScrollView, can_focus=True):
    """The transcript pane: time, sender (coloured by role) and wrapped text, plus system lines.

    Follows the newest line while the view is at the bottom; when the user has scrolled up, new entries are
    counted and reported with `MessageLog.UnseenChanged` instead of moving the view.
    """

    COMPONENT_CLASSES = {
        "message-log--time",
        "message-log--agent",
        "message-log--customer",
        "message-log--own",
        "message-log--bot",
        "message-log--body",
        "message-log--own-body",
        "message-log--system",
        "message-log--notice",
        "message-log--error",
        "message-log--failed",
        "message-log--content",
        "message-log--choice",
        "message-log--choice-highlight",
        "message-log--choice-chosen",
        "message-log--choice-closed",
    }
    """Styles for each part of a line; colours come from the theme, made readable (see `contrast.py`)."""

    DEFAULT_CSS = """
    MessageLog {
        background: $surface;
        overflow-x: hidden;
        overflow-y: scroll;
        & > .message-log--time { color: $text-muted; }
        & > .message-log--agent { color: $accent; text-style: bold; }
        & > .message-log--customer { color: $secondary; text-style: bold; }
        & > .message-log--own { color: $success; text-style: bold; }
        & > .message-log--bot { color: $warning; text-style: bold; }
        & > .message-log--body { color: $foreground; }
        & > .message-log--own-body { color: $foreground; }
        & > .message-log--system { color: $text-muted; text-style: italic; }
        & > .message-log--notice { color: $text-warning; text-style: italic; }
        & > .message-log--error { color: $text-error; text-style: bold; }
        & > .message-log--failed { color: $text-error; text-style: strike; }
        & > .message-log--content { color: $foreground; }
        & > .message-log--choice { color: $text-accent; text-style: bold; }
        & > .message-log--choice-highlight { color: $text-accent; text-style: bold reverse; }
        & > .message-log--choice-chosen { color: $text-success; text-style: bold; }
        & > .message-log--choice-closed { color: $text-muted; }
    }
    """

    @dataclass
    class ChoicePicked(Message):
        """The guest picked choice `index` (from 0) of offer `offer`."""

        message_log: MessageLog
        offer: int
        index: int

        @property
        def control(self) -> MessageLog:
            """The log that posted this."""
            return self.message_log

    BINDINGS = [
        Binding("left", "move_choice(-1)", "Previous choice", show=False, id="log.choice-previous"),
        Binding("right", "move_choice(1)", "Next choice", show=False, id="log.choice-next"),
        Binding("enter", "pick", "Pick", show=False, id="log.choice-pick"),
        Binding("escape", "done", "Back to the message box", show=False, id="log.done"),
    ]

    class ChoicesChanged(Message):
        """Choices were offered, answered or reopened (the screen updates its footer)."""

    class Done(Message):
        """The guest is done here (escape): the screen puts the focus back in the message box."""

    @dataclass
    class UnseenChanged(Message):
        """The number of entries added below the view while the user was scrolled up changed."""

        message_log: MessageLog
        unseen: int

        @property
        def control(self) -> MessageLog:
            """The log that posted this."""
            return self.message_log

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self.entries: list[LogEntry] = []
        """Every entry written (the transcript as shown)."""
        self._pending: list[LogEntry] = []
        self._flush_scheduled = False
        self.history_freezer = HistoryFreezer()
        """Keeps the growing history out of the GC's full scans (see `gc_policy`)."""
        self._lines: list[tuple[int, int, str]] = []
        """Display lines: (entry index, line number within the entry or `_CUT_NOTE`, text)."""
        self._wrap_width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        self._styles: dict[str, Style] = {}
        self.unseen = 0
        """Entries added since the user scrolled up that are still below the view."""
        self._first_unseen: int | None = None
        """Index of the first entry added while the user was scrolled up (None when all were seen)."""
        self.answered: dict[int, int] = {}
        """Offer -> the index of the choice picked (an answered offer takes no more picks)."""
        self.closed: dict[int, str] = {}
        """Offers that can no longer be answered, with why ("an earlier conversation", "the conversation has
        ended")."""
        self.highlight: tuple[int, int] | None = None
        """(offer, choice index) the arrow keys are on."""
        self._offer_entries: dict[int, int] = {}
        """Offer -> index of its choices entry."""
        self._spans: dict[int, list[tuple[int, int, int]]] = {}
        """Display line -> (start, end, choice index) of each choice drawn on it (x after the indent)."""
        self._following = True
        """Whether the view sticks to the newest line. Kept as state (updated when the user scrolls) because a
        resize changes the size before `on_resize` runs, so "at the end" can no longer be read off then."""

    # ------------------------------------------------------------------ writing

    def write(self, entry: LogEntry) -> None:
        """Queue one entry; it is drawn on the next frame."""
        self._pending.append(entry)
        self._schedule_flush()

    def extend(self, entries: list[LogEntry]) -> None:
        """Queue many entries; they are drawn together on the next frame."""
        if entries:
            self._pending.extend(entries)
            self._schedule_flush()

    def write_system(self, text: str, time: str = "", role: str = "system") -> None:
        """Queue a system line (join/leave, state changes, notices)."""
        self.write(LogEntry(time=time, sender="", role=role, body=text))

    @property
    def line_count(self) -> int:
        """Number of display lines currently laid out."""
        return len(self._lines)

    def plain_lines(self) -> list[str]:
        """The laid-out display lines as plain text (for tests and accessibility checks)."""
        return [self._line_text(i) for i in range(len(self._lines))]

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.set_timer(1 / 60, self._flush, name="message-log-flush")

    def _flush(self) -> None:
        self.flush()

    def flush(self) -> None:
        """Write everything queued since the last frame in one go (now, instead of on the next frame)."""
        self._flush_scheduled = False
        pending, self._pending = self._pending, []
        if not pending:
            return
        following = self._following
        start = len(self.entries)
        self.entries.extend(pending)
        if self._wrap_width > 0:
            self._layout_entries(start)
        self.virtual_size = Size(self._wrap_width, len(self._lines))
        if following and not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            if self._first_unseen is None:
                self._first_unseen = start
            self._count_unseen()
        self.refresh()
        self.history_freezer.added(len(pending))
        if any(entry.choices for entry in pending):
            self.post_message(self.ChoicesChanged())

    # ------------------------------------------------------------------ layout

    def _content_width(self) -> int:
        return max(0, self.scrollable_content_region.width)

    def _layout_entries(self, start: int) -> None:
        width = self._wrap_width
        lines = self._lines
        rest = max(8, width - 6)
        for index in range(start, len(self.entries)):
            entry = self.entries[index]
            if entry.choices:
                if entry.offer >= 0:
                    self._offer_entries[entry.offer] = index
                self._layout_choices(index, entry, rest)
                continue
            body = entry.body
            cut = len(body) - DISPLAY_CAP
            if cut > 0:
                body = body[:DISPLAY_CAP]
            parts = wrap_text(body, max(1, width - self._prefix_width(entry)), rest)
            for number, part in enumerate(parts):
                lines.append((index, number, part))
            if cut > 0:
                for part in wrap_text(cut_note(cut), rest, rest):
                    lines.append((index, _CUT_NOTE, part))

    def _layout_choices(self, index: int, entry: LogEntry, width: int) -> None:
        """A lead line, then the numbered choices packed into rows (a choice is cut only when longer than a
        whole row)."""
        lines = self._lines
        lines.append((index, 0, ""))
        row: list[tuple[int, int, int]] = []
        text = ""
        for number, label in enumerate(entry.choices):
            token = f"[{number + 1}] {sanitize_line(label)}"
            if cell_len(token) > width:
                token = chop_cells(token, width - 1)[0] + "…"
            gap = "   " if text else ""
            if text and cell_len(text) + len(gap) + cell_len(token) > width:
                self._spans[len(lines)] = row
                lines.append((index, 1, text))
                row, text, gap = [], "", ""
            start = cell_len(text) + len(gap)
            text += gap + token
            row.append((start, cell_len(text), number))
        if row:
            self._spans[len(lines)] = row
            lines.append((index, 1, text))

    def _prefix_width(self, entry: LogEntry) -> int:
        time_w = len(entry.time) + 1 if entry.time else 0
        if entry.role == "failed":
            return time_w + len("✗ not sent ") + cell_len(self._shown_sender(entry)) + 2
        if entry.sender:
            return time_w + cell_len(self._shown_sender(entry)) + 2
        return time_w + 2

    def _shown_sender(self, entry: LogEntry) -> str:
        """The sender's name, cut with "…" to a third of the line so the message itself stays readable."""
        name = sanitize_line(entry.sender)
        limit = max(12, self._wrap_width // 3)
        if cell_len(name) <= limit:
            return name
        return chop_cells(name, limit - 1)[0] + "…"

    def _relayout(self) -> None:
        """Re-wrap every entry for the current width (on resize)."""
        width = self._content_width()
        if width <= 0 or width == self._wrap_width:
            return
        following = self._following
        self._wrap_width = width
        self._lines = []
        self._spans = {}
        self._cache.clear()
        self._layout_entries(0)
        self.virtual_size = Size(width, len(self._lines))
        if following:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        self.refresh()

    def on_resize(self) -> None:
        self._relayout()
        self.call_after_refresh(self._relayout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._following = self.is_vertical_scroll_end
        if self._first_unseen is not None:
            self._count_unseen()

    def _count_unseen(self) -> None:
        """Recount the new entries still below the view (paging down through them counts them down)."""
        first = self._first_unseen
        if first is None:
            return
        bottom = int(self.scroll_y) + max(1, self.scrollable_content_region.height) - 1
        if self.is_vertical_scroll_end or bottom >= len(self._lines) - 1:
            unseen = 0
        else:
            unseen = len(self.entries) - max(first, self._lines[bottom][0] + 1)
        if unseen <= 0:
            unseen = 0
            self._first_unseen = None
        if unseen != self.unseen:
            self.unseen = unseen
            self.post_message(self.UnseenChanged(self, unseen))

    def action_scroll_newest(self) -> None:
        """Jump to the newest entry."""
        self.scroll_end(animate=False)

    # ------------------------------------------------------------------ rendering

    def _style(self, key: str) -> Style:
        style = self._styles.get(key)
        if style is None:
            # The colour is blended over the pane's background here: a theme colour with alpha (muted text)
            # taken as a Rich style would lose its alpha and be drawn at full strength.
            styles = self.get_component_styles(f"message-log--{key}")
            background = self.background_colors[1]
            colour = readable(styles.color, background, _MINIMUM_CONTRAST.get(key, NORMAL_TEXT))
            style = Style(color=colour.rich_color) + styles.text_style
            self._styles[key] = style
        return style

    def _choice_segments(self, y: int, entry: LogEntry, number: int, text: str) -> list[Segment]:
        answered = self.answered.get(entry.offer)
        closed = entry.offer in self.closed and answered is None
        if number == 0:
            if entry.offer < 0:
                return [
                    Segment(" " * 6),
                    Segment("offered to the guest (only the guest picks)", self._style("system")),
                ]
            if closed:
                return [
                    Segment(" " * 6),
                    Segment(f"no longer open ({self.closed[entry.offer]})", self._style("system")),
                ]
            if answered is not None:
                lead = f"✓ answered: {sanitize_line(entry.choices[answered])}"
                return [Segment(" " * 6), Segment(lead, self._style("choice-chosen"))]
            count = len(entry.choices)
            keys = "1" if count == 1 else f"1–{min(count, 9)}"
            lead = f"choose: {keys}, or ←/→ and Enter, or click (f4 jumps here)"
            return [Segment(" " * 6), Segment(lead, self._style("system"))]
        segments = [Segment(" " * 6)]
        at = 0
        for start, end, choice in self._spans.get(y, []):
            if start > at:
                segments.append(Segment(text[at:start]))
            if closed:
                key = "choice-closed"
            elif answered is not None:
                key = "choice-chosen" if choice == answered else "choice-closed"
            elif self.highlight == (entry.offer, choice):
                key = "choice-highlight"
            else:
                key = "choice"
            segments.append(Segment(text[start:end], self._style(key)))
            at = end
        return segments

    def _segments(self, y: int) -> list[Segment]:
        index, number, text = self._lines[y]
        entry = self.entries[index]
        if entry.choices:
            return self._choice_segments(y, entry, number, text)
        text = sanitize_text(text)
        if number == _CUT_NOTE:
            return [Segment(" " * 6), Segment(text, self._style("notice"))]
        if number > 0:
            body_key = {"own": "own-body", "failed": "failed"}.get(entry.role, "body" if entry.sender else "")
            body_key = body_key or (entry.role if entry.role in ("notice", "error", "content") else "system")
            return [Segment(" " * 6), Segment(text, self._style(body_key))]
        segments: list[Segment] = []
        if entry.time:
            segments.append(Segment(entry.time + " ", self._style("time")))
        if entry.role == "failed":
            segments.append(Segment("✗ not sent ", self._style("error")))
            segments.append(Segment(self._shown_sender(entry), self._style("own")))
            segments.append(Segment(": "))
            segments.append(Segment(text, self._style("failed")))
        elif entry.sender:
            segments.append(Segment(self._shown_sender(entry), self._style(entry.role)))
            segments.append(Segment(": "))
            segments.append(Segment(text, self._style("own-body" if entry.role == "own" else "body")))
        elif entry.role == "content":
            segments.append(Segment("▸ " + text, self._style("content")))
        else:
            role = entry.role if entry.role in ("notice", "error") else "system"
            segments.append(Segment("· " + text, self._style(role)))
        return segments

    # ------------------------------------------------------------------ choices

    def open_choices(self) -> list[tuple[int, int]]:
        """(offer, choice index) of every choice still open, oldest offer first."""
        out: list[tuple[int, int]] = []
        for offer, index in sorted(self._offer_entries.items(), key=lambda item: item[1]):
            if offer not in self.answered and offer not in self.closed:
                out.extend((offer, n) for n in range(len(self.entries[index].choices)))
        return out

    def mark_answered(self, offer: int, index: int) -> None:
        """Show `offer` as answered with choice `index` (it takes no more picks)."""
        self.answered[offer] = index
        if self.highlight is not None and self.highlight[0] == offer:
            self.highlight = None
        self._cache.clear()
        self.refresh()
        self.post_message(self.ChoicesChanged())

    def close_offers(self, offers: Iterable[int], why: str) -> None:
        """`offers` stop taking picks (a new conversation began after them, or the conversation ended); an
        offer closed before keeps its first reason."""
        for offer in offers:
            self.closed.setdefault(offer, why)
        self.highlight = None
        self._cache.clear()
        self.refresh()
        self.post_message(self.ChoicesChanged())

    def reopen(self, offer: int) -> None:
        """Take back an answer that could not be sent (the offer takes picks again)."""
        self.answered.pop(offer, None)
        self._cache.clear()
        self.refresh()
        self.post_message(self.ChoicesChanged())

    def focus_choices(self) -> bool:
        """Focus the log with the first choice of the newest open offer highlighted; False when none is
        open."""
        choices = self.open_choices()
        if not choices:
            return False
        newest = choices[-1][0]
        self.highlight = next(c for c in choices if c[0] == newest)
        self._show_highlight()
        self.focus()
        return True

    def _show_highlight(self) -> None:
        self._cache.clear()
        self.refresh()
        if self.highlight is None:
            return
        entry_index = self._offer_entries.get(self.highlight[0])
        for y, (index, _, _) in enumerate(self._lines):
            if index == entry_index:
                self.scroll_to(y=max(0, y - 1), animate=False)
                break

    def action_move_choice(self, step: int) -> None:
        """Move the highlight to the previous/next open choice."""
        choices = self.open_choices()
        if not choices:
            self.app.bell()
            return
        if self.highlight not in choices:
            self.highlight = choices[-1] if step < 0 else choices[0]
        else:
            position = choices.index(self.highlight) + step
            self.highlight = choices[max(0, min(len(choices) - 1, position))]
        self._show_highlight()

    def action_done(self) -> None:
        """Drop the highlight and ask the screen to focus the message box."""
        self.highlight = None
        self._cache.clear()
        self.refresh()
        self.post_message(self.Done())

    def action_pick(self) -> None:
        """Pick the highlighted choice."""
        if self.highlight is None or self.highlight[0] in self.answered:
            self.app.bell()
            return
        offer, index = self.highlight
        self.post_message(self.ChoicePicked(self, offer, index))

    def on_key(self, event: events.Key) -> None:
        """A digit picks that choice of the highlighted offer, else of the newest open one."""
        character = event.character
        if character is None or not character.isdigit() or character == "0":
            return
        choices = self.open_choices()
        if not choices:
            return
        event.stop()
        event.prevent_default()
        offer = self.highlight[0] if self.highlight in choices else choices[-1][0]
        number = int(character) - 1
        if (offer, number) in choices:
            self.post_message(self.ChoicePicked(self, offer, number))
        else:
            self.app.bell()

    def on_click(self, event: events.Click) -> None:
        """A click on a choice picks it."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        y = int(self.scroll_y) + offset.y
        if y >= len(self._lines):
            return
        index, number, _ = self._lines[y]
        entry = self.entries[index]
        if not entry.choices or number == 0 or entry.offer < 0:
            return
        if entry.offer in self.answered or entry.offer in self.closed:
            return
        x = offset.x + int(self.scroll_x) - 6
        for start, end, choice in self._spans.get(y, []):
            if start <= x < end:
                event.stop()
                self.highlight = (entry.offer, choice)
                self._show_highlight()
                self.post_message(self.ChoicePicked(self, entry.offer, choice))
                return

    def _line_text(self, y: int) -> str:
        return "".join(segment.text for segment in self._segments(y))

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._cache.get(index)
        if strip is None:
            strip = Strip(self._segments(index)).apply_style(base)
            self._cache[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, index)
