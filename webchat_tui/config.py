"""Chat settings and TOML profiles.

| who reads it            | what                                                                   |
|-------------------------|------------------------------------------------------------------------|
| `webchat-tui chat`      | `resolve_settings()`: flags > `WEBCHAT_TUI_*` env > profile > defaults |
| `webchat-tui profiles`  | `load_config()`, `save_profile()`, `delete_profile()`                  |

The file lives at `platformdirs.user_config_path("webchat-tui") / "config.toml"`; the environment variable
`WEBCHAT_TUI_CONFIG` replaces that path (tests use it). Layout::

    default_profile = "work"          # optional: used when no --profile is given
    theme = "nord"                    # optional: any theme the app offers (remembered when chosen in the app)
    transcripts_dir = "~/chats"       # optional: where saved transcripts go (default: the user data dir)

    [keymap]                          # optional: binding id = keys, e.g. move Leave to ctrl+x
    "chat.leave" = "ctrl+x"

    [profiles.work]
    display_name = "Ada"
    environment = "mypurecloud.ie"
    organization_id = "..."
    deployment_id = "..."
    queue = "Support"
    skills = ["English"]

    [profiles.work.custom_fields]
    orderId = "42"

A file that cannot be read or does not follow this layout raises `ConfigError` naming the file; nothing
is ever written over a file that could not be read, so a typo never loses saved profiles. This module never
imports Textual or Rich.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_ENV_VAR",
    "ENV_PREFIX",
    "ChatSettings",
    "CHANNELS",
    "ConfigFile",
    "ConfigError",
    "config_path",
    "load_config",
    "save_profile",
    "delete_profile",
    "set_default_profile",
    "convert_values",
    "resolve_settings",
    "set_theme",
    "exposure_warning",
]

CONFIG_ENV_VAR = "WEBCHAT_TUI_CONFIG"
"""Environment variable that replaces the config file path."""
ENV_PREFIX = "WEBCHAT_TUI_"
"""Prefix of the environment variables that override single settings, e.g. `WEBCHAT_TUI_DISPLAY_NAME`."""


class ConfigError(Exception):
    """The config file (or a value for it) is unusable; the message names the file and says why."""

    def __init__(self, path: Path | None, reason: str) -> None:
        self.path = path
        self.reason = reason
        where = f"{path}: " if path is not None else ""
        super().__init__(f"{where}{reason}")


@dataclass(frozen=True)
class ChatSettings:
    """Everything the join form holds: who the guest is, where the chat goes, and which backend serves it."""

    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    avatar_url: str = ""
    custom_fields: tuple[tuple[str, str], ...] = ()
    """Ordered key/value pairs (a tuple so the settings stay hashable and comparable)."""
    queue: str = "Support"
    skills: tuple[str, ...] = ()
    language: str = ""
    priority: int | None = None
    environment: str = ""
    """A Genesys Cloud region host such as `mypurecloud.ie`; empty means the local emulator."""
    api_base: str = ""
    """An explicit API base URL (e.g. a standalone emulator); wins over `environment`."""
    organization_id: str = ""
    deployment_id: str = ""
    member_auth_token: str = field(default="", repr=False)
    """Secret: left out of `repr` (and so of logs and crash reports)."""
    channel: str = "messaging"
    """`messaging` (Web Messaging, the default: what Genesys Cloud runs today) or `webchat` (Web Chat v2)."""
    origin: str = ""
    """Web Messaging: the Origin header sent to the service (deployments may restrict origins)."""
    auth_code: str = field(default="", repr=False)
    """Web Messaging: the sign-in code of an authenticated deployment (secret, left out of `repr`)."""
    new_conversation: bool = False
    """Web Messaging: start a new conversation instead of resuming the stored one."""

    def merged(self, values: Mapping[str, Any]) -> ChatSettings:
        """Return a copy with `values` (already converted, unknown keys rejected earlier) applied."""
        return replace(self, **dict(values))

    def summary(self) -> str:
        """One line for profile lists (no secrets): who, the channel's route, and where.

        Web Chat v2 routes by queue; Web Messaging by deployment (the queue is not its concept)."""
        who = self.display_name or "-"
        where = self.api_base or self.environment or "local emulator"
        if self.channel == "messaging":
            return f"{who} → Web Messaging deployment {self.deployment_id or '-'} on {where}"
        return f"{who} → queue {self.queue or '-'} (Web Chat v2) on {where}"

    def to_toml_dict(self) -> dict[str, Any]:
        """The non-default values as a TOML-ready table (what `profiles save` writes)."""
        default = ChatSettings()
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value == getattr(default, f.name):
                continue
            if f.name == "custom_fields":
                out[f.name] = dict(value)
            elif f.name == "skills":
                out[f.name] = list(value)
            else:
                out[f.name] = value
        return out


CHANNELS: tuple[str, ...] = ("messaging", "webchat")
"""The chat channels: Web Messaging and Web Chat v2."""

SETTING_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ChatSettings))
"""Every key a profile table may hold."""


@dataclass
class ConfigFile:
    """The parsed config file."""

    path: Path
    default_profile: str | None = None
    theme: str | None = None
    transcripts_dir: Path | None = None
    """Where saved transcripts go (`~` expanded); None means the default folder in the user data dir."""
    keymap: dict[str, str] = field(default_factory=dict)
    """`[keymap]`: binding id → comma separated keys, applied with Textual's keymap support."""
    profiles: dict[str, ChatSettings] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    """The whole parsed document, so writing a profile keeps every other key."""


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the config file is: `$WEBCHAT_TUI_CONFIG`, else the platform's user config directory."""
    env = os.environ if env is None else env
    override = env.get(CONFIG_ENV_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs  # deferred: only the commands that touch the config pay for it

    return Path(platformdirs.user_config_path("webchat-tui")) / "config.toml"


def load_config(path: Path | None = None) -> ConfigFile:
    """Read and validate the config file; a missing file is an empty config.

    Raises:
        ConfigError: the file cannot be read, is not TOML, or holds unknown keys or wrongly typed values.
    """
    path = config_path() if path is None else path
    if not path.exists():
        return ConfigFile(path=path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, f"not valid TOML ({exc}); fix or move the file, nothing was changed") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot be read ({exc})") from exc
    known_top = {"default_profile", "theme", "transcripts_dir", "keymap", "profiles"}
    unknown = sorted(set(raw) - known_top)
    if unknown:
        raise ConfigError(
            path, f"unknown top-level key(s) {', '.join(unknown)} (known: {', '.join(sorted(known_top))})"
        )
    default_profile = raw.get("default_profile")
    if default_profile is not None and not isinstance(default_profile, str):
        raise ConfigError(path, "default_profile must be a string")
    theme = raw.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise ConfigError(path, "theme must be a string")
    transcripts = raw.get("transcripts_dir")
    if transcripts is not None and (not isinstance(transcripts, str) or not transcripts.strip()):
        raise ConfigError(path, "transcripts_dir must be a folder path (a non-empty string)")
    keymap = raw.get("keymap", {})
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in keymap.items()
    ):
        raise ConfigError(path, '[keymap] must map binding ids to keys, e.g. "chat.leave" = "ctrl+x"')
    tables = raw.get("profiles", {})
    if not isinstance(tables, dict):
        raise ConfigError(path, "[profiles] must be a table of tables")
    profiles: dict[str, ChatSettings] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(path, f"[profiles.{name}] must be a table")
        try:
            profiles[name] = ChatSettings().merged(convert_values(table, source=f"[profiles.{name}]"))
        except ValueError as exc:
            raise ConfigError(path, str(exc)) from exc
    return ConfigFile(
        path=path,
        default_profile=default_profile,
        theme=theme,
        transcripts_dir=Path(transcripts).expanduser() if transcripts else None,
        keymap=dict(keymap),
        profiles=profiles,
        raw=raw,
    )


