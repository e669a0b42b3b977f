"""The one retry engine: which operations retry on what (`decide`), full-jitter exponential backoff,
Retry-After parsing, and the loop (`run_with_retries`) with an optional reconcile hook.

- SAFE (every GET) and IDEMPOTENT (PUT, PATCH, DELETE): retried on connection errors, timeouts, 408/429/5xx.
  A DELETE that gets 404 on a retry after an ambiguous attempt counts as success.
- NON_IDEMPOTENT (POST conversations, deployments, messages): retried only when the request provably never
  reached the server (connect errors, connect/pool timeouts) or was rejected with 429/503. With a reconcile
  hook (message sends) they are also retried after an ambiguous failure (timeout, dropped connection, 5xx),
  but only after the hook looked and did not find the first attempt's result.
- EPHEMERAL (POST typing): never retried.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TypeVar

from webchat_tui.api.errors import (
    AmbiguousOutcomeError,
    ApiError,
    NetworkError,
    SessionExpired,
    WebChatError,
)

__all__ = [
    "OpClass",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "status_is_retryable",
    "RETRYABLE_STATUSES",
    "Decision",
    "decide",
    "run_with_retries",
]

T = TypeVar("T")

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


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do after a failed attempt."""

    retry: bool
    delay: float = 0.0
    reconcile: bool = False
    """Look (with the reconcile hook) whether the failed attempt took effect before trying again."""
    ambiguous: bool = False
    """The failed attempt may have been applied by the server."""
    reason: str = ""


def decide(
    error: WebChatError,
    *,
    op_class: OpClass,
    attempt: int,
    policy: RetryPolicy,
    rng: random.Random | None = None,
    can_reconcile: bool = False,
) -> Decision:
    """The retry decision for ``error`` on attempt ``attempt`` (0 = the first) of an ``op_class`` call."""
    if isinstance(error, NetworkError):
        ambiguous = error.sent is not False
        delay = backoff_delay(attempt, policy, rng)
        if op_class is OpClass.EPHEMERAL:
            return Decision(False, ambiguous=ambiguous)
        if not ambiguous or op_class in (OpClass.SAFE, OpClass.IDEMPOTENT):
            return Decision(True, delay, ambiguous=ambiguous, reason="backoff")
        if can_reconcile:
            return Decision(True, delay, reconcile=True, ambiguous=True, reason="backoff")
        return Decision(False, ambiguous=True)
    if not isinstance(error, ApiError) or isinstance(error, SessionExpired):
        return Decision(False)
    status = error.status
    ambiguous = status >= 500 or status == 408
    retryable = status_is_retryable(op_class, status) or (
        can_reconcile and op_class is OpClass.NON_IDEMPOTENT and status in RETRYABLE_STATUSES
    )
    if not retryable:
        return Decision(False, ambiguous=ambiguous)
    retry_after: float | None = getattr(error, "retry_after", None)
    if retry_after is not None:
        if retry_after > policy.max_retry_after:
            return Decision(False, ambiguous=ambiguous)
        delay, reason = retry_after, "Retry-After"
    else:
        delay, reason = backoff_delay(attempt, policy, rng), "backoff"
    reconcile = can_reconcile and op_class is OpClass.NON_IDEMPOTENT and status != 429
    return Decision(True, delay, reconcile=reconcile, ambiguous=ambiguous, reason=reason)


async def run_with_retries(
    attempt: Callable[[bool], Awaitable[T]],
    *,
    operation: str,
    op_class: OpClass,
    policy: RetryPolicy,
    rng: random.Random | None,
    sleep: Callable[[float], Awaitable[None]],
    log: logging.Logger,
    max_attempts: int | None = None,
    reconcile: Callable[[], Awaitable[T | None]] | None = None,
) -> T:
    """Run ``attempt(ambiguous_before)`` until it succeeds or `decide` says stop; raise the last error.

    ``ambiguous_before`` tells an attempt that an earlier one may have been applied (so "already done" answers
    can count as success). ``reconcile`` (optional) looks for the effect of an ambiguous attempt before the
    next one: a result it returns is the operation's result; a `WebChatError` it raises becomes an
    `AmbiguousOutcomeError` (nothing is ever resent blind).
    """
    attempts = max_attempts or (1 if op_class is OpClass.EPHEMERAL else policy.max_attempts)
    started = time.monotonic()
    ambiguous = False
    number = 0
    while True:
        try:
            return await attempt(ambiguous)
        except WebChatError as error:
            decision = decide(
                error,
                op_class=op_class,
                attempt=number,
                policy=policy,
                rng=rng,
                can_reconcile=reconcile is not None,
            )
            ambiguous = ambiguous or decision.ambiguous
            last = not decision.retry or number + 1 >= attempts
            deadline = policy.deadline
            if not last and deadline is not None:
                last = time.monotonic() + decision.delay - started > deadline
            if not last:
                what = f"after HTTP {error.status}" if isinstance(error, ApiError) else type(error).__name__
                log.debug(
                    "retrying %s %s in %.2f s (%s, attempt %d)",
                    operation,
                    what,
                    decision.delay,
                    decision.reason,
                    number + 2,
                )
                await sleep(decision.delay)  # a slow server may still be storing it: wait before looking
            if decision.reconcile and reconcile is not None:
                found = await _reconcile(reconcile, operation, error, log)
                if found is not None:
                    return found
            if last:
                raise
            number += 1


async def _reconcile(
    reconcile: Callable[[], Awaitable[T | None]], operation: str, error: WebChatError, log: logging.Logger
) -> T | None:
    log.debug("%s: ambiguous failure (%s); reconciling", operation, type(error).__name__)
    try:
        found = await reconcile()
    except WebChatError as exc:
        raise AmbiguousOutcomeError(
            f"{operation}: the request failed ({type(error).__name__}) and it could not be verified whether "
            f"it was applied ({type(exc).__name__})",
            operation=operation,
        ) from exc
    if found is not None:
        log.debug("%s: the first attempt was applied despite the error; not repeating it", operation)
    return found
