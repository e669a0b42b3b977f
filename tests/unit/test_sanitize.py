"""Remote text is made inert: no control character, escape introducer or bidi override survives."""

from __future__ import annotations

import pytest

from webchat_tui.sanitize import sanitize_line, sanitize_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text [bold]not markup[/]", "plain text [bold]not markup[/]"),  # markup stays literal
        ("\x1b[2J\x1b[31mred\x1b[0m", "[2J[31mred[0m"),  # CSI loses its ESC: harmless visible text
        ("\x1b]8;;http://evil.example\x07link\x1b]8;;\x07", "]8;;http://evil.examplelink]8;;"),  # OSC 8
        ("a\x9b31mb", "a31mb"),  # 8-bit CSI (C1)
        ("bell\x07 back\x08space del\x7f", "bell backspace del"),
        ("line one\r\nline two\ttab", "line one\nline two\ttab"),
        ("user\u202egnp.exe", "usergnp.exe"),  # right-to-left override
        ("iso\u2066late\u2069d \u200fmark", "isolated mark"),
        ("emoji 🙂 and ünïcödé", "emoji 🙂 and ünïcödé"),
    ],
)
def test_sanitize_text(raw: str, shown: str) -> None:
    assert sanitize_text(raw) == shown


def test_sanitize_line_flattens_newlines_and_tabs() -> None:
    assert sanitize_line("Ada\nLovelace\t\x1b[1m") == "Ada Lovelace [1m"


def test_nothing_unsafe_survives_any_code_point_below_0x3000() -> None:
    everything = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF)
    cleaned = sanitize_text(everything)
    unsafe = [c for c in cleaned if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F]
    unsafe += [c for c in cleaned if c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"]
    assert unsafe == []
