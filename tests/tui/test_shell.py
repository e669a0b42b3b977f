"""The app shell around the screens: help, keymap, info panel, palette, theme memory, profiles in the app,
transcript files, and the join form's start/cancel/error words. Every test drives the real app (Pilot)
against the real test emulator."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widgets import Input, Select

from tests.tui.helpers import build_app, conversation_id, wait_for_text, wait_until
from tests.tui.screen_text import screen_text
from webchat_tui.config import ChatSettings, load_config, save_profile
from webchat_tui.tui.app import WebchatApp
from webchat_tui.tui.screens.chat import ChatScreen
from webchat_tui.tui.screens.help import HelpScreen, help_rows
from webchat_tui.tui.screens.info import InfoScreen
from webchat_tui.tui.screens.join import CustomFieldRow, JoinScreen


def shell_app(emu: Any, settings: ChatSettings | None = None, tmp_path: Path | None = None, **kw: Any) -> Any:
    """The app on the test emulator, with its queues known (as the embedded emulator reports them)."""
    return build_app(
        emu, tmp_path, settings or ChatSettings(display_name="Ada"), queues=emu.seed.queues, **kw
    )


async def complete_form(pilot: Any) -> JoinScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, JoinScreen) and pilot.app.screen.complete)
    screen = pilot.app.screen
    assert isinstance(screen, JoinScreen)
    await pilot.pause()
    await pilot.pause()  # the deferred fields are drawn
    return screen


async def start_chat(pilot: Any) -> ChatScreen:
    await complete_form(pilot)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen), timeout=20)
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    return screen


def palette_titles(app: WebchatApp) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


# ---------------------------------------------------------------------------------------------- help


async def test_f1_lists_the_keys_of_the_screen_in_front_and_escape_closes_it(emu: Any) -> None:
    """F1 opens the help for the join form: its own keys and the app's, not the ~40 text-editing keys of the
    focused field; Escape closes it. On the chat screen it lists the chat's keys instead."""
    app = shell_app(emu)
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = screen_text(app)
        assert "Add a custom field row" in text and "Quit" in text and "Start the chat" in text
        for editing in ("Delete character", "Move cursor left", "Select all", "Paste"):
            assert editing.lower() not in text.lower(), editing
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, JoinScreen))

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=20)
        chat = app.screen
        assert isinstance(chat, ChatScreen)
        words = [row[2] for row in help_rows(chat)]
        for binding in ChatScreen.BINDINGS:  # read at run time: whatever keys the chat screen has now
            assert isinstance(binding, Binding)
            described = binding.tooltip or binding.description
            if described:
                assert any(described in w for w in words), (described, words)


async def test_question_mark_opens_help_only_where_no_text_field_has_focus(emu: Any) -> None:
    """In a text field `?` is a character; with the focus elsewhere (a button) it opens the help."""
    app = shell_app(emu)
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert join.query_one("#display_name", Input).value == "Ada?"
        assert not isinstance(app.screen, HelpScreen)
        join.query_one("#add-field").focus()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))


async def test_keys_palette_entry_is_our_help_not_textuals_key_panel(emu: Any) -> None:
    """The palette's "Keys" (Textual's panel of ~40 text-editing keys that Escape does not close) is replaced
    by the help screen."""
    app = shell_app(emu)
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        titles = palette_titles(app)
        assert "Keys" not in titles and "Help: keys" in titles


# ---------------------------------------------------------------------------------------------- keymap


async def test_keymap_moves_a_binding_and_the_help_shows_the_new_key(emu: Any) -> None:
    """`[keymap]` "join.add-field" = "f6": f6 adds a custom field row, the footer and help say f6; an unknown
    id is reported by name."""
    app = shell_app(emu, keymap={"join.add-field": "f6", "no.such-binding": "f7"})
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        await pilot.press("f6")
        await wait_until(pilot, lambda: len(join.query(CustomFieldRow)) == 1)
        assert "f6 Add field" in screen_text(app)
        await wait_until(
            pilot, lambda: any("no.such-binding" in str(n.message) for n in app._notifications), timeout=20
        )
        rows = help_rows(join)
        assert ("This screen", "f6", "Add a custom field row") in rows


# ------------------------------------------------------------------------------------ footer, palette


