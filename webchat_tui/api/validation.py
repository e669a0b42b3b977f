"""Client-side validation: reject bad input with the field name and the reason before any request is sent."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError

from webchat_tui.api.errors import ClientValidationError, InvalidResponseError

if TYPE_CHECKING:
    from webchat_tui.api.models import GuestMemberInfo

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "MAX_ID_LENGTH",
    "is_valid_id",
    "parse_body",
    "validate_message_body",
    "validate_member_info",
    "validate_required",
    "validate_id",
]

MAX_MESSAGE_LENGTH = 4000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{3,30}$")
MAX_ID_LENGTH = 128
_ID_FULLMATCH = re.compile(r"[A-Za-z0-9._~:-]{1,128}").fullmatch  # fullmatch: "$" would let "id\n" through
M = TypeVar("M", bound=BaseModel)


def is_valid_id(value: Any) -> bool:
    """Whether ``value`` may become a URL path segment or cursor: 1 to 128 of ``A-Z a-z 0-9 . _ ~ : -``, and
    not ``.`` or ``..`` (so no ``/``, no control character, nothing that changes the path)."""
    return isinstance(value, str) and _ID_FULLMATCH(value) is not None and value not in (".", "..")


def parse_body(model: type[M], data: Any, status: int, operation: str) -> M:
    """Decoded JSON ``data`` as ``model``; `InvalidResponseError` (never a pydantic error) if not."""
    if not isinstance(data, dict):
        raise InvalidResponseError(
            status, f"{operation}: the response body is not a JSON object", operation=operation
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors(include_url=False, include_input=False)[0] if exc.error_count() else None
        where = ".".join(str(p) for p in problem["loc"]) if problem else "?"
        what = problem["msg"] if problem else "invalid"
        raise InvalidResponseError(
            status,
            f"{operation}: the response does not match the contract ({where}: {what})",
            operation=operation,
        ) from None
    except RecursionError:
        raise InvalidResponseError(
            status, f"{operation}: the response is nested too deeply", operation=operation
        ) from None


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
    """A path id must be present and contain no characters that would change the URL (see `is_valid_id`)."""
    validate_required(value, field)
    if not is_valid_id(value):
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
