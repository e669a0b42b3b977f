"""The api package's structure (issue 10 §1): lazy package imports, one region table, one retry engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

from webchat_tui.api import errors
from webchat_tui.api._retry import OpClass, RetryPolicy, decide


@pytest.mark.parametrize(
    "module", ["webchat_tui.api.session_types", "webchat_tui.api.regions", "webchat_tui.tui.form_model"]
)
def test_plain_modules_load_no_network_stack(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "print(','.join(m for m in ('httpx', 'pydantic', 'websockets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_imports_still_work() -> None:
    from webchat_tui.api import ChatSession, GuestMemberInfo, SessionState, WebChatClient  # noqa: F401
    from webchat_tui.api import errors as errors_module

    assert errors_module.WebChatError is errors.WebChatError


def test_one_region_table_and_one_member_role() -> None:
    from webchat_tui.api import models, regions, session_types
    from webchat_tui.tui import form_model

    assert not hasattr(form_model, "REGIONS") or form_model.REGIONS is regions.REGIONS
    assert models.MemberRole is session_types.MemberRole and models.MemberState is session_types.MemberState
    assert form_model.normalize_environment("eu-west-1") == "mypurecloud.ie"


POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02)


def _api(status: int, **kw: object) -> errors.ApiError:
    return errors.error_from_response(status, {}, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "op_class", "reconcile", "retry", "reconciles"),
    [
        (errors.NetworkError("x", sent=False), OpClass.NON_IDEMPOTENT, False, True, False),
        (errors.AmbiguousOutcomeError("x"), OpClass.NON_IDEMPOTENT, False, False, False),
        (errors.AmbiguousOutcomeError("x"), OpClass.NON_IDEMPOTENT, True, True, True),
        (errors.ApiTimeoutError("x"), OpClass.SAFE, False, True, False),
        (errors.NetworkError("x", sent=False), OpClass.EPHEMERAL, False, False, False),
        (_api(500), OpClass.NON_IDEMPOTENT, False, False, False),
        (_api(500), OpClass.NON_IDEMPOTENT, True, True, True),
        (_api(503), OpClass.NON_IDEMPOTENT, False, True, False),
        (_api(429), OpClass.NON_IDEMPOTENT, True, True, False),
        (_api(429, retry_after=600.0), OpClass.SAFE, False, False, False),
        (_api(400), OpClass.SAFE, False, False, False),
        (_api(302), OpClass.SAFE, False, False, False),
    ],
)
def test_retry_decisions(
    error: errors.WebChatError, op_class: OpClass, reconcile: bool, retry: bool, reconciles: bool
) -> None:
    decision = decide(error, op_class=op_class, attempt=0, policy=POLICY, can_reconcile=reconcile)
    assert (decision.retry, decision.reconcile) == (retry, reconciles)