async def test_join_form_footer_and_palette(emu: Any) -> None:
    """ctrl+q shows in the footer; ctrl+s no longer starts the chat from the form (Enter does); the palette
    offers Start chat and Add field, and both work."""
    app = shell_app(emu)
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        assert "^q Quit" in screen_text(app)
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert isinstance(app.screen, JoinScreen)
        commands = {command.title: command for command in app.get_system_commands(join)}
        assert {"Start chat", "Add field", "Save form as profile", "Load profile"} <= set(commands)
        await commands["Add field"].callback()  # type: ignore[misc]
        await wait_until(pilot, lambda: len(join.query(CustomFieldRow)) == 1)
        commands["Start chat"].callback()
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=20)
        await wait_for_text(pilot, "Chat on the local emulator")


async def test_palette_opens_with_start_chat_on_the_join_form(emu: Any) -> None:
    """Typed into the real palette, "start chat" finds the command."""
    app = shell_app(emu)
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"start chat")
        await wait_for_text(pilot, "Start the chat with the values in the form")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=20)


# ---------------------------------------------------------------------------------------------- info panel


async def test_info_panel_shows_backend_and_chat_ids_and_copies_them(emu: Any) -> None:
    """F2 shows the emulator's base URL, seeded ids and queues; in a chat also the conversation and member
    id; `c` copies everything to the clipboard."""
    app = shell_app(emu)
    async with app.run_test(size=(120, 40)) as pilot:
        await start_chat(pilot)
        cid = conversation_id(app)
        await wait_until(pilot, lambda: app.chat_handle.session.me is not None)  # type: ignore[union-attr]
        member = app.chat_handle.session.me  # type: ignore[union-attr]
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, InfoScreen))
        text = screen_text(app)
        shown = (
            emu.base_url,
            emu.seed.organization_id,
            emu.seed.deployment_id,
            cid,
            member.id,
            emu.control_token,
        )
        for value in shown:
            assert value in text, value
        await pilot.press("c")
        await pilot.pause()
        assert cid in app.clipboard and emu.base_url in app.clipboard
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert "Show ids and URLs" in palette_titles(app)


# ------------------------------------------------------------------------------------ theme, profiles


async def test_chosen_theme_is_remembered_in_the_config_file(emu: Any, tmp_path: Path) -> None:
    """ctrl+t (or the palette's theme picker) writes the theme to config.toml, keeping the profiles."""
    path = tmp_path / "config.toml"
    save_profile("work", ChatSettings(display_name="Ada"), path)
    app = shell_app(emu, config_file=path)
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: load_config(path).theme == "textual-light")
        app.theme = "nord"
        await wait_until(pilot, lambda: load_config(path).theme == "nord")
    assert "work" in load_config(path).profiles


async def test_save_and_load_a_profile_from_inside_the_app(emu: Any, tmp_path: Path) -> None:
    """ "Save form as profile" stores the form under a name (without the embedded emulator's ids); "Load
    profile" fills the form from a saved one."""
    path = tmp_path / "config.toml"
    save_profile("other", ChatSettings(display_name="Bob", queue="Sales"), path)
    app = shell_app(emu, ChatSettings(display_name="Ada", email="ada@example.com"), config_file=path)
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        join.action_save_profile()
        await wait_until(pilot, lambda: app.screen.query("#profile-name"))
        await pilot.press(*"mine", "enter")
        await wait_until(pilot, lambda: "mine" in load_config(path).profiles)
        saved = load_config(path).profiles["mine"]
        assert (saved.display_name, saved.email, saved.organization_id) == ("Ada", "ada@example.com", "")

        join.action_load_profile()
        await wait_until(pilot, lambda: app.screen.query("#profile-list"))
        await pilot.press("down", "enter")  # sorted: mine, other
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, JoinScreen)
                and app.screen.complete
                and app.screen.query_one("#display_name", Input).value == "Bob"
            ),
        )
        assert app.screen.query_one("#queue", Input).value == "Sales"


async def test_saving_a_profile_with_invalid_values_is_refused(emu: Any, tmp_path: Path) -> None:
    """The in-app save uses the form's rules: a bad email is not stored."""
    path = tmp_path / "config.toml"
    app = shell_app(emu, ChatSettings(display_name="Ada", email="not-an-email"), config_file=path)
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        join.action_save_profile()
        await wait_for_text(pilot, "Not an email address")
        assert not path.exists()


# ---------------------------------------------------------------------------------------------- join form


