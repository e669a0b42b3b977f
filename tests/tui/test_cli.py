"""The CLI with the app factory replaced (no UI starts): flags, profiles, precedence and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from webchat_tui import cli
from webchat_tui.config import ChatSettings, load_config


class FakeApp:
    """Stands in for the Textual app: records how it was built and that it was run."""

    built: list[tuple[ChatSettings, dict[str, Any]]] = []

    def __init__(self, settings: ChatSettings, **options: Any) -> None:
        self.settings = settings
        self.options = options
        self.ran = False
        self.return_code = 0
        FakeApp.built.append((settings, options))

    def run(self) -> None:
        self.ran = True


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    FakeApp.built = []
    monkeypatch.setattr(cli, "make_app", FakeApp)
    for key in list(__import__("os").environ):
        if key.startswith("WEBCHAT_TUI_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("WEBCHAT_TUI_CONFIG", str(tmp_path / "config.toml"))
    return CliRunner()


def test_bare_command_opens_the_app_on_the_embedded_emulator(runner: CliRunner) -> None:
    """`webchat-tui` with no arguments builds and runs the app with default settings."""
    result = runner.invoke(cli.main, [])
    assert result.exit_code == 0, result.output
    [(settings, _)] = FakeApp.built
    assert settings == ChatSettings()


def test_chat_flags_fill_every_field(runner: CliRunner) -> None:
    """Every form field has a flag."""
    args = [
        "chat",
        "--display-name",
        "Ada",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@example.com",
        "--phone",
        "+1 555",
        "--avatar-url",
        "https://a/b.png",
        "--custom-field",
        "orderId=42",
        "--custom-field",
        "tier=gold",
        "--queue",
        "Sales",
        "--skill",
        "English",
        "--skill",
        "Billing",
        "--language",
        "English",
        "--priority",
        "5",
        "--environment",
        "mypurecloud.ie",
        "--org",
        "org-1",
        "--deployment",
        "dep-1",
        "--member-auth-token",
        "tok",
        "--theme",
        "light",
    ]
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    [(settings, options)] = FakeApp.built
    assert settings == ChatSettings(
        display_name="Ada",
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        phone="+1 555",
        avatar_url="https://a/b.png",
        custom_fields=(("orderId", "42"), ("tier", "gold")),
        queue="Sales",
        skills=("English", "Billing"),
        language="English",
        priority=5,
        environment="mypurecloud.ie",
        organization_id="org-1",
        deployment_id="dep-1",
        member_auth_token="tok",
    )
    assert options["theme"] == "textual-light"


def test_web_messaging_flags_reach_the_form_and_profiles(runner: CliRunner, tmp_path: Path) -> None:
    """`--channel`, `--custom-attribute` (repeatable), `--origin`, `--auth-code` and `--new` fill the form
    and are kept by `profiles save` (the auth code like the member token: a secret, never listed)."""
    args = ["--channel", "messaging", "--custom-attribute", "plan=gold", "--custom-attribute", "id=7"]
    args += ["--origin", "https://www.example.com", "--auth-code", "code-123", "--new", "--deployment", "d-1"]
    result = runner.invoke(cli.main, ["chat", *args])
    assert result.exit_code == 0, result.output
    settings = FakeApp.built[-1][0]
    assert settings == ChatSettings(
        channel="messaging",
        custom_fields=(("plan", "gold"), ("id", "7")),
        origin="https://www.example.com",
        auth_code="code-123",
        new_conversation=True,
        deployment_id="d-1",
    )
    assert runner.invoke(cli.main, ["chat", "--channel", "webchat"]).exit_code == 0
    assert FakeApp.built[-1][0].channel == "webchat" and not FakeApp.built[-1][0].new_conversation
    assert runner.invoke(cli.main, ["chat", "--channel", "carrier-pigeon"]).exit_code != 0
    result = runner.invoke(cli.main, ["profiles", "save", "msg", *args])
    assert result.exit_code == 0, result.output
    saved = load_config(tmp_path / "config.toml").profiles["msg"]
    assert (saved.channel, saved.origin, saved.auth_code, saved.new_conversation) == (
        "messaging",
        "https://www.example.com",
        "code-123",
        True,
    )
    listed = runner.invoke(cli.main, ["profiles", "list"]).output
    assert "code-123" not in listed


def test_profiles_save_list_delete_and_flags_override(runner: CliRunner, tmp_path: Path) -> None:
    """A saved profile fills the form; flags given with --profile win; list and delete work."""
    result = runner.invoke(
        cli.main,
        [
            "profiles",
            "save",
            "work",
            "--name",
            "Ada",
            "--queue",
            "Billing",
            "--api-base",
            "http://127.0.0.1:8765",
            "--member-auth-token",
            "secret",
            "--channel",
            "webchat",
        ],
    )
    assert result.exit_code == 0, result.output
    assert str(tmp_path / "config.toml") in result.output
    bot = ["profiles", "save", "bot", "--deployment-id", "dep-1", "--environment", "mypurecloud.ie"]
    assert runner.invoke(cli.main, bot).exit_code == 0

    result = runner.invoke(cli.main, ["profiles", "list"])
    assert result.exit_code == 0
    assert "work: Ada → queue Billing (Web Chat v2) on http://127.0.0.1:8765" in result.output
    assert "bot: - → Web Messaging deployment dep-1 on mypurecloud.ie" in result.output  # no queue there
    assert "secret" not in result.output

    result = runner.invoke(cli.main, ["chat", "--profile", "work", "--queue", "Sales"])
    assert result.exit_code == 0, result.output
    settings = FakeApp.built[-1][0]
    assert (settings.display_name, settings.queue, settings.api_base) == (
        "Ada",
        "Sales",
        "http://127.0.0.1:8765",
    )

    result = runner.invoke(cli.main, ["profiles", "delete", "work"])
    assert result.exit_code == 0 and "work" not in load_config(tmp_path / "config.toml").profiles
    result = runner.invoke(cli.main, ["profiles", "delete", "work"])
    assert result.exit_code != 0 and "no profile named 'work'" in result.output


def test_env_overrides_profile(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """WEBCHAT_TUI_<FIELD> beats the profile, flags beat the environment."""
    assert (
        runner.invoke(
            cli.main, ["profiles", "save", "p", "--name", "File", "--queue", "Billing", "--default"]
        ).exit_code
        == 0
    )
    monkeypatch.setenv("WEBCHAT_TUI_QUEUE", "Sales")
    monkeypatch.setenv("WEBCHAT_TUI_DISPLAY_NAME", "Env")
    assert runner.invoke(cli.main, ["chat", "--name", "Flag"]).exit_code == 0
    settings = FakeApp.built[-1][0]
    assert (settings.display_name, settings.queue) == ("Flag", "Sales")


def test_broken_config_gives_a_clear_error_and_loses_nothing(runner: CliRunner, tmp_path: Path) -> None:
    """A broken file stops `chat` and `profiles save` with the file's path; the file is not rewritten."""
    path = tmp_path / "config.toml"
    path.write_text("[profiles.a\n", encoding="utf-8")
    for args in (["chat"], ["profiles", "save", "b", "--name", "B"], ["profiles", "list"]):
        result = runner.invoke(cli.main, args)
        assert result.exit_code == 1
        assert str(path) in result.output and "not valid TOML" in result.output
    assert path.read_text(encoding="utf-8") == "[profiles.a\n"
    assert not FakeApp.built


