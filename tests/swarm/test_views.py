"""Progress of `run` and the swarm's live view: redrawn in place on a terminal, plain lines elsewhere."""

from __future__ import annotations

import io

from webchat_tui.swarm.live import LiveView, format_summary
from webchat_tui.swarm.report import Progress
from webchat_tui.swarm.runner import ConversationResult
from webchat_tui.swarm.scenario import Step
from webchat_tui.swarm.stats import SwarmStats, percentile


def test_progress_on_a_terminal_redraws_one_line_per_conversation() -> None:
    out = io.StringIO()
    progress = Progress(["alpha", "beta"], out, tty=True)
    progress.step("alpha", 1, 3, Step("say", {"text": "hi"}, 4, 9))
    progress.done(ConversationResult("beta", "messaging", True, 1.25, 2, 2))
    text = out.getvalue()
    assert "\x1b[2F" in text  # the second draw moves up over the first two lines
    last = text.rsplit("\x1b[2F", 1)[1]
    assert "alpha  step 1/3: say 'hi'" in last and "beta   passed (2/2 steps, 1.2 s)" in last


def test_progress_in_a_pipe_prints_plain_lines() -> None:
    out = io.StringIO()
    progress = Progress(["alpha"], out, tty=False)
    progress.step("alpha", 2, 3, Step("expect_agent", {}, 5, 9))
    progress.done(ConversationResult("alpha", "webchat", False, 3.0, 3, 1))
    assert out.getvalue() == "[alpha] step 2/3: expect_agent\n[alpha] FAILED (1/3 steps, 3.0 s)\n"


def test_live_view_and_summary() -> None:
    stats = SwarmStats(3)
    stats.states.update({"chatting": 2, "failed": 1})
    for ms in (1.0, 2.0, 50.0):
        stats.note_sent()
        stats.note_delivered(ms)
    stats.note_error("connect: ConnectionLost")
    out = io.StringIO()
    LiveView(lambda: stats, 30, out, tty=False).show(12.0)
    line = out.getvalue()
    assert line.count("\n") == 1 and "chatting 2" in line and "failed 1" in line
    assert "errors: connect: ConnectionLost 1" in line
    stats.lost, stats.duplicated, stats.counted_against = 0, 0, "emulator record"
    text = format_summary(stats.summary(10.0, channel="messaging", target="http://127.0.0.1:1"))
    assert "sent 3, delivered 3, lost 0, duplicated 0 (against the emulator record), 0.3 msgs/s" in text
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([], 99) is None
