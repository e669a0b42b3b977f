"""Small widgets on their own: status line (spinner + elapsed from an injected clock), typing words, member
prompts (literal names, state markers, stable order)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from webchat_tui.api.session_types import Member
from webchat_tui.tui.widgets.member_list import MemberList, member_prompt
from webchat_tui.tui.widgets.status_bar import SPINNER, StatusBar, format_elapsed
from webchat_tui.tui.widgets.typing_indicator import typing_text


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class WidgetsApp(App[None]):
    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield StatusBar(self.clock, id="status")
        yield MemberList(id="members")


def test_format_elapsed() -> None:
    """m:ss below an hour, h:mm:ss above."""
    assert format_elapsed(0) == "0:00"
    assert format_elapsed(75.9) == "1:15"
    assert format_elapsed(3725) == "1:02:05"


def test_typing_text_is_literal() -> None:
    """Names are never markup; two names are joined, more are counted."""
    assert typing_text(()).plain == ""
    assert typing_text(("[b]Eve[/b]",)).plain == "[b]Eve[/b] is typing…"
    assert typing_text(("A", "B")).plain == "A and B are typing…"
    assert typing_text(("A", "B", "C")).plain == "3 people are typing…"


async def test_status_bar_spinner_and_elapsed_follow_the_clock() -> None:
    """While waiting, the spinner frame and the elapsed time come from the clock; connected shows no timer."""
    clock = FakeClock()
    app = WidgetsApp(clock)
    async with app.run_test() as pilot:
        status = app.query_one(StatusBar)
        status.show("waiting", "Waiting for an agent")
        clock.now += 7.3
        await pilot.pause(0.25)
        rendered = str(status.render())
        assert "Waiting for an agent" in rendered and "0:07" in rendered
        assert rendered[0] == SPINNER[int(clock.now * 10) % len(SPINNER)]
        status.show("connected", "Connected to [red]Alex[/red]")
        await pilot.pause()
        assert str(status.render()) == "● Connected to [red]Alex[/red]"


async def test_member_list_order_markers_and_literal_names() -> None:
    """Connected members first (you, agents, others), disconnected last and marked ○; names stay literal."""
    app = WidgetsApp(FakeClock())
    async with app.run_test() as pilot:
        members = app.query_one(MemberList)
        members.update_members(
            [
                Member("q", "Support", "ACD", "DISCONNECTED"),
                Member("a", "[b]Alex[/b]", "AGENT", "ALERTING"),
                Member("g", "Ada", "CUSTOMER", "CONNECTED", is_self=True),
            ]
        )
        await pilot.pause()
        prompts = [str(members.get_option_at_index(i).prompt) for i in range(members.option_count)]
        assert prompts == [
            "● Ada\n  you",
            "◐ [b]Alex[/b]\n  agent, alerting",
            "○ Support\n  queue, disconnected",
        ]
        assert member_prompt(Member("x", "Bot", "WORKFLOW", "CONNECTED")).plain == "● Bot\n  bot"


async def test_a_status_too_long_for_the_terminal_ends_with_an_ellipsis() -> None:
    """At 80 columns a long status ("Chat ended — <the service's long reason> (ctrl+s save · …)") is cut with
    "…" at the right edge, not silently (a one-line Static used to wrap and show only the first line)."""
    from tests.tui.screen_text import screen_text

    app = WidgetsApp(FakeClock())
    async with app.run_test(size=(80, 24)) as pilot:
        status = app.query_one(StatusBar)
        words = "The service closed the chat after a long time without messages from either side"
        status.show("ended", f"Chat ended — {words}  (ctrl+s save · ctrl+n new chat)")
        await pilot.pause()
        first = screen_text(app).splitlines()[0]
        assert first.rstrip().endswith("…"), first
        assert "Chat ended — The service closed" in first


async def test_composer_status_updates_while_it_is_taken_down_are_ignored() -> None:
    """A send that finishes while the chat screen closes updates the "sending…" mark of a composer whose
    children are already gone: nothing to show, and no crash (it raised NoMatches at shutdown)."""
    from webchat_tui.tui.widgets.composer import Composer

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Composer()

    app = Host()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.set_sending(3)
        await composer.remove_children()
        await pilot.pause()
        composer.set_sending(0)
        composer.set_uploading("uploading x (1 KB)…")
