"""Readable text in every theme the app offers (issue 9 major 1).

One chat is drawn in each theme; the colours are read back from the rendered screen (the segments the
compositor would write, so Textual's theme variables, alpha blending and component styles are all resolved
as they are for a real terminal) and the WCAG contrast ratio of each text style against its own background is
computed: at least 4.5:1 for every text style, 3:1 for deliberately dimmed text (a disconnected member), and
muted text (times, system lines) quieter than message text.
"""

from __future__ import annotations

from typing import Any

from rich.color import Color as RichColor
from rich.segment import Segment
from textual.pilot import Pilot

from tests.tui.helpers import build_app, conversation_id, wait_until
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.widgets.message_log import MessageLog

NORMAL = 4.5
DIMMED = 3.0

# (what, text to find on screen, required ratio)
PROBES: list[tuple[str, str, float]] = [
    ("time", "12:00 ", NORMAL),
    ("system line", "· Alex Rivera joined the chat", NORMAL),
    ("message text", "Hi Ada, I'm Alex", NORMAL),
    ("notice line", "· Probe notice line", NORMAL),
    ("error line", "· Probe error line", NORMAL),
    ("muted (composer hint)", "enter send", NORMAL),
    ("muted (member detail)", "agent", NORMAL),
    ("typing indicator", "is typing", NORMAL),
    ("placeholder", "message and press Enter", NORMAL),  # not its first letter: the cursor is there
    ("status line", "Connected to Alex Rivera", NORMAL),
    ("dimmed member", "○ Support", DIMMED),
    ("member name", "● Alex Rivera", NORMAL),
]


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two colours."""
    a, b = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _rgb(color: RichColor | None) -> tuple[int, int, int]:
    assert color is not None, "a segment without an explicit colour"
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def _segment_for(app: WebchatApp, text: str) -> Segment:
    """The rendered segment holding the first character of `text` on screen (after a leading marker such as
    "○ ", the name it marks)."""
    for strip in app.screen._compositor.render_strips():
        segments = list(strip)
        row = "".join(s.text for s in segments)
        at = row.find(text)
        if at < 0:
            continue
        if text[:2] in ("○ ", "● "):
            at += 2
        position = 0
        for segment in segments:
            if position <= at < position + len(segment.text):
                return segment
            position += len(segment.text)
    raise AssertionError(f"{text!r} is not on screen")


def measure(app: WebchatApp) -> dict[str, float]:
    """The contrast ratio of each probe's text against its own background, as drawn now."""
    ratios: dict[str, float] = {}
    for what, text, _ in PROBES:
        style = _segment_for(app, text).style
        assert style is not None
        ratios[what] = contrast(_rgb(style.color), _rgb(style.bgcolor))
    return ratios


async def _chat_with_every_style(pilot: Pilot[Any], app: WebchatApp, control: Any) -> ChatScreen:
    await pilot.pause()
    await pilot.press(*"Ada", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
    screen = app.screen
    assert isinstance(screen, ChatScreen)
    log = screen.query_one(MessageLog)
    await wait_until(pilot, lambda: any("Hi Ada" in e.body for e in log.entries))
    screen.say("Probe notice line", role="notice")
    screen.say("Probe error line", role="error")
    control.agent_typing(conversation_id(app))
    await wait_until(pilot, lambda: "is typing" in "\n".join(_rows(app)))
    return screen


def _rows(app: WebchatApp) -> list[str]:
    return ["".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()]


async def test_every_text_style_is_readable_in_every_offered_theme(emu: Any, control: Any) -> None:
    """Every theme the app offers (the palette's list): each text style reaches 4.5:1 against its own
    background (3:1 for a disconnected member, dimmed on purpose), muted text (time, system lines) is quieter
    than message text, and a disconnected member is dimmer than a connected one."""
    app = build_app(emu, session_options={"typing_expiry": 3600.0})
    failures: list[str] = []
    async with app.run_test(size=(110, 30)) as pilot:
        await _chat_with_every_style(pilot, app, control)
        themes = sorted(app.available_themes)
        assert "textual-dark" in themes and "textual-light" in themes
        for theme in themes:
            app.theme = theme
            ratios: dict[str, float] = {}
            for _ in range(20):  # until the redraw in the new theme has settled (two equal readings)
                await pilot.pause(0.05)
                previous, ratios = ratios, measure(app)
                if ratios == previous:
                    break
            for what, _, required in PROBES:
                if ratios[what] < required:
                    failures.append(f"{theme}: {what} {ratios[what]:.2f} < {required}")
            for muted in ("time", "system line"):
                if not ratios[muted] < ratios["message text"]:
                    failures.append(f"{theme}: {muted} ({ratios[muted]:.2f}) not quieter than message text")
            if not ratios["dimmed member"] < ratios["member name"]:
                failures.append(
                    f"{theme}: a disconnected member ({ratios['dimmed member']:.2f}) is not dimmer than a "
                    f"connected one ({ratios['member name']:.2f})"
                )
    assert not failures, "\n".join(failures)