async def test_startup_warnings_are_shown_in_the_app(emu: Any) -> None:
    """A warning from the CLI (e.g. a config file others can read) is a notification the user sees."""
    app = shell_app(emu, warnings=("config.toml holds a member auth token; run: chmod 600 config.toml",))
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        # Pilot runs hide toasts, so read the app's notifications (what the toast rack shows in a terminal)
        await wait_until(pilot, lambda: any("chmod 600" in str(n.message) for n in app._notifications))


async def test_reveal_toggle_shows_and_hides_the_member_auth_token(emu: Any) -> None:
    """The token is masked; alt+r (or the Show button) reveals it and hides it again."""
    app = shell_app(emu, ChatSettings(display_name="Ada", member_auth_token="tok-123456"))
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        box = join.query_one("#member_auth_token", Input)
        assert box.password
        await pilot.press("alt+r")
        await wait_until(pilot, lambda: not box.password)
        await pilot.press("alt+r")
        await wait_until(pilot, lambda: box.password)


async def test_focused_field_is_plain_to_see(emu: Any) -> None:
    """The focused row's label changes (bold, another colour) and the row and field get another background;
    the other rows stay as they were."""
    app = shell_app(emu)
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        focused_row, other_row = join.query_one("#row-display_name"), join.query_one("#row-email")
        focused_label, other_label = (
            focused_row.query_one(".field-label"),
            other_row.query_one(".field-label"),
        )
        assert focused_label.styles.text_style.bold and not other_label.styles.text_style.bold
        assert focused_label.styles.color != other_label.styles.color
        assert focused_row.styles.background != other_row.styles.background
        assert join.query_one("#display_name").styles.background != join.query_one("#email").styles.background
        join.query_one("#email").focus()
        await pilot.pause()
        assert other_label.styles.text_style.bold and not focused_label.styles.text_style.bold


async def test_counts_and_priority_words(emu: Any) -> None:
    """One problem reads "1 field needs attention"; the priority error names the real range."""
    app = shell_app(emu, ChatSettings(display_name="Ada", priority=2_000_000))
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        await pilot.press("enter")
        await wait_for_text(pilot, "1 field needs attention")
        assert "field(s)" not in screen_text(app)
        assert "from 0 to 1,000,000" in screen_text(app)


async def test_environment_change_clears_the_error_and_ids_are_remembered_per_environment(emu: Any) -> None:
    """A refusal from one backend is cleared when the environment changes; each region keeps its own ids."""
    settings = ChatSettings(display_name="Ada", organization_id="wrong-org")
    app = shell_app(emu, settings)
    async with app.run_test(size=(100, 40)) as pilot:
        join = await complete_form(pilot)
        await pilot.press("enter")
        await wait_for_text(pilot, "Organization id field")
        select = join.query_one("#environment", Select)
        org = join.query_one("#organization_id", Input)
        select.value = "mypurecloud.ie"
        await wait_until(pilot, lambda: "Organization id field" not in screen_text(app))
        assert org.value == ""  # a region not used before starts empty, not with the other backend's ids
        org.value = "ie-org"
        select.value = "mypurecloud.de"
        await wait_until(pilot, lambda: org.value == "")
        select.value = "mypurecloud.ie"
        await wait_until(pilot, lambda: org.value == "ie-org")
        select.value = "local"
        await wait_until(pilot, lambda: org.value == "wrong-org")


async def test_unknown_organization_is_said_in_plain_words(emu: Any) -> None:
    """No raw `400 chat.error.bad.request`: the words name the field."""
    app = shell_app(emu, ChatSettings(display_name="Ada", organization_id="no-such-org"))
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        await pilot.press("enter")
        await wait_for_text(pilot, "does not know this organization id. Check the Organization id field.")
        assert "chat.error.bad.request" not in screen_text(app)


async def test_unknown_queue_lists_the_emulators_queues_and_the_field_offers_them(emu: Any) -> None:
    """The queue field completes from the emulator's queues (free text still allowed); an unknown queue's
    error lists them."""
    app = shell_app(emu, ChatSettings(display_name="Ada", queue=""))
    async with app.run_test(size=(120, 40)) as pilot:
        join = await complete_form(pilot)
        queue = join.query_one("#queue", Input)
        queue.focus()
        await pilot.press(*"Bil")
        await wait_until(pilot, lambda: queue._suggestion == "Billing")
        await pilot.press("right")
        await wait_until(pilot, lambda: queue.value == "Billing")
        queue.value = "Nowhere"
        await pilot.press("enter")
        await wait_for_text(pilot, "Queues here: Support, Sales, Billing, Night Shift.")


