"""Numbers at the edges (issue 8, item 10): every numeric input is finite and range-checked; a bad one is a
400 in the vendor shape (never a 500, never `Infinity` in a JSON answer).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.helpers import Guest

HUGE = 10**400


def _assert_400(response: Any) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["code"] == "bad.request" and body["contextId"]


def _raw_json(control: Any, method: str, path: str, text: str) -> Any:
    """Send JSON text as is (`1e400` and 400-digit integers cannot come from json.dumps of floats)."""
    return control.request(method, path, content=text.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "text",
    [
        '{"timeScale": 1e400}',
        '{"timeScale": -1e400}',
        f'{{"timeScale": {HUGE}}}',
        '{"heartbeatInterval": 1e400}',
        f'{{"heartbeatInterval": {HUGE}}}',
        '{"heartbeatInterval": 0.0}',
        '{"idleTimeout": 1e400}',
        f'{{"mediaRequestTimeout": {HUGE}}}',
        '{"timeScale": 1e-300}',
        '{"timeScale": 5000}',
        '{"endedRetention": -1}',
        '{"maxEndedConversations": 1.5}',
    ],
)
def test_config_numbers_are_finite_and_in_range(control, text) -> None:
    before = control.config()
    _assert_400(_raw_json(control, "PUT", "/config", text))
    after = control.request("GET", "/config")
    assert after.json() == before and "Infinity" not in after.text


@pytest.mark.parametrize(
    "rule",
    [
        f'{{"operation": "*", "status": 500, "latencyMs": {HUGE}}}',
        '{"operation": "*", "status": 500, "latencyMs": 1e400}',
        '{"operation": "*", "status": 500, "latencyMs": 3600000}',
        f'{{"operation": "*", "status": 429, "retryAfter": {HUGE}}}',
        f'{{"operation": "*", "status": 500, "times": {HUGE}}}',
        '{"operation": "*", "status": 500, "probability": 1e400}',
        f'{{"operation": "*", "status": {HUGE}}}',
    ],
)
def test_fault_rule_numbers_are_range_checked(control, rule) -> None:
    _assert_400(_raw_json(control, "PUT", "/faults", f'{{"http": [{rule}]}}'))
    assert control.faults()["http"] == []


@pytest.mark.parametrize(
    "key", ["dropAfterFrames", "dropTimes", "refuseHandshakes", "duplicateEveryFrames", "closeCode"]
)
def test_websocket_fault_numbers_are_range_checked(control, key) -> None:
    _assert_400(_raw_json(control, "PUT", "/faults", f'{{"websocket": {{"{key}": {HUGE}}}}}'))


async def test_query_numbers_with_thousands_of_digits_are_a_vendor_400(emu, http, control) -> None:
    guest = await Guest.create(emu, http, connect=False)
    digits = "9" * 5000
    for path, name in (
        (f"/messages?maxResults={digits}", "maxResults"),
        (f"/members?pageSize={digits}", "pageSize"),
        (f"/members?pageNumber={digits}", "pageNumber"),
    ):
        response = await guest.get(path)
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["code"] == "invalid.query.param.value" and body["messageParams"]["parameter"] == name


async def test_agent_message_count_at_the_edges(emu, http, control) -> None:
    guest = await Guest.create(emu, http)
    control.wait_for(lambda: control.conversation(guest.cid)["state"] == "active", timeout=30)
    path = f"/conversations/{guest.cid}/agent/messages"
    for count in (str(HUGE), "1e400", "0", "-1", "1.5", "true"):
        _assert_400(_raw_json(control, "POST", path, f'{{"body": "x", "count": {count}}}'))
    await guest.close()
