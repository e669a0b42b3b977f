"""The join form's rules, free of Textual: the backend choices and per-field validation.

Kept apart from the screen so the CLI, the form and the tests agree on what a valid form is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from webchat_tui.api.errors import ClientValidationError
from webchat_tui.api.regions import REGIONS, resolve_environment
from webchat_tui.config import ChatSettings

__all__ = [
    "LOCAL",
    "CUSTOM",
    "environment_choices",
    "environment_of",
    "normalize_environment",
    "validate",
    "WEBCHAT_ONLY",
    "MESSAGING_ONLY",
    "CHANNEL_CHOICES",
    "MAX_CUSTOM_ATTRIBUTES_BYTES",
    "custom_attributes_bytes",
    "profile_problems",
    "plural",
    "MAX_FIELD",
    "MAX_PRIORITY",
    "PRIORITY_PROBLEM",
]

LOCAL = "local"
"""Environment value for the local emulator (embedded, or the one the app was pointed at)."""
CUSTOM = "custom"
"""Environment value for an explicit API base URL (`--api-base`)."""

MAX_FIELD = 256
"""Longest value accepted in a single-line member field."""
MAX_PRIORITY = 1_000_000
"""Highest routing priority the form accepts."""
PRIORITY_PROBLEM = f"Priority must be a whole number from 0 to {MAX_PRIORITY:,}."


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 field`, `2 fields` (`nouns` for irregular plurals)."""
    return f"{count:,} {noun if count == 1 else (nouns or noun + 's')}"


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,32}$")
_ID = re.compile(r"^[A-Za-z0-9._-]+$")
_URL = re.compile(r"^https?://[^\s/]+\S*$")


_HOSTS = {region.env_host for region in REGIONS}

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Control characters (C0, DEL, C1) and bidi overrides: pasted escape codes, not text."""
_CONTROL_PROBLEM = "Contains control characters (pasted escape codes?); delete them."
_TEXT_FIELDS = (
    "display_name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "avatar_url",
    "queue",
    "language",
    "api_base",
    "member_auth_token",
    "origin",
    "auth_code",
)
WEBCHAT_ONLY = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "avatar_url",
    "queue",
    "skills",
    "language",
    "priority",
    "organization_id",
    "member_auth_token",
)
"""Fields only Web Chat v2 has; the form hides them (and `validate` ignores them) for Web Messaging."""
MESSAGING_ONLY = ("origin", "auth_code")
"""Fields only Web Messaging has."""
CHANNEL_CHOICES: tuple[tuple[str, str], ...] = (("Web Messaging", "messaging"), ("Web Chat v2", "webchat"))
"""(label, value) pairs of the channel choice; Web Messaging first (the default)."""
MAX_CUSTOM_ATTRIBUTES_BYTES = 2048
"""Web Messaging's custom-attributes limit when the service has not said otherwise (protocol.md §11; the
session's `DEFAULT_MAX_CUSTOM_DATA_BYTES`, checked equal by a test)."""


def custom_attributes_bytes(pairs: tuple[tuple[str, str], ...]) -> int:
    """The size the service counts for custom attributes (the session's own rule, imported when first
    needed: the messaging package is not loaded before the form is shown)."""
    if not pairs:
        return 0
    from webchat_tui.messaging.session import custom_attributes_size

    return custom_attributes_size(dict(pairs))


def normalize_environment(value: str) -> str:
    """Map `eu-west-1`, `eu_west_1`, `api.mypurecloud.ie` or `https://api.mypurecloud.ie/` to the region host;
    anything else is returned stripped (and later reported as unknown)."""
    try:
        return resolve_environment(value).env_host
    except ClientValidationError:
        return value.strip()


def environment_choices(extra: str = "") -> list[tuple[str, str]]:
    """(label, value) pairs for the environment select: local emulator, custom URL, then the regions.

    `extra` adds a value that is not a known region (from a flag or profile) so the form can show it and
    say what is wrong with it.
    """
    choices = [("Local emulator", LOCAL), ("Custom API base URL", CUSTOM)]
    choices += [(f"{region.env_host} ({region.label})", region.env_host) for region in REGIONS]
    if extra and extra not in _HOSTS and extra not in (LOCAL, CUSTOM):
        choices.append((f"{extra} (unknown region)", extra))
    return choices


