"""Client-side validation: reject bad input with the field name and the reason before any request is sent."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from webchat_tui.api.errors import ClientValidationError
from webchat_tui.api.models import GuestMemberInfo

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "validate_message_body",
    "validate_member_info",
    "validate_required",
    "validate_id",
]

MAX_MESSAGE_LENGTH = 4000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{3,30}$")
_ID = re.compile(r"^[A-Za-z0-9._~:-]{1,200}$")


def validate_message_body(body: str, field: str = "body") -> None:
    """A message body must not be empty (or only whitespace) and must be at most 4,000 characters."""
    if not isinstance(body, str):
        raise ClientValidationError(field, "must be a string")
    if not body.strip():
        raise ClientValidationError(field, "must not be empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise ClientValidationError(
            field, f"is {len(body)} characters long; the maximum is {MAX_MESSAGE_LENGTH}"
        )


def validate_required(value: str | None, field: str) -> None:
    """``value`` must be a non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ClientValidationError(field, "is required")


def validate_id(value: str, field: str) -> None:
    """A path id must be present and contain no characters that would change the URL."""
    validate_required(value, field)
    if not _ID.match(value):
        raise ClientValidationError(field, "is not a valid id")


def validate_member_info(info: GuestMemberInfo, field: str = "memberInfo") -> None:
    """`displayName` present; email, phone number and avatar URL well formed when given; custom fields
    strings."""
    validate_required(info.display_name, f"{field}.displayName")
    if info.email is not None and not _EMAIL.match(info.email):
        raise ClientValidationError(f"{field}.email", f"{info.email!r} is not a valid email address")
    if info.phone_number is not None and not _PHONE.match(info.phone_number):
        raise ClientValidationError(
            f"{field}.phoneNumber", f"{info.phone_number!r} is not a valid phone number"
        )
    if info.avatar_image_url is not None:
        parts = urlsplit(info.avatar_image_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ClientValidationError(
                f"{field}.avatarImageUrl", f"{info.avatar_image_url!r} is not an absolute http(s) URL"
            )
    for key, value in (info.custom_fields or {}).items():
        if not isinstance(key, str) or not key:
            raise ClientValidationError(f"{field}.customFields", "keys must be non-empty strings")
        if not isinstance(value, str):
            raise ClientValidationError(f"{field}.customFields.{key}", "must be a string")
