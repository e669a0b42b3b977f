"""Readable colours: a theme colour as it is drawn over its background, and nudged until it reads.

Theme colours may carry alpha or be "auto" (Textual picks white or black against the background); as Rich
styles both would be lost, so they are resolved here against the actual background. `readable` then mixes a
colour toward the background's contrast colour (white or black) until it reaches a WCAG contrast ratio, so
every theme stays legible without changing its look where it already is.
"""

from __future__ import annotations

from textual.color import Color

__all__ = ["NORMAL_TEXT", "DIMMED_TEXT", "UNOFFERED_THEMES", "contrast_ratio", "drawn", "readable"]

NORMAL_TEXT = 4.5
"""WCAG AA for normal text."""
DIMMED_TEXT = 3.0
"""Text dimmed on purpose (a disconnected member)."""


def drawn(foreground: Color, background: Color) -> Color:
    """`foreground` as it appears over the opaque `background` (auto colour and alpha resolved)."""
    if foreground.auto:
        foreground = background.get_contrast_text(foreground.a)
    return background + foreground


def _luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def contrast_ratio(first: Color, second: Color) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def readable(foreground: Color, background: Color, minimum: float = NORMAL_TEXT) -> Color:
    """`foreground` drawn over `background`, mixed toward white or black just enough to reach `minimum`."""
    colour = drawn(foreground, background)
    if contrast_ratio(colour, background) >= minimum:
        return colour
    target = background.get_contrast_text(1.0)
    for step in range(1, 21):
        mixed = colour.blend(target, step / 20)
        if contrast_ratio(mixed, background) >= minimum:
            return mixed
    return target


UNOFFERED_THEMES = ("ansi-dark", "ansi-light")
"""Themes the app does not offer: drawn in the terminal's own palette, their contrast cannot be checked."""
