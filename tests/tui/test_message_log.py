"""`wrap_text` (the message pane's cell-aware word wrap) and the pane's behaviour on resize."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.app import App, ComposeResult

from tests.tui.helpers import wait_until
from tests.tui.screen_text import screen_text
from webchat_tui.tui.widgets.message_log import DISPLAY_CAP, LogEntry, MessageLog, cut_note, wrap_text


def test_short_text_is_one_line() -> None:
    """Text that fits stays as is."""
    assert wrap_text("hello", 10, 10) == ["hello"]


def test_words_wrap_with_different_first_and_rest_widths() -> None:
    """The first line has its own width (after the sender prefix); words are not split."""
    assert wrap_text("aaa bbb ccc ddd", 7, 11) == ["aaa bbb", "ccc ddd"]
    assert wrap_text("aaa bbb ccc ddd", 4, 4) == ["aaa", "bbb", "ccc", "ddd"]


def test_newlines_tabs_and_long_words() -> None:
    """Newlines start lines, tabs become spaces, an over-long word is cut."""
    assert wrap_text("a\nb", 10, 10) == ["a", "b"]
    assert wrap_text("a\tb", 10, 10) == ["a   b"]
    assert wrap_text("x" * 25, 10, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_wide_characters_are_measured_in_cells() -> None:
    """CJK characters take two cells each; no line is wider than allowed."""
    lines = wrap_text("漢字" * 10, 9, 9)
    assert "".join(lines) == "漢字" * 10
    assert all(cell_len(line) <= 9 for line in lines)


class LogApp(App[None]):
    """Just the transcript pane, for layout tests that need no chat."""

    def compose(self) -> ComposeResult:
        yield MessageLog(id="log")


async def test_resize_keeps_following_the_newest_line() -> None:
    """A reader at the bottom stays at the bottom when the terminal shrinks (the lines re-wrap, the view
    must not jump back into the middle of the transcript)."""
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(MessageLog)
        log.extend([LogEntry("12:00", "Agent", "agent", " ".join(f"w{i:04d}" for i in range(600)))])
        log.write(LogEntry("12:01", "Agent", "agent", "the newest line"))
        await wait_until(pilot, lambda: log.line_count > 30 and log.is_vertical_scroll_end)
        for size in ((80, 24), (50, 15), (100, 30)):
            await pilot.resize_terminal(*size)
            await wait_until(pilot, lambda: log.scrollable_content_region.width == log._wrap_width)
            await pilot.pause()
            assert log.is_vertical_scroll_end, size
            assert "the newest line" in screen_text(app), size


async def test_resize_leaves_a_reader_scrolled_up_where_they_were() -> None:
    """Someone reading history (scrolled up) is not pulled to the bottom by a resize."""
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(MessageLog)
        log.extend([LogEntry("12:00", "Agent", "agent", f"message {i}") for i in range(100)])
        await wait_until(pilot, lambda: log.line_count == 100 and log.is_vertical_scroll_end)
        log.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        await pilot.resize_terminal(80, 24)
        await wait_until(pilot, lambda: log.scrollable_content_region.width == log._wrap_width)
        await pilot.pause()
        assert log.scroll_y == 0


def test_long_words_are_cut_at_the_width_of_each_line() -> None:
    """A word longer than a line is cut at the first line's width, then at the other lines' width; a word
    that only misses the (short) first line starts on the next line instead of being cut letter by letter."""
    assert wrap_text("abcdefghij", 3, 4) == ["abc", "defg", "hij"]
    assert wrap_text("hello world", 1, 20) == ["", "hello world"]


async def test_a_very_long_sender_name_is_shortened_and_the_message_stays_readable() -> None:
    """A 150-character display name is cut with "…" so the message is still on the screen, word by word."""
    app = LogApp()
    async with app.run_test(size=(80, 12)) as pilot:
        log = app.query_one(MessageLog)
        log.write(LogEntry("12:00", "N" * 150, "agent", "hello there, this is the message"))
        await wait_until(pilot, lambda: log.line_count > 0)
        await pilot.pause()
        text = screen_text(app)
        assert "…: hello there, this is the message" in text
        assert "N" * 30 not in text


def test_a_huge_word_is_cut_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 8: wrapping was quadratic (the rest of an over-long word was re-measured for every piece). A
    100,000-character word is now cut in one pass: a bounded number of cell-measuring calls, whatever the
    word's length, and the pieces are exact."""
    import webchat_tui.tui.widgets.message_log as module

    calls = 0
    real = module.chop_cells

    def counting(text: str, width: int) -> list[str]:
        nonlocal calls
        calls += 1
        if calls > 5:
            raise AssertionError("the word is re-measured piece by piece")
        return real(text, width)

    monkeypatch.setattr(module, "chop_cells", counting)
    word = "é" * 100_000
    lines = wrap_text(word, 7, 10)
    assert lines[0] == "é" * 7
    assert all(line == "é" * 10 for line in lines[1:-1])
    assert "".join(lines) == word
    ascii_lines = wrap_text("x" * 100_000, 7, 10)
    assert ascii_lines[0] == "x" * 7 and len(ascii_lines) == 1 + (100_000 - 7 + 9) // 10
    assert "".join(ascii_lines) == "x" * 100_000


async def test_a_message_over_the_display_cap_is_shown_cut_with_a_note() -> None:
    """A 100,000-character word is shown cut at 20,000 characters with a note saying 80,000 more are not
    shown; the entry (what transcripts save) keeps all of it; a resize re-wraps it and keeps the note."""
    app = LogApp()
    async with app.run_test(size=(100, 30)) as pilot:
        log = app.query_one(MessageLog)
        log.write(LogEntry("12:00", "Agent", "agent", "w" * 100_000))
        log.write(LogEntry("12:01", "Agent", "agent", "after the huge one"))
        await wait_until(pilot, lambda: log.line_count > 200 and log.is_vertical_scroll_end)
        note = cut_note(100_000 - DISPLAY_CAP)
        assert "80,000 more characters not shown" in note
        await wait_until(pilot, lambda: "80,000 more characters not shown" in screen_text(app))
        shown = [text for index, number, text in log._lines if index == 0 and number >= 0]
        assert "".join(shown) == "w" * DISPLAY_CAP
        assert len(log.entries[0].body) == 100_000
        await pilot.resize_terminal(60, 20)
        await wait_until(pilot, lambda: log.scrollable_content_region.width == log._wrap_width)
        await pilot.pause()
        assert "after the huge one" in screen_text(app)
        assert any("80,000 more characters not shown" in line for line in log.plain_lines())
