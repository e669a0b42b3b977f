"""Make remote text inert before it reaches any screen.

Chat text is data, never markup. This module removes everything in a string that could make a terminal do more
than show the text: C0 control characters (except newline and tab), DEL, C1 controls (which include the 8-bit
CSI and OSC introducers), and the Unicode bidirectional overrides and isolates that can reorder what is shown.
Rich/Textual markup is *not* escaped here: the UI renders remote text through `Text`/`Content` objects, which
never parse markup; escaping here would change what the user sees.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["sanitize_text", "sanitize_line", "sanitize_json", "is_inert", "MAX_JSON_DEPTH"]

# C0 controls except \t (0x09) and \n (0x0a); DEL; C1 controls (0x80-0x9f);
# bidi embeddings/overrides (U+202A-U+202E), isolates (U+2066-U+2069), LRM/RLM/ALM marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def sanitize_text(text: str) -> str:
    """Return ``text`` without control characters or bidi overrides; newlines and tabs are kept.

    A carriage return is dropped rather than turned into a newline, so ``"a\\r\\nb"`` becomes ``"a\\nb"``.
    The escape character is removed, which leaves the rest of an escape sequence (``[2J``) visible as
    plain, harmless text.
    """
    if text.isprintable():
        return text
    return _UNSAFE.sub("", text)


def sanitize_line(text: str) -> str:
    """Like `sanitize_text`, for one-line values (names, custom fields): newlines and tabs become spaces."""
    if text.isprintable():
        return text
    return _UNSAFE_LINE.sub("", text.replace("\n", " ").replace("\t", " "))


MAX_JSON_DEPTH = 64
"""Nesting kept by `sanitize_json`; anything deeper becomes None (no real payload nests this deep)."""


def is_inert(text: str) -> bool:
    """True when ``text`` holds nothing `sanitize_text` would remove (no control or bidi character)."""
    return text.isprintable() or _UNSAFE.search(text) is None


def sanitize_json(value: Any, *, depth: int = 0) -> Any:
    """A copy of decoded JSON with every string made inert: keys with `sanitize_line`, values with
    `sanitize_text`. Containers nested deeper than `MAX_JSON_DEPTH` become None (never a RecursionError)."""
    if isinstance(value, str):
        return sanitize_text(value)
    if isinstance(value, dict):
        if depth >= MAX_JSON_DEPTH:
            return None
        return {
            sanitize_line(k) if isinstance(k, str) else k: sanitize_json(v, depth=depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        if depth >= MAX_JSON_DEPTH:
            return None
        return [sanitize_json(v, depth=depth + 1) for v in value]
    return value
