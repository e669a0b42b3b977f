"""Failures of one HTTP exchange turned into the typed errors of `webchat_tui.api.errors`."""

from __future__ import annotations

from webchat_tui.api._retry import OpClass, parse_retry_after
from webchat_tui.api._transport import HttpResponse, TransportFailure
from webchat_tui.api.errors import (
    AmbiguousOutcomeError,
    ApiError,
    ApiTimeoutError,
    NetworkError,
    error_from_response,
)

__all__ = ["api_error", "network_error"]


def network_error(operation: str, failure: TransportFailure, op_class: OpClass) -> NetworkError:
    """The error for a request that got no response: ambiguous when a non-idempotent request may have
    arrived, a timeout, or a plain network error."""
    where = f"{operation}: {failure}"
    if failure.sent is not False and op_class is OpClass.NON_IDEMPOTENT:
        return AmbiguousOutcomeError(
            f"{where} (the request may or may not have been applied)", operation=operation, sent=None
        )
    if failure.is_timeout:
        return ApiTimeoutError(where, operation=operation, sent=failure.sent)
    return NetworkError(where, operation=operation, sent=failure.sent)


def api_error(operation: str, response: HttpResponse) -> ApiError:
    """The typed error for an HTTP error response (its ErrorBody, correlation id and Retry-After)."""
    return error_from_response(
        response.status,
        response.json(),
        correlation_id=response.headers.get("inin-correlation-id"),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        operation=operation,
    )
