"""The README's Web Messaging example (`examples/messaging_example.py`) really runs: it starts its own
emulator, answers the bot's quick reply, and resumes the conversation in a second session with the history
shown once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "messaging_example.py"


async def test_messaging_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("messaging_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await module.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Emulator Bot [bot]: ") and "(+3 rich items)" in lines[0]
    assert "You [customer]: Talk to an agent" in lines
    assert lines.count("You [customer]: hello") == 1
    assert any(line.endswith("[agent]: Hi, I'm Alex. How can I help you today?") for line in lines)
