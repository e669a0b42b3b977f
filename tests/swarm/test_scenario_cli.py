"""`webchat-tui run`: a bad file is refused before anything connects (file:line:column, exit 2); a failed
expectation exits 1 saying what was expected, what arrived and where the transcript is; JUnit XML and JSON
results parse. The runs go to the real emulator (the test's, given as the scenario's target)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from webchat_tui.cli import main
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.swarm.scenario import ScenarioError, parse_scenario

BAD_FILES = {
    "unknown step": (
        "conversations:\n  - name: a\n    steps:\n      - say: hi\n      - shout: hello\n",
        5,
        9,
    ),
    "bad value": ("conversations:\n  - name: a\n    steps:\n      - wait: soon\n", 4, 15),
    "bad channel": ("conversations:\n  - name: a\n    channel: sms\n    steps: [leave]\n", 3, 14),
    "bad regex": ("conversations:\n  - name: a\n    steps:\n      - expect: {matches: '(x'}\n", 4, 27),
    "unknown key": ("conversations:\n  - name: a\n    stepz: [leave]\n    steps: [leave]\n", 3, 5),
    "choose on webchat": (
        "conversations:\n  - name: a\n    channel: webchat\n    steps:\n      - choose: Yes\n",
        5,
        9,
    ),
    "not yaml": ("conversations:\n  - name: a\n    steps: [leave\n", 4, 1),
    "missing upload file": ("conversations:\n  - name: a\n    steps:\n      - upload: nowhere.png\n", 4, 17),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_problems_have_line_and_column(case: str, tmp_path: Path) -> None:
    text, line, column = BAD_FILES[case]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.yaml", tmp_path)
    first = caught.value.problems[0]
    assert (first.line, first.column) == (line, column), str(caught.value)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = "conversations:\n  - name: a\n    steps:\n"
    text += "      - say:\n      - expect: {from: robot}\n      - nap: 1\n"
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, "bad.yaml", tmp_path)
    lines = sorted({p.line for p in caught.value.problems})
    assert lines == [4, 5, 6], str(caught.value)


def test_cli_bad_file_exits_2_before_connecting(tmp_path: Path) -> None:
    # an unreachable target: had the run started, it would fail to connect (exit 1), not exit 2
    path = tmp_path / "bad.yaml"
    path.write_text(
        "conversations:\n  - name: a\n    target: {base_url: 'http://127.0.0.1:9', deployment: d}\n"
        "    steps:\n      - say: hi\n      - expect: {contains: x, timeout: -1}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "webchat_tui", "run", str(path), "--transcripts", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{path}:6:40: timeout must be a number" in proc.stderr
    assert not (tmp_path / "out").exists()


def _scenario(tmp_path: Path, emu: EmbeddedEmulator) -> Path:
    info = emu.info
    path = tmp_path / "ci.yaml"
    path.write_text(
        f"""defaults:
  channel: messaging
  target: {{base_url: "{info["base_url"]}", deployment: "{info["messaging_deployment_id"]}"}}
conversations:
  - name: greeting
    steps:
      - say: hi
      - expect: {{contains: How can I help, from: bot}}
  - name: wrong expectation
    steps:
      - say: hi
      - expect: {{contains: a pony, from: bot, timeout: 1}}
"""
    )
    return path


def test_cli_failed_expectation_exits_1_with_junit_and_json(emu: EmbeddedEmulator, tmp_path: Path) -> None:
    path = _scenario(tmp_path, emu)
    junit, result_json, out = tmp_path / "junit.xml", tmp_path / "result.json", tmp_path / "transcripts"
    run = CliRunner().invoke(
        main,
        [
            "run",
            str(path),
            "-j",
            "2",
            "--junit",
            str(junit),
            "--json",
            str(result_json),
            "--transcripts",
            str(out),
        ],
    )
    assert run.exit_code == 1, run.output
    assert "wrong expectation: FAILED at line 12" in run.output
    assert "expected: a message from the bot that contains 'a pony' within 1 s" in run.output
    assert "arrived instead (last messages):" in run.output and "How can I help" in run.output
    assert f"transcript: {out / 'wrong-expectation.txt'}" in run.output
    assert "1 passed, 1 failed" in run.output

    root = ET.parse(junit).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"greeting", "wrong expectation"}
    assert root.find("testsuite") is not None and root.find("testsuite").get("failures") == "1"  # type: ignore[union-attr]
    assert cases["greeting"].find("failure") is None
    failure = cases["wrong expectation"].find("failure")
    assert failure is not None and "a pony" in (failure.get("message") or "")
    assert "## Messages" in (cases["greeting"].findtext("system-out") or "")

    document = json.loads(result_json.read_text())
    assert (document["total"], document["failed"], document["passed"]) == (2, 1, False)
    failed = next(c for c in document["conversations"] if not c["passed"])
    assert failed["failed_step"]["line"] == 12 and Path(failed["transcript"]).exists()


def test_cli_all_passed_exits_0(emu: EmbeddedEmulator, tmp_path: Path) -> None:
    path = _scenario(tmp_path, emu)
    run = CliRunner().invoke(main, ["run", str(path), "-c", "greeting", "--transcripts", str(tmp_path / "t")])
    assert run.exit_code == 0, run.output
    assert "[greeting] passed (2/2 steps" in run.output  # not a terminal: plain lines
    assert (tmp_path / "t" / "greeting.txt").read_text().count("ok   line") == 2
