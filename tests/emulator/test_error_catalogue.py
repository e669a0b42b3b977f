"""The error catalogue comes from the vendored swagger; the emulator only raises codes that exist in it."""

from __future__ import annotations

import re
from pathlib import Path

import webchat_tui.emulator as package
from webchat_tui.emulator.errors import EmulatorError, catalogue, codes_for_operation

# Codes the emulator uses that are not in any vendor list: the 405 for a wrong HTTP method.
NON_VENDOR = {"method.not.allowed"}


def test_catalogue_is_built_from_the_swagger() -> None:
    codes = catalogue()
    assert codes["chat.error.conversation.state"][0] == 400
    assert codes["too.many.requests.retry.after"] == (
        429,
        "Rate limit exceeded the maximum. Retry the request in [%s] seconds",
    )
    assert codes["caht.error"][0] == 500  # the vendor's typo is kept verbatim
    assert codes["maximum.deployments.exceeded"][0] == 409
    assert "chat.error.invalid.queue" in codes_for_operation("postWebchatGuestConversations")
    assert "chat.error.invalid.queue" not in codes_for_operation("getWebchatGuestConversationMessages")


def test_every_code_raised_in_the_source_is_catalogued() -> None:
    root = Path(package.__file__).parent
    pattern = re.compile(r'EmulatorError\(\s*"([a-z.]+)"')
    used = {code for path in root.rglob("*.py") for code in pattern.findall(path.read_text())}
    assert len(used) > 25
    unknown = used - set(catalogue()) - NON_VENDOR
    assert not unknown


def test_messages_fill_templates_and_unknown_codes_need_a_status() -> None:
    err = EmulatorError("missing.permissions", "webchat:deployment:create")
    assert err.status == 403 and err.message.endswith("permission(s): webchat:deployment:create")
    body = err.body("ctx")
    assert body["contextId"] == "ctx" and body["details"] == [] and body["errors"] == []
    try:
        EmulatorError("no.such.code")
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown code without a status was accepted")