def exposure_warning(config: ConfigFile) -> str | None:
    """A warning when the file holds a member auth token and other users may read it, else None."""
    if not any(p.member_auth_token or p.auth_code for p in config.profiles.values()):
        return None
    try:
        mode = config.path.stat().st_mode
    except OSError:
        return None
    if mode & 0o077 == 0:
        return None
    return (
        f"{config.path} holds a member auth token and other users can read it "
        f"(mode {mode & 0o777:03o}); run: chmod 600 {config.path}"
    )


def convert_values(values: Mapping[str, Any], *, source: str) -> dict[str, Any]:
    """Check and convert raw values (TOML, env or flags) into `ChatSettings` field values.

    Raises:
        ValueError: an unknown key or a value of the wrong type; the message names `source` and the key.
    """
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in SETTING_NAMES:
            raise ValueError(f"{source}: unknown key {key!r} (known: {', '.join(SETTING_NAMES)})")
        if key == "custom_fields":
            if isinstance(value, Mapping):
                pairs = list(value.items())
            elif isinstance(value, list | tuple):
                pairs = [tuple(p) for p in value]
            else:
                raise ValueError(f"{source}: custom_fields must be a table of strings")
            if not all(len(p) == 2 and isinstance(p[0], str) and isinstance(p[1], str) for p in pairs):
                raise ValueError(f"{source}: custom_fields must map strings to strings")
            out[key] = tuple((str(k), str(v)) for k, v in pairs)
        elif key == "skills":
            if isinstance(value, str):
                value = [s.strip() for s in value.split(",") if s.strip()]
            if not isinstance(value, list | tuple) or not all(isinstance(s, str) for s in value):
                raise ValueError(f"{source}: skills must be a list of strings")
            out[key] = tuple(value)
        elif key == "new_conversation":
            if isinstance(value, str) and value.strip().lower() in (
                "1",
                "true",
                "yes",
                "0",
                "false",
                "no",
                "",
            ):
                value = value.strip().lower() in ("1", "true", "yes")
            if not isinstance(value, bool):
                raise ValueError(f"{source}: new_conversation must be true or false")
            out[key] = value
        elif key == "channel":
            if value not in CHANNELS:
                raise ValueError(f"{source}: channel must be one of {', '.join(CHANNELS)}, got {value!r}")
            out[key] = value
        elif key == "priority":
            if value is None or value == "":
                out[key] = None
            elif isinstance(value, bool):
                raise ValueError(f"{source}: priority must be a whole number")
            elif isinstance(value, int):
                out[key] = value
            elif isinstance(value, str):
                try:
                    out[key] = int(value.strip())
                except ValueError:
                    raise ValueError(f"{source}: priority must be a whole number, got {value!r}") from None
            else:
                raise ValueError(f"{source}: priority must be a whole number")
        else:
            if not isinstance(value, str):
                raise ValueError(f"{source}: {key} must be a string")
            out[key] = value
    return out


