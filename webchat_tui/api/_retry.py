"""Retry policy: which operations retry on what, full-jitter exponential backoff, and Retry-After parsing.

- SAFE (every GET) and IDEMPOTENT (PUT, PATCH, DELETE): retried on connection errors, timeouts, 408/429/5xx.
  A DELETE that gets 404 on a retry after an ambiguous attempt counts as success.
- NON_IDEMPOTENT (POST conversations, deployments, messages): retried only when the request provably never
  reached the server (connect errors, connect/pool timeouts) or was rejected with 429/503. Message sends add a
  reconciliation read before any resend (see `WebChatClient.post_webchat_guest_conversation_member_messages`).
- EPHEMERAL (POST typing): never retried.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

__all__ = [
    "OpClass",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "status_is_retryable",
    "RETRYABLE_STATUSES",
]

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_REJECTED_STATUSES = frozenset({429, 503})


class OpClass(StrEnum):
    """How safe an operation is to repeat."""

    SAFE = "safe"
    IDEMPOTENT = "idempotent"
    NON_IDEMPOTENT = "non_idempotent"
    EPHEMERAL = "ephemeral"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry knobs. `max_attempts` counts the first try; delays are seconds; `deadline` bounds one call."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    deadline: float | None = 90.0


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in ``[0, min(max_delay, base_delay * 2**attempt)]`` (attempt 0 = first retry)."""
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** min(attempt, 30)))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds, possibly fractional, or an HTTP date)."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def status_is_retryable(op_class: OpClass, status: int) -> bool:
    """Whether an HTTP error ``status`` may be retried for an operation of ``op_class``."""
    if op_class in (OpClass.SAFE, OpClass.IDEMPOTENT):
        return status in RETRYABLE_STATUSES
    if op_class is OpClass.NON_IDEMPOTENT:
        return status in _REJECTED_STATUSES
    return False
