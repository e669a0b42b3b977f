"""SVG snapshots of every screen (pytest-textual-snapshot). Review changes in snapshot_report.html and
accept them with `pytest tests/snapshots --snapshot-update`. Scenarios live in `scenarios.py` and also drive
`make screenshots`."""

from __future__ import annotations

from typing import Any

from tests.snapshots.scenarios import SCENARIOS


def _compare(name: str, snap_compare: Any, emu: Any, control: Any) -> bool:
    scenario = SCENARIOS[name]
    return bool(
        snap_compare(scenario.app(emu), terminal_size=scenario.size, run_before=scenario.run_before(control))
    )


def test_join_empty(snap_compare: Any, emu: Any, control: Any) -> None:
    """The join form as it opens on Web Chat v2 (a "Channel  Web Chat v2" select under the display name):
    header "Join a chat · local emulator", the sections You, Custom fields and
    Routing, queue "Support" with the hint "This emulator's queues: Support, Sales, Billing, Night Shift",
    the display name row focused (bold accent label, lighter row), the whole Start button (both edges) above
    the footer, disabled; the footer shows ^f Add field, ^q Quit, f1 Help (ctrl+t is in help and the
    palette); no error text."""
    assert _compare("join_empty", snap_compare, emu, control)


def test_join_invalid(snap_compare: Any, emu: Any, control: Any) -> None:
    """Red errors under Display name ("Enter the name the agent will see."), Email ("Not an email address
    (use name@example.com).") and Phone ("Use digits…"), the status "3 fields need attention", and Start
    disabled."""
    assert _compare("join_invalid", snap_compare, emu, control)


def test_join_valid(snap_compare: Any, emu: Any, control: Any) -> None:
    """Name Ada Lovelace, email ada@example.com, no errors, and an enabled Start chat button."""
    assert _compare("join_valid", snap_compare, emu, control)


def test_join_help(snap_compare: Any, emu: Any, control: Any) -> None:
    """F1 over the join form: a "Keys — Join" panel with "This screen" (tab, shift+tab, ^f Add a custom
    field row, alt+r Show or hide the member auth token, enter Start the chat, one line for the scroll keys),
    "Everywhere" (^q, f1, f2, ^t, ^p) and one "Text fields" line instead of the ~40 editing keys; the
    footer shows only "esc Close"."""
    assert _compare("join_help", snap_compare, emu, control)


def test_chat_waiting(snap_compare: Any, emu: Any, control: Any) -> None:
    """The chat screen while queued: status "⠋ Waiting for an agent in Support 0:00" (the spinner in
    yellow, the words in the text colour), members Ada (you) and the Support queue, an empty transcript and
    the one-line message box focused, with "0/4000   enter send · ctrl+j new line" under it; the footer
    shows ^s Save, ^n New, f8 Leave, f3 Members (no ctrl+l, no Send: it is under the input)."""
    assert _compare("chat_waiting", snap_compare, emu, control)


def test_chat_connected(snap_compare: Any, emu: Any, control: Any) -> None:
    """Connected to Alex Rivera (green dot, words in the text colour), a join line, the greeting, Ada's own
    message (green name), a long agent message wrapped under its text, and a line with literal [bold]
    markup; times and system lines grey and quieter than message text; members Ada, the dimmed (still
    readable) disconnected queue, and Alex Rivera (agent)."""
    assert _compare("chat_connected", snap_compare, emu, control)


def test_chat_connected_light(snap_compare: Any, emu: Any, control: Any) -> None:
    """The same connected chat in Textual's light theme: light background, dark text; the times and the
    "Alex Rivera joined the chat" system line are dark grey (legible, not white on grey), the status words
    dark."""
    assert _compare("chat_connected_light", snap_compare, emu, control)


def test_chat_typing(snap_compare: Any, emu: Any, control: Any) -> None:
    """As the connected chat, plus "Alex Rivera is typing…" under the transcript and a draft in the input
    with its counter."""
    assert _compare("chat_typing", snap_compare, emu, control)


def test_media_request_dialog(snap_compare: Any, emu: Any, control: Any) -> None:
    """A modal "Media request: screen share" saying "Alex Rivera would like to see your screen.", the
    request's security key, and Accept (a) focused and Decline (d), over the dimmed chat whose last line is
    "Alex Rivera asks to start a screen share"; the footer lists only the dialog's keys (a Accept,
    d Decline)."""
    assert _compare("media_request", snap_compare, emu, control)


