"""`wrap_text`, the message pane's cell-aware word wrap (pure function)."""

from __future__ import annotations

from rich.cells import cell_len

from webchat_tui.tui.widgets.message_log import wrap_text


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
