"""The saved transcripts against the pane: both exports carry every line the pane showed (joins, leaves, a
transfer, media requests with type, outcome and the time of each change, the end reason), and Markdown
block syntax in chat text stays text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from markdown_it import MarkdownIt

from tests.tui.helpers import build_app, conversation_id, wait_for_media_dialog, wait_until
from webchat_tui.api.session_types import SessionState
from webchat_tui.api.transcript import (
    Transcript,
    TranscriptLine,
    escape_markdown,
    transcript_markdown,
)
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.media_request import MediaRequestScreen
from webchat_tui.tui.widgets.message_log import MessageLog

BLOCK_SYNTAX = [
    "Title",
    "===",
    "---",
    "# heading",
    "> quote",
    "    indented code",
    "```",
    "1. item",
    "- item",
    "+ x",
]


def test_markdown_block_syntax_in_chat_text_stays_text() -> None:
    """Issue 8 item 18: a `===` line under a line of text (and every other block construct) does not become
    a heading, rule, quote, list or code block in the exported Markdown: rendered, the transcript has only
    its own title as a heading and every chat line as plain paragraph text."""
    at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    lines = [TranscriptLine(at, "Alex Rivera", "agent", "\n".join(BLOCK_SYNTAX))]
    lines += [TranscriptLine(at, "Ada", "own", text) for text in BLOCK_SYNTAX]
    t = Transcript("c1", at, SessionState.ENDED, None, (), (), (), lines)
    html = MarkdownIt("commonmark").render(transcript_markdown(t))
    assert html.count("<h1>") == 1 and "<h2>" not in html
    for tag in ("<hr", "<pre>", "<blockquote>", "<ol>"):
        assert tag not in html, tag
    assert (
        html.count("<ul>") == 1 and html.count("<li>") == 3
    )  # the header's list: conversation, started, times
    assert html.count("<code>") == 1  # the conversation id
    for text in ("Title", "===", "---", "# heading", "indented code", "1. item", "+ x"):
        assert text in html.replace("&gt;", ">"), text


def _entries(app: WebchatApp) -> list[Any]:
    for screen in app.screen_stack:
        if isinstance(screen, ChatScreen):
            return list(screen.query_one(MessageLog).entries)
    raise AssertionError("no chat screen")


def _text(app: WebchatApp) -> str:
    return "\n".join(e.body for e in _entries(app))


async def test_both_exports_carry_every_line_of_the_pane(emu: Any, control: Any, tmp_path: Any) -> None:
    """Issue 9 major 2: after joins, a message with `===`, four media requests (accepted, declined, cancelled,
    timed out), a transfer to Sam Chen and the end, every line of the pane is in the Markdown export (in
    order) and in the JSON export's `lines`; each media request in the JSON has its types and every state
    change with its time; the end reason is in both."""
    app = build_app(emu, tmp_path)
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"Ada", "enter")
        await wait_until(pilot, lambda: "Hi Ada" in _text(app))
        cid = conversation_id(app)
        control.agent_messages(cid, bodies=["Heading?\n==="])
        control.set_config(mediaRequestTimeout=10_000.0)

        control.media_request(cid, ["SCREENSHARE"])
        await wait_for_media_dialog(pilot)
        await pilot.press("a")
        await wait_until(pilot, lambda: "You accepted the screen share request" in _text(app))
        control.media_request(cid, ["COBROWSE"])
        await wait_for_media_dialog(pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: "You declined the co-browse request" in _text(app))
        third = control.media_request(cid, ["COBROWSE"])
        await wait_for_media_dialog(pilot)
        control.cancel_media_request(cid, third["id"])
        await wait_until(pilot, lambda: "The co-browse request was cancelled" in _text(app))
        control.set_config(mediaRequestTimeout=25.0)  # x0.02 time scale = 0.5 s
        control.media_request(cid, ["SCREENSHARE"])
        await wait_until(pilot, lambda: "The screen share request timed out" in _text(app))
        await wait_until(pilot, lambda: not isinstance(app.screen, MediaRequestScreen))

        control.transfer(cid)
        await wait_until(pilot, lambda: "You were transferred to" in _text(app))
        control.end(cid)
        await wait_until(pilot, lambda: "Chat ended:" in _text(app))
        await pilot.pause(0.2)

        shown = _entries(app)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(app.screen.saved_paths) == 1)  # type: ignore[attr-defined]
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: len(app.screen.saved_paths) == 2)  # type: ignore[attr-defined]
        markdown_path, json_path = app.screen.saved_paths  # type: ignore[attr-defined]
        markdown = markdown_path.read_text()
        data = json.loads(json_path.read_text())

    # Markdown: every pane line, in the pane's order.
    position = 0
    for entry in shown:
        first_part = escape_markdown(entry.body.split("\n")[0])
        found = markdown.find(first_part, position)
        assert found >= 0, f"not in the Markdown export (in order): {entry.body!r}"
        position = found
    # JSON: the same lines, text for text, role for role.
    assert [(line["text"], line["role"]) for line in data["lines"][: len(shown)]] == [
        (e.body, e.role) for e in shown
    ]
    assert "Transcript saved to" in data["lines"][-1]["text"]  # the Markdown save, shown before this one
    # Media requests: types, outcomes and the time of each change.
    changes = {r["id"]: r for r in data["mediaRequests"]}
    outcomes = sorted(r["changes"][-1]["state"] for r in changes.values())
    assert outcomes == ["ACCEPTED", "CANCELLED", "DECLINED", "TIMEDOUT"]
    for request in changes.values():
        assert request["types"] and [c["state"] for c in request["changes"]][0] == "PENDING"
        assert all(datetime.fromisoformat(c["at"]) for c in request["changes"])
    for words in ("asks to start a screen share", "asks to start a co-browse", "You were transferred to"):
        assert words in markdown, words
    assert "Heading?  \n\\===" in markdown  # the `===` line stays text
    assert data["endReason"] == "The agent ended the chat"
    assert "- Ended: The agent ended the chat" in markdown
