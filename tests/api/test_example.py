"""The README's runnable example (`examples/client_example.py`) really runs: it starts its own emulator."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "client_example.py"


async def test_client_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("client_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    await module.main()
    out = capsys.readouterr().out
    assert "-- connected" in out and "Ada: Hello! Where is my order #42?" in out
    assert "-- ended (You left the chat)" in out and "# Chat transcript" in out