def test_bad_flag_values_are_rejected(runner: CliRunner) -> None:
    """A custom field without '=' and a non-numeric priority are usage errors."""
    result = runner.invoke(cli.main, ["chat", "--custom-field", "novalue"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output
    result = runner.invoke(cli.main, ["chat", "--priority", "high"])
    assert result.exit_code == 2


def test_theme_from_config_file_and_flag(runner: CliRunner, tmp_path: Path) -> None:
    """The config file's `theme` applies to `chat`; `--theme` wins over it."""
    (tmp_path / "config.toml").write_text('theme = "light"\n', encoding="utf-8")
    assert runner.invoke(cli.main, ["chat"]).exit_code == 0
    assert FakeApp.built[-1][1]["theme"] == "textual-light"
    assert runner.invoke(cli.main, ["chat", "--theme", "dark"]).exit_code == 0
    assert FakeApp.built[-1][1]["theme"] == "textual-dark"


def test_bare_command_uses_the_theme_from_the_config_file(runner: CliRunner, tmp_path: Path) -> None:
    """The theme chosen in the config file applies to `webchat-tui` too, not only to `webchat-tui chat`;
    the form is still the plain one for the embedded emulator (profiles are for `chat`)."""
    (tmp_path / "config.toml").write_text('theme = "light"\n', encoding="utf-8")
    result = runner.invoke(cli.main, [])
    assert result.exit_code == 0, result.output
    [(settings, options)] = FakeApp.built
    assert settings == ChatSettings()
    assert options["theme"] == "textual-light"


def test_short_help_flag_is_accepted(runner: CliRunner) -> None:
    """`-h` works like `--help`, on the group and on the commands."""
    for args in (["-h"], ["chat", "-h"], ["profiles", "save", "-h"], ["emulator", "-h"]):
        result = runner.invoke(cli.main, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Usage:" in result.output
    assert not FakeApp.built


def test_theme_flag_takes_any_theme_the_app_offers(runner: CliRunner) -> None:
    """`--theme nord` (any Textual theme, as in the config file) is accepted; a typo is refused with the
    list of themes."""
    assert runner.invoke(cli.main, ["chat", "--theme", "nord"]).exit_code == 0
    assert FakeApp.built[-1][1]["theme"] == "nord"
    assert runner.invoke(cli.main, ["--theme", "catppuccin-latte"]).exit_code == 0
    assert FakeApp.built[-1][1]["theme"] == "catppuccin-latte"
    result = runner.invoke(cli.main, ["chat", "--theme", "nrod"])
    assert result.exit_code == 2 and "unknown theme 'nrod'" in result.output and "nord" in result.output


def test_profiles_save_uses_the_forms_rules(runner: CliRunner, tmp_path: Path) -> None:
    """Values the form would refuse are not stored: each bad field is named; fields left out are fine."""
    result = runner.invoke(
        cli.main,
        ["profiles", "save", "bad", "--channel", "webchat", "--email", "nope", "--priority", "-3"]
        + ["--env", "moon.example"],
    )
    assert result.exit_code == 1
    for words in ("email: Not an email address", "priority: Priority must be", "environment:"):
        assert words in result.output, result.output
    assert not (tmp_path / "config.toml").exists()
    result = runner.invoke(cli.main, ["profiles", "save", "ok", "--queue", "Sales"])
    assert result.exit_code == 0, result.output


def test_start_transcripts_dir_keymap_and_config_file_reach_the_app(
    runner: CliRunner, tmp_path: Path
) -> None:
    """`--start` asks for an immediate start; the transcripts folder comes from the flag, else the config;
    the `[keymap]` table and the config path are handed to the app (for theme memory and profiles)."""
    config = tmp_path / "config.toml"
    config.write_text('transcripts_dir = "~/chats"\n[keymap]\n"join.add-field" = "f6"\n', encoding="utf-8")
    assert runner.invoke(cli.main, ["chat", "--start"]).exit_code == 0
    options = FakeApp.built[-1][1]
    assert options["autostart"] is True and options["keymap"] == {"join.add-field": "f6"}
    assert options["transcript_dir"] == Path("~/chats").expanduser() and options["config_file"] == config
    result = runner.invoke(cli.main, ["chat", "--transcripts-dir", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert FakeApp.built[-1][1]["transcript_dir"] == tmp_path / "t"
    assert FakeApp.built[-1][1]["autostart"] is False


def test_exposed_token_in_the_config_is_warned_about(runner: CliRunner, tmp_path: Path) -> None:
    """A config holding a member auth token that other users can read gets a warning naming the fix."""
    assert (
        runner.invoke(cli.main, ["profiles", "save", "p", "--member-auth-token", "tok-123456"]).exit_code == 0
    )
    config = tmp_path / "config.toml"
    assert runner.invoke(cli.main, ["chat"]).stderr == ""
    config.chmod(0o644)
    result = runner.invoke(cli.main, ["chat"])
    assert result.exit_code == 0
    assert "other users can read it" in result.stderr and f"chmod 600 {config}" in result.stderr
    [warning] = FakeApp.built[-1][1]["warnings"]  # also shown in the app, where the user looks
    assert "chmod 600" in warning


def test_log_flag_writes_a_redacted_log(runner: CliRunner, tmp_path: Path) -> None:
    """`--log FILE` sends the app's and the client's records to FILE through the redaction filter;
    `--debug` lowers the level."""
    import logging

    log = tmp_path / "app.log"
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        result = runner.invoke(cli.main, ["chat", "--log", str(log), "--debug"])
        assert result.exit_code == 0, result.output
        assert FakeApp.built[-1][1]["log_file"] == log
        assert f"Log written to {log}" in result.stderr
        secret = "Bearer " + "abcdefgh" * 4
        logging.getLogger("webchat_tui.api.session").debug("sending Authorization: %s", secret)
        for handler in root.handlers:
            handler.flush()
        text = log.read_text(encoding="utf-8")
        assert "sending Authorization" in text and "abcdefgh" not in text
    finally:
        for handler in root.handlers[:]:
            if handler not in before[0]:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(before[1])


def test_standalone_emulator_says_where_it_listens_and_can_log_requests() -> None:
    """After its JSON line the emulator prints a line for humans on stderr (where, how to stop);
    `--access-log` logs each request and `--log-level` is accepted."""
    import json
    import signal
    import subprocess
    import sys

    import httpx

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "webchat_tui",
            "emulator",
            "--port",
            "0",
            "--access-log",
            "--log-level",
            "info",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        info = json.loads(proc.stdout.readline())
        human = ""
        while "listening on" not in human:
            human = proc.stderr.readline()
            assert human, "stderr closed before the human line"
        assert info["base_url"] in human and "Ctrl+C" in human
        httpx.get(f"{info['base_url']}/api/v2/webchat/guest/conversations/none/members", timeout=10)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert "GET /api/v2/webchat/guest/conversations/none/members" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
