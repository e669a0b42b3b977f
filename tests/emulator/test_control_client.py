"""`ControlClient`, the one control-API client shipped with the emulator: token on every call, errors as
`ControlError`, keep-alive connections that survive the server closing them, and use from several threads.
"""

from __future__ import annotations

import threading
import time

import pytest

from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import ControlClient, ControlError


def test_errors_are_control_errors_with_the_vendor_body(control) -> None:
    with pytest.raises(ControlError) as caught:
        control.conversation("no-such-conversation")
    assert caught.value.status == 404 and b'"not.found"' in caught.value.body
    wrong = ControlClient(control.base_url, "not-the-token")
    with pytest.raises(ControlError) as refused:
        wrong.info()
    assert refused.value.status == 401
    wrong.close()


def test_a_connection_closed_by_the_server_is_replaced() -> None:
    with (
        EmbeddedEmulator(EmulatorConfig(keep_alive_timeout=1)) as emu,
        ControlClient.for_emulator(emu) as control,
    ):
        assert control.conversations() == []
        time.sleep(1.6)  # the server closes the idle keep-alive connection meanwhile
        assert control.set_config(autoAgent=False)["autoAgent"] is False


def test_one_client_serves_several_threads(control) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                assert control.config()["timeScale"] > 0
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors[0]
