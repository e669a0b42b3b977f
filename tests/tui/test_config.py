"""Config file and profile rules: location, precedence (flags > env > file > defaults), and broken files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from webchat_tui.config import (
    ChatSettings,
    ConfigError,
    config_path,
    delete_profile,
    load_config,
    resolve_settings,
    save_profile,
    set_default_profile,
)
from webchat_tui.tui.form_model import CUSTOM, LOCAL, environment_of, normalize_environment, validate


def test_config_path_env_override(tmp_path: Path) -> None:
    """WEBCHAT_TUI_CONFIG replaces the platform path."""
    target = tmp_path / "c.toml"
    assert config_path({"WEBCHAT_TUI_CONFIG": str(target)}) == target
    assert config_path({}).name == "config.toml"


def test_save_list_delete_round_trip(tmp_path: Path) -> None:
    """A saved profile reads back equal; deleting it removes only it (and unsets it as default)."""
    path = tmp_path / "sub" / "config.toml"
    work = ChatSettings(
        display_name="Ada",
        queue="Sales",
        skills=("English",),
        custom_fields=(("orderId", "42"),),
        priority=3,
        environment="mypurecloud.ie",
        organization_id="o",
        deployment_id="d",
    )
    save_profile("work", work, path)
    save_profile("home", ChatSettings(display_name="Bob"), path)
    set_default_profile("work", path)
    config = load_config(path)
    assert config.profiles["work"] == work
    assert config.default_profile == "work"
    delete_profile("work", path)
    config = load_config(path)
    assert set(config.profiles) == {"home"} and config.default_profile is None


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    """Each source overrides only what it sets."""
    path = tmp_path / "config.toml"
    save_profile("p", ChatSettings(display_name="File", queue="Billing", email="f@example.com"), path)
    env = {"WEBCHAT_TUI_CONFIG": str(path), "WEBCHAT_TUI_QUEUE": "Sales", "WEBCHAT_TUI_SKILLS": "a, b"}
    settings = resolve_settings({"display_name": "Flag", "priority": None}, profile="p", env=env)
    assert settings.display_name == "Flag"  # flag beats file
    assert settings.queue == "Sales"  # env beats file
    assert settings.email == "f@example.com"  # file beats default
    assert settings.skills == ("a", "b")
    assert settings.language == ""  # default
    assert resolve_settings({}, env={"WEBCHAT_TUI_CONFIG": str(path)}).queue == "Support"  # no profile chosen


def test_default_profile_is_used_without_flag(tmp_path: Path) -> None:
    """`default_profile` applies when no --profile is given."""
    path = tmp_path / "config.toml"
    path.write_text('default_profile = "x"\n[profiles.x]\ndisplay_name = "Xena"\n', encoding="utf-8")
    assert resolve_settings({}, env={"WEBCHAT_TUI_CONFIG": str(path)}).display_name == "Xena"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("this is = = not toml", "not valid TOML"),
        ("[profiles.a]\ndisplay_nam = 'x'\n", "unknown key 'display_nam'"),
        ("[profiles.a]\npriority = 'high'\n", "priority must be a whole number"),
        ("colour = 'red'\n", "unknown top-level key"),
    ],
)
def test_broken_file_names_the_file_and_is_left_untouched(
    tmp_path: Path, content: str, fragment: str
) -> None:
    """Reading fails with the path and the reason; saving refuses rather than overwrite the file."""
    path = tmp_path / "config.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and fragment in str(info.value)
    with pytest.raises(ConfigError):
        save_profile("new", ChatSettings(display_name="A"), path)
    assert path.read_text(encoding="utf-8") == content


def test_unknown_profile_is_an_error(tmp_path: Path) -> None:
    """Asking for a profile that does not exist lists the ones that do."""
    path = tmp_path / "config.toml"
    save_profile("only", ChatSettings(display_name="A"), path)
    with pytest.raises(ConfigError, match="no profile named 'nope'.*only"):
        resolve_settings({}, profile="nope", env={"WEBCHAT_TUI_CONFIG": str(path)})


def test_form_validation_rules() -> None:
    """Plain-words problems for each kind of bad field; a complete form has none."""
    good = ChatSettings(display_name="Ada", organization_id="o-1", deployment_id="d-1", channel="webchat")
    assert validate(good, LOCAL) == {}
    bad = ChatSettings(
        channel="webchat",
        display_name=" ",
        email="x@",
        phone="call me",
        avatar_url="ftp://x",
        queue="",
        custom_fields=(("", "v"),),
        organization_id="",
        deployment_id="has space",
    )
    problems = validate(bad, CUSTOM)
    assert set(problems) == {
        "display_name",
        "email",
        "phone",
        "avatar_url",
        "queue",
        "custom_fields",
        "api_base",
        "organization_id",
        "deployment_id",
    }
    assert validate(
        ChatSettings(
            display_name="A",
            organization_id="o",
            deployment_id="d",
            custom_fields=(("k", "1"), ("k", "2")),
            channel="webchat",
        ),
        LOCAL,
    ) == {"custom_fields": "Custom field names must be unique."}
    assert "environment" in validate(good, "example.com")


def test_web_messaging_form_rules() -> None:
    """Web Messaging asks only for its own fields: the deployment id (the name is optional; queue and
    organization belong to Web Chat v2), an http(s) Origin, and custom attributes within the size limit
    (the session's own limit and counting rule)."""
    from webchat_tui.messaging.session import DEFAULT_MAX_CUSTOM_DATA_BYTES
    from webchat_tui.tui.form_model import MAX_CUSTOM_ATTRIBUTES_BYTES

    assert MAX_CUSTOM_ATTRIBUTES_BYTES == DEFAULT_MAX_CUSTOM_DATA_BYTES
    assert validate(ChatSettings(deployment_id="d-1", queue=""), LOCAL) == {}
    assert set(validate(ChatSettings(), LOCAL)) == {"deployment_id"}
    problems = validate(ChatSettings(deployment_id="d", origin="www.example.com"), LOCAL)
    assert set(problems) == {"origin"}
    big = (("note", "x" * 2045),)  # 4 + 2045 bytes: one over
    assert (
        "limit is 2,048"
        in validate(ChatSettings(deployment_id="d", custom_fields=big), LOCAL)["custom_fields"]
    )
    fits = (("note", "x" * 2044),)
    assert validate(ChatSettings(deployment_id="d", custom_fields=fits), LOCAL) == {}
    assert "auth_code" in validate(ChatSettings(deployment_id="d", auth_code="a\x1bb"), LOCAL)
    assert validate(ChatSettings(deployment_id="d", channel="webchat", origin="nope"), LOCAL) != {}


def test_environment_normalisation() -> None:
    """Region keys, api hosts and URLs map to the region host; api_base wins over environment."""
    assert normalize_environment("eu-west-1") == "mypurecloud.ie"
    assert normalize_environment("eu_west_1") == "mypurecloud.ie"
    assert normalize_environment("https://api.mypurecloud.ie/") == "mypurecloud.ie"
    assert environment_of(ChatSettings(environment="api.usw2.pure.cloud")) == "usw2.pure.cloud"
    assert environment_of(ChatSettings(api_base="http://x", environment="mypurecloud.ie")) == CUSTOM
    assert environment_of(ChatSettings()) == LOCAL


def test_config_file_with_a_token_is_private(tmp_path: Path) -> None:
    """The file can hold member auth tokens, so only its owner may read it (also after a rewrite of a
    file that was world-readable)."""
    path = tmp_path / "config.toml"
    path.write_text('theme = "dark"\n', encoding="utf-8")
    path.chmod(0o644)
    save_profile("p", ChatSettings(display_name="Ada", member_auth_token="secret-token"), path)
    assert path.stat().st_mode & 0o077 == 0
    assert load_config(path).theme == "dark"


def test_pasted_control_characters_are_reported() -> None:
    """Escape codes or other control characters pasted into a field would reach the agent's desktop: the
    form names the field instead of sending them (and keeps the text, so the user can fix it)."""
    base: dict[str, Any] = {"organization_id": "o", "deployment_id": "d", "channel": "webchat"}
    problems = validate(
        ChatSettings(
            display_name="\x1b[31mAnn", last_name="Lee\x07", custom_fields=(("k", "v\x1b]8;;x\x07"),), **base
        ),
        LOCAL,
    )
    assert set(problems) == {"display_name", "last_name", "custom_fields"}
    assert "control character" in problems["display_name"]
    assert validate(ChatSettings(display_name="Zoë 漢字 O'Brien", **base), LOCAL) == {}


def test_write_never_follows_a_link_planted_next_to_the_config(tmp_path: Path) -> None:
    """A symlink planted at the old fixed temp name (`config.toml.tmp`) is neither followed nor replaced;
    the write leaves no temporary file behind and the config is owner-only."""
    path = tmp_path / "config.toml"
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    planted = tmp_path / "config.toml.tmp"
    planted.symlink_to(victim)
    save_profile("work", ChatSettings(display_name="Ada", member_auth_token="tok-123456"), path)
    assert victim.read_text(encoding="utf-8") == "precious"
    assert planted.is_symlink() and planted.resolve() == victim
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "config.toml.tmp", "victim.txt"]
    assert (path.stat().st_mode & 0o777) == 0o600
    assert load_config(path).profiles["work"].display_name == "Ada"


