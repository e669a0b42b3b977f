"""Checks of the rich content the control API is asked to send (quick replies, card, carousel, date picker,
list picker), so that every frame the emulator sends keeps to the vendor's schema (`schema.json`, protocol.md
§5.3): a bad field is a 400 naming it (``card.actions[1].type must be one of Link, Postback``), never a frame
a real client would choke on.

Plain functions over the parsed JSON, like the rest of the emulator (no pydantic on its paths). Fields the
schema does not name are let through, as the schema does (``additionalProperties: true``). Two rules are
stricter than the schema, from protocol.md: a card action needs its `type` and `text`, and a date picker's
`dateTime` is an ISO 8601 date-time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import Any

from webchat_tui.emulator.errors import EmulatorError

__all__ = ["Check", "CARD", "CARDS", "DATE_PICKER", "LIST_PICKER", "QUICK_REPLY"]

Check = Callable[[Any, str], None]
"""Raises 400 `bad.request` naming ``path`` (the field's place in the request body) unless the value fits."""


def _bad(path: str, problem: str) -> EmulatorError:
    return EmulatorError("bad.request", message=f"{path} {problem}")


def _string(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise _bad(path, "must be a string")


def _boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise _bad(path, "must be a boolean")


def _number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(path, "must be a finite number")


def _date_time(value: Any, path: str) -> None:
    _string(value, path)
    try:
        if "T" not in value.upper():  # a date alone is not a slot
            raise ValueError(value)
        dt.datetime.fromisoformat(value)
    except ValueError:
        raise _bad(path, "must be an ISO 8601 date-time (e.g. 2026-12-01T10:00:00Z)") from None


def _one_of(*values: str) -> Check:
    def check(value: Any, path: str) -> None:
        if value not in values:
            raise _bad(path, f"must be one of {', '.join(values)}")

    return check


def _array(item: Check, *, at_least: int = 0) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _bad(path, "must be a list")
        if len(value) < at_least:
            raise _bad(path, f"must hold at least {at_least} item{'s' if at_least > 1 else ''}")
        for i, element in enumerate(value):
            item(element, f"{path}[{i}]")

    return check


def _object(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _bad(path, "must be an object")
        for key, field in required.items():
            if key not in value:
                raise _bad(f"{path}.{key}", "is required")
            field(value[key], f"{path}.{key}")
        for key, field in (optional or {}).items():
            if key in value:
                field(value[key], f"{path}.{key}")

    return check


def _strings(*names: str) -> dict[str, Check]:
    return dict.fromkeys(names, _string)


QUICK_REPLY = _object({"text": _string}, {"payload": _string})
"""One reply of ``replies`` given as an object (the payload defaults to the text)."""

_CARD_ACTION = _object({"type": _one_of("Link", "Postback"), "text": _string}, _strings("payload", "url"))
CARD = _object(
    {"title": _string, "actions": _array(_CARD_ACTION)},
    {**_strings("description", "image", "video"), "defaultAction": _CARD_ACTION},
)
CARDS = _array(CARD, at_least=1)
"""A carousel's cards."""

DATE_PICKER = _object(
    {},
    {
        **_strings("id", "title", "subtitle", "imageUrl", "dateMinimum", "dateMaximum"),
        "availableTimes": _array(_object({"dateTime": _date_time, "duration": _number})),
        "dateDisplayFormat": _one_of("dayMonthYear", "monthDayYear", "yearMonthDay"),
        "location": _object(
            {"text": _string}, {**_strings("address", "url"), "latitude": _number, "longitude": _number}
        ),
    },
)

_REPLY_MESSAGE = _object({}, _strings("title", "subtitle", "header", "imageUrl", "buttonLabel"))
_LIST_ITEM = _object({"id": _string, "title": _string}, _strings("subtitle", "imageUrl"))
LIST_PICKER = _object(
    {
        "sections": _array(
            _object(
                {"title": _string, "multipleSelection": _boolean, "items": _array(_LIST_ITEM, at_least=1)}
            ),
            at_least=1,
        ),
        "receivedMessage": _REPLY_MESSAGE,
        "replyMessage": _REPLY_MESSAGE,
    },
    _strings("id"),
)
