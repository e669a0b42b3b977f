"""Read what a running app shows as plain text (for assertions on the rendered screen)."""

from __future__ import annotations

from textual.app import App


def screen_text(app: App[object]) -> str:
    """The whole screen as it would be drawn now, one line per row, styles dropped."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip).rstrip() for strip in strips)