def test_chat_ended(snap_compare: Any, emu: Any, control: Any) -> None:
    """Status "Chat ended — The agent ended the chat (ctrl+s save · ctrl+n new chat)", the transcript still
    there ending with "Alex Rivera left the chat" and "Chat ended: The agent ended the chat", every member
    shown disconnected, the message box read-only: placeholder "The chat has ended — ctrl+n starts a new
    chat" and "Read-only: the chat has ended · ctrl+n starts a new chat" under it; Leave greyed out."""
    assert _compare("chat_ended", snap_compare, emu, control)


def test_chat_ended_light(snap_compare: Any, emu: Any, control: Any) -> None:
    """The ended chat in the light theme: the join and leave system lines, the "Chat ended" notice and the
    times are all legible dark grey / dark amber on the light pane (issue 9: they were white on grey)."""
    assert _compare("chat_ended_light", snap_compare, emu, control)


def test_chat_narrow(snap_compare: Any, emu: Any, control: Any) -> None:
    """The connected chat at 60x15: no member panel (hidden below 90 columns; f3 shows it), the transcript
    using the full width, a one-line message box, and a compact footer whose keys (^s Save, ^n New,
    f8 Leave, f3 Members, ^q Quit, f1 Help) are all readable."""
    assert _compare("chat_narrow", snap_compare, emu, control)


def test_join_messaging(snap_compare: Any, emu: Any, control: Any) -> None:
    """The form as a newcomer meets it at 80x24: channel "Web Messaging" (the default), "Display name" without
    a star (optional), "Custom attributes (0 of 2,048 bytes)", then Deployment: Environment "Local
    emulator", the bot-first deployment id filled in, Origin and Auth code (masked; alt+r shows); no queue,
    organization or Web Chat member fields; Start chat enabled."""
    assert _compare("join_messaging", snap_compare, emu, control)


def test_messaging_quick_replies(snap_compare: Any, emu: Any, control: Any) -> None:
    """Web Messaging at 80x24: status "Chatting with Emulator Bot…", the bot's line, "▸ Quick replies: Talk to
    an agent · Show me a card · Book an appointment", the lead "choose: 1–3, or ←/→ and Enter, or click", and
    one row "[1] Talk to an agent   [2] Show me a card   [3] Book an appointment" with [2] highlighted
    (reversed); f4 Choose in the footer."""
    assert _compare("messaging_quick_replies", snap_compare, emu, control)


def test_messaging_carousel(snap_compare: Any, emu: Any, control: Any) -> None:
    """A carousel of two cards from the bot as one item at 80x24: "▸ Carousel of 2 cards:", then "Card 1:
    Emulator plan 1 — description — image <url> — buttons: …" and "Card 2: …" each on its own lines, wrapped
    under the text; one row of choices "[1] Card 1: Choose plan 1   [2] Card 1: Read more ↗   [3] Card 2:
    Choose plan 2   [4] Card 2: Read more ↗" wrapped to two rows, answered by f4 3 ("✓ answered: Card 2:
    Choose plan 2", that choice green, the others grey), then "You chose Card 2: Choose plan 2 (button)" and
    Ada's own "Choose plan 2"; nothing cut at the right edge."""
    assert _compare("messaging_carousel", snap_compare, emu, control)


def test_messaging_date_picker(snap_compare: Any, emu: Any, control: Any) -> None:
    """The bot's "▸ Date picker: Book an appointment — Pick a time that suits you: …" and three numbered
    slots ("[1] Tue 01 Dec 2026 10:00 UTC (60 min)" …), wrapped to rows at 80 columns, the first highlighted
    (focus in the transcript)."""
    assert _compare("messaging_date_picker", snap_compare, emu, control)


def test_messaging_attachment(snap_compare: Any, emu: Any, control: Any) -> None:
    """The line "Alex Rivera joined", the agent's caption, then "▸ Attachment: invoice-2026-11.pdf
    (application/pdf, 48.2 KB)" and the row "[1] Save to the transcripts folder"."""
    assert _compare("messaging_attachment", snap_compare, emu, control)


def test_messaging_read_only(snap_compare: Any, emu: Any, control: Any) -> None:
    """The line "Alex Rivera joined", the agent's goodbye, the notices "Read-only: The agent ended the
    conversation; you can read it but not reply." and "The conversation was ended.", the status
    "Read-only — the conversation has ended (ctrl+n starts a new one)"; the message box read-only with
    "Read-only: the conversation has ended · ctrl+n starts a new conversation" under it; no f4 Choose in
    the footer (nothing to choose)."""
    assert _compare("messaging_read_only", snap_compare, emu, control)


def test_messaging_resume(snap_compare: Any, emu: Any, control: Any) -> None:
    """After Resume: "── earlier in this conversation ──", Ada's "Is my order #42 on its way?" and the agent's
    "Yes, it arrives tomorrow." (each once), "── now ──", then Ada's new "Thanks!"."""
    assert _compare("messaging_resume", snap_compare, emu, control)