def env_values(env: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as `WEBCHAT_TUI_<FIELD>` environment variables (e.g. `WEBCHAT_TUI_QUEUE`).

    `WEBCHAT_TUI_SKILLS` is comma separated; `WEBCHAT_TUI_CUSTOM_FIELDS` is `key=value,key=value`.
    """
    raw: dict[str, Any] = {}
    for name in SETTING_NAMES:
        value = env.get(ENV_PREFIX + name.upper())
        if value is None:
            continue
        if name == "custom_fields":
            pairs = []
            for item in value.split(","):
                if not item.strip():
                    continue
                key, sep, val = item.partition("=")
                if not sep:
                    raise ValueError(f"{ENV_PREFIX}CUSTOM_FIELDS: expected key=value, got {item!r}")
                pairs.append((key.strip(), val.strip()))
            raw[name] = pairs
        else:
            raw[name] = value
    return convert_values(raw, source="environment")


def resolve_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    config: ConfigFile | None = None,
) -> ChatSettings:
    """Combine the sources, highest first: `flags` > `WEBCHAT_TUI_*` env > profile from the file > defaults.

    Args:
        flags: values given on the command line (None values mean "not given").
        profile: profile name; without it the file's `default_profile` is used when set.
        env: environment (default `os.environ`).
        config: an already loaded config file (default: load it from `config_path(env)`).

    Raises:
        ConfigError: the file is broken, the profile does not exist, or a value is invalid.
    """
    env = os.environ if env is None else env
    config = load_config(config_path(env)) if config is None else config
    settings = ChatSettings()
    name = profile or config.default_profile
    if name:
        if name not in config.profiles:
            known = ", ".join(sorted(config.profiles)) or "none saved"
            raise ConfigError(config.path, f"no profile named {name!r} (profiles: {known})")
        settings = config.profiles[name]
    try:
        settings = settings.merged(env_values(env))
        given = {k: v for k, v in (flags or {}).items() if v is not None and v != ()}
        settings = settings.merged(convert_values(given, source="command line"))
    except ValueError as exc:
        raise ConfigError(None, str(exc)) from exc
    return settings


def save_profile(name: str, settings: ChatSettings, path: Path | None = None) -> Path:
    """Add or replace profile `name` in the config file, keeping everything else in it; returns the path.

    Raises:
        ConfigError: the existing file is broken (it is left untouched) or cannot be written.
    """
    if not name.strip():
        raise ConfigError(None, "a profile needs a name")
    config = load_config(path)
    raw = dict(config.raw)
    profiles = dict(raw.get("profiles", {}))
    profiles[name] = settings.to_toml_dict()
    raw["profiles"] = profiles
    _write(config.path, raw)
    return config.path


def delete_profile(name: str, path: Path | None = None) -> Path:
    """Remove profile `name` (and unset it as default); returns the path.

    Raises:
        ConfigError: no such profile, or the file is broken (left untouched) or cannot be written.
    """
    config = load_config(path)
    if name not in config.profiles:
        known = ", ".join(sorted(config.profiles)) or "none saved"
        raise ConfigError(config.path, f"no profile named {name!r} (profiles: {known})")
    raw = dict(config.raw)
    profiles = dict(raw.get("profiles", {}))
    del profiles[name]
    raw["profiles"] = profiles
    if raw.get("default_profile") == name:
        del raw["default_profile"]
    _write(config.path, raw)
    return config.path


def set_default_profile(name: str, path: Path | None = None) -> Path:
    """Make `name` the profile used when no `--profile` is given; returns the path.

    Raises:
        ConfigError: no such profile, or the file is broken (left untouched) or cannot be written.
    """
    config = load_config(path)
    if name not in config.profiles:
        raise ConfigError(config.path, f"no profile named {name!r}")
    raw = dict(config.raw)
    raw["default_profile"] = name
    _write(config.path, raw)
    return config.path


def set_theme(theme: str, path: Path | None = None) -> Path:
    """Remember `theme` as the app's theme (the top-level `theme` key); returns the path.

    Raises:
        ConfigError: the existing file is broken (it is left untouched) or cannot be written.
    """
    config = load_config(path)
    raw = dict(config.raw)
    raw["theme"] = theme
    _write(config.path, raw)
    return config.path


def _write(path: Path, document: dict[str, Any]) -> None:
    """Write atomically and owner-only (0600), because profiles can hold member auth tokens; through a
    temporary file no planted file or link can redirect (`safe_files.write_private_atomic`)."""
    import tomli_w

    from webchat_tui.safe_files import write_private_atomic

    try:
        write_private_atomic(path, tomli_w.dumps(document).encode("utf-8"))
    except OSError as exc:
        raise ConfigError(path, f"cannot be written ({exc})") from exc