def test_exposure_warning_only_for_a_token_readable_by_others(tmp_path: Path) -> None:
    """No warning for a private file or one without tokens; a warning naming chmod 600 otherwise."""
    from webchat_tui.config import exposure_warning

    path = tmp_path / "config.toml"
    save_profile("plain", ChatSettings(display_name="Ada"), path)
    path.chmod(0o644)
    assert exposure_warning(load_config(path)) is None
    save_profile("auth", ChatSettings(member_auth_token="tok-123456"), path)
    assert exposure_warning(load_config(path)) is None  # written 0600
    path.chmod(0o640)
    warning = exposure_warning(load_config(path))
    assert warning is not None and "chmod 600" in warning and "tok-123456" not in warning


def test_keymap_and_transcripts_dir_are_checked(tmp_path: Path) -> None:
    """`[keymap]` must map ids to key strings and `transcripts_dir` must be a path; both name the problem."""
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"chat.leave" = 5\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[keymap\] must map binding ids to keys"):
        load_config(path)
    path.write_text('transcripts_dir = ""\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="transcripts_dir must be a folder path"):
        load_config(path)
    path.write_text('transcripts_dir = "~/t"\ntheme = "nord"\n', encoding="utf-8")
    config = load_config(path)
    assert config.transcripts_dir == Path("~/t").expanduser() and config.theme == "nord"


def test_set_theme_keeps_everything_else(tmp_path: Path) -> None:
    """Remembering the theme rewrites only the `theme` key."""
    from webchat_tui.config import set_theme

    path = tmp_path / "config.toml"
    save_profile("p", ChatSettings(display_name="Ada"), path)
    set_default_profile("p", path)
    set_theme("gruvbox", path)
    config = load_config(path)
    assert (config.theme, config.default_profile, list(config.profiles)) == ("gruvbox", "p", ["p"])


def test_transcript_names_are_sanitized_and_files_private(tmp_path: Path) -> None:
    """Only safe characters reach the file name; the folder is created; files are 0600 and never
    overwritten."""
    from datetime import datetime

    from webchat_tui.tui.transcript_files import TranscriptSaveError, save_transcript

    moment = datetime(2026, 1, 2, 3, 4, 5)
    folder = tmp_path / "t"
    first = save_transcript(folder, "../\x00evil/\x1b[31m", "markdown", "# hi", moment=moment)
    second = save_transcript(folder, "../\x00evil/\x1b[31m", "markdown", "# again", moment=moment)
    assert first.parent == folder and second.parent == folder and first != second
    assert first.name == "transcript-evil-31m-20260102-030405.md"
    assert second.name == "transcript-evil-31m-20260102-030405-2.md"
    assert (first.stat().st_mode & 0o777) == 0o600 and first.read_text(encoding="utf-8") == "# hi"
    assert save_transcript(folder, None, "json", "{}", moment=moment).name.startswith("transcript-chat-")
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(TranscriptSaveError, match="Could not save the transcript"):
        save_transcript(blocker / "sub", "c", "json", "{}")