def environment_of(settings: ChatSettings) -> str:
    """Which environment select value `settings` stands for."""
    if settings.api_base:
        return CUSTOM
    return normalize_environment(settings.environment) if settings.environment else LOCAL


@dataclass(frozen=True)
class FormProblem:
    """One field's problem, in plain words."""

    field: str
    message: str


def validate(settings: ChatSettings, environment: str) -> dict[str, str]:
    """Check the form; returns {field name: plain-words problem}; empty when the chat can start.

    Custom-field problems use the key `custom_fields`; rows left entirely blank are dropped before this.
    Only the fields of `settings.channel` are checked (for Web Messaging the name is optional and the custom
    fields are custom attributes, checked against their size limit).
    """
    problems = _validate_all(settings, environment)
    if settings.channel == "messaging":
        for name in WEBCHAT_ONLY:
            problems.pop(name, None)
        if not settings.display_name.strip():
            problems.pop("display_name", None)
        size = custom_attributes_bytes(settings.custom_fields)
        if "custom_fields" not in problems and size > MAX_CUSTOM_ATTRIBUTES_BYTES:
            problems["custom_fields"] = (
                f"Custom attributes take {size:,} bytes; the limit is {MAX_CUSTOM_ATTRIBUTES_BYTES:,}."
            )
        if settings.origin and not _URL.match(settings.origin.strip()):
            problems["origin"] = "Use an http:// or https:// address, e.g. https://www.example.com."
    else:
        for name in MESSAGING_ONLY:
            problems.pop(name, None)
    return problems


def _validate_all(settings: ChatSettings, environment: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not settings.display_name.strip():
        problems["display_name"] = "Enter the name the agent will see."
    for name in ("display_name", "first_name", "last_name", "email", "phone", "language", "queue"):
        if len(getattr(settings, name)) > MAX_FIELD:
            problems[name] = f"At most {MAX_FIELD} characters."
    if settings.email and not _EMAIL.match(settings.email.strip()):
        problems["email"] = "Not an email address (use name@example.com)."
    if settings.phone and not _PHONE.match(settings.phone.strip()):
        problems["phone"] = "Use digits, spaces and + ( ) - only."
    if settings.avatar_url and not _URL.match(settings.avatar_url.strip()):
        problems["avatar_url"] = "Use an http:// or https:// address."
    if not settings.queue.strip():
        problems["queue"] = "Enter the queue name to route the chat to."
    if settings.priority is not None and not (0 <= settings.priority <= MAX_PRIORITY):
        problems["priority"] = PRIORITY_PROBLEM
    keys = [k.strip() for k, _ in settings.custom_fields]
    if any(_CONTROL.search(k) or _CONTROL.search(v) for k, v in settings.custom_fields):
        problems["custom_fields"] = _CONTROL_PROBLEM
    elif any(not k for k in keys):
        problems["custom_fields"] = "Every custom field needs a name."
    elif len(set(keys)) != len(keys):
        problems["custom_fields"] = "Custom field names must be unique."
    if environment not in (LOCAL, CUSTOM) and environment not in _HOSTS:
        problems["environment"] = f"{environment!r} is not a Genesys Cloud region; pick one from the list."
    if environment == CUSTOM and not _URL.match(settings.api_base.strip()):
        problems["api_base"] = "Enter the API base URL, e.g. http://127.0.0.1:8765."
    for name in _TEXT_FIELDS:
        if _CONTROL.search(getattr(settings, name)):
            problems[name] = _CONTROL_PROBLEM
    if any(_CONTROL.search(skill) for skill in settings.skills):
        problems["skills"] = _CONTROL_PROBLEM
    for name, what in (("organization_id", "organization id"), ("deployment_id", "deployment id")):
        value = getattr(settings, name).strip()
        if not value:
            problems[name] = f"Enter the {what}."
        elif not _ID.match(value):
            problems[name] = f"The {what} has letters, digits, dots and dashes only."
    return problems


def profile_problems(settings: ChatSettings) -> dict[str, str]:
    """What `validate` says about the values a profile *holds*: the same rules as the form, but a field left
    empty is fine (the form asks for it when the profile is used)."""
    problems = validate(settings, environment_of(settings))
    for name in list(problems):
        value = getattr(settings, name, None)
        if value in ("", (), None):
            del problems[name]
    return problems