async def test_slow_server_is_no_answer_and_escape_cancels_the_start(emu: Any, control: Any) -> None:
    """A create that takes too long is "No answer … in N s", not "Cannot reach"; a start in progress is
    cancelled with Escape, and a refused connection reads differently again."""
    control.set_faults(
        {"http": [{"operation": "postWebchatGuestConversations", "status": 0, "latencyMs": 4000}]}
    )
    app = shell_app(emu, client_options={"timeout": 1.0})
    async with app.run_test(size=(120, 40)) as pilot:
        join = await complete_form(pilot)
        await pilot.press("enter")
        await wait_for_text(pilot, "No answer from the local emulator in", timeout=60)
        assert "Cannot reach" not in screen_text(app)

    control.set_faults(
        {"http": [{"operation": "postWebchatGuestConversations", "status": 0, "latencyMs": 60000}]}
    )
    app = shell_app(emu)
    async with app.run_test(size=(120, 40)) as pilot:
        join = await complete_form(pilot)
        await pilot.press("enter")
        await wait_for_text(pilot, "Escape cancels")
        assert "esc Cancel start" in screen_text(app)
        await pilot.press("escape")
        await wait_for_text(pilot, "Start cancelled")
        await wait_until(pilot, lambda: not join._starting)
        assert isinstance(app.screen, JoinScreen)


async def test_refused_connection_reads_cannot_reach(emu: Any) -> None:
    """A port nobody listens on is "refused or unreachable"."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ChatSettings(
        display_name="Ada", api_base=f"http://127.0.0.1:{port}", organization_id="o", deployment_id="d"
    )
    app = shell_app(emu, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await complete_form(pilot)
        await pilot.press("enter")
        await wait_for_text(pilot, "refused or the host is unreachable", timeout=60)


async def test_autostart_starts_at_once_when_the_form_is_valid(emu: Any) -> None:
    """`chat --start`: no key pressed, the chat opens; with an invalid form it does not start."""
    app = shell_app(emu, autostart=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), timeout=20)
        await wait_for_text(pilot, "Chat on the local emulator")
    app = shell_app(emu, ChatSettings(display_name=""), autostart=True)
    async with app.run_test(size=(100, 40)) as pilot:
        await complete_form(pilot)
        await wait_for_text(pilot, "Enter the name the agent will see.")
        assert isinstance(app.screen, JoinScreen)


# ---------------------------------------------------------------------------------------------- transcripts


async def test_save_with_a_hostile_conversation_id_and_a_failing_folder_never_crashes(
    emu: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ctrl+s with a conversation id holding a NUL byte, `/` and `..` saves under a sanitized name, owner
    only; a folder that cannot be created is said in a notification and the app goes on.

    The id is replaced on our own session class (a hostile real server is what the api layer guards
    against; here the chat screen's save must cope whatever the session reports)."""
    from webchat_tui.api import ChatSession

    app = shell_app(emu, tmp_path=tmp_path / "out")
    async with app.run_test(size=(100, 40)) as pilot:
        chat = await start_chat(pilot)
        monkeypatch.setattr(ChatSession, "conversation_id", property(lambda _self: "a\x00b/../c"))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: chat.saved_paths)
        [path] = chat.saved_paths
        assert path.parent == tmp_path / "out" and "\x00" not in path.name and "/" not in path.name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        blocker = tmp_path / "file"
        blocker.write_text("not a folder")
        app.transcript_dir = blocker / "sub"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any("Could not save" in str(n.message) for n in app._notifications))
        assert app.is_running and len(chat.saved_paths) == 1


def test_transcripts_default_to_the_user_data_folder(emu: Any) -> None:
    """Not the current directory: `transcripts` in the platform's user data dir."""
    import platformdirs

    app = WebchatApp(ChatSettings())
    assert app.transcript_dir == Path(platformdirs.user_data_path("webchat-tui")) / "transcripts"


def test_config_keymap_table_round_trip(tmp_path: Path) -> None:
    """`[keymap]` is read as binding id → keys."""
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"chat.leave" = "ctrl+x"\n', encoding="utf-8")
    assert load_config(path).keymap == {"chat.leave": "ctrl+x"}
    assert tomllib.loads(path.read_text())["keymap"]["chat.leave"] == "ctrl+x"
