"""What a scenario run leaves behind: JUnit XML, a JSON result, and the progress lines while it runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TextIO
from xml.etree import ElementTree as ET

from webchat_tui.swarm.runner import ConversationResult
from webchat_tui.swarm.scenario import Step

__all__ = ["write_junit", "write_json", "failure_text", "Progress"]


def failure_text(result: ConversationResult) -> str:
    """The failure in words: the step, what was expected, what arrived instead, the transcript path."""
    step = result.failed_step
    where = f" at line {step.line} ({step.describe()})" if step is not None else ""
    lines = [f"{result.name}: FAILED{where}"]
    if result.expected:
        lines.append(f"  expected: {result.expected}")
    if result.error:
        lines.append(f"  error: {result.error}")
    if result.arrived:
        lines.append("  arrived instead (last messages):")
        lines.extend(f"    {line}" for line in result.arrived)
    if result.transcript:
        lines.append(f"  transcript: {result.transcript}")
    return "\n".join(lines)


def write_junit(path: Path, suite: str, results: list[ConversationResult]) -> None:
    """JUnit XML: one test case per conversation, its transcript as system-out."""
    failures = sum(not r.passed for r in results)
    total = sum(r.duration_s for r in results)
    suites = ET.Element("testsuites", tests=str(len(results)), failures=str(failures), time=f"{total:.3f}")
    node = ET.SubElement(
        suites, "testsuite", name=suite, tests=str(len(results)), failures=str(failures), time=f"{total:.3f}"
    )
    for r in results:
        case = ET.SubElement(node, "testcase", classname=suite, name=r.name, time=f"{r.duration_s:.3f}")
        if not r.passed:
            message = r.expected or r.error or "failed"
            failure = ET.SubElement(case, "failure", message=message, type="ScenarioFailure")
            failure.text = failure_text(r)
        if r.transcript and r.transcript.exists():
            out = ET.SubElement(case, "system-out")
            out.text = r.transcript.read_text(encoding="utf-8")
            ET.SubElement(
                ET.SubElement(case, "properties"), "property", name="transcript", value=str(r.transcript)
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def write_json(path: Path, scenario: str, results: list[ConversationResult]) -> None:
    """The machine-readable result: totals and every conversation."""
    document = {
        "scenario": scenario,
        "passed": all(r.passed for r in results),
        "total": len(results),
        "failed": sum(not r.passed for r in results),
        "conversations": [r.as_dict() for r in results],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


class Progress:
    """Progress on ``stream``: on a terminal one line per conversation, redrawn in place; otherwise plain
    lines (a step started, a conversation finished)."""

    def __init__(self, names: list[str], stream: TextIO | None = None, tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.names = names
        self.lines = {n: "waiting" for n in names}
        self.width = max((len(n) for n in names), default=10)
        self.drawn = 0
        self.last_draw = 0.0

    def step(self, conversation: str, index: int, total: int, step: Step) -> None:
        """A conversation started a step."""
        text = f"step {index}/{total}: {step.describe()}"
        if self.tty:
            self.lines[conversation] = text
            self._draw()
        else:
            print(f"[{conversation}] {text}", file=self.stream, flush=True)

    def done(self, result: ConversationResult) -> None:
        """A conversation finished."""
        verdict = "passed" if result.passed else "FAILED"
        text = f"{verdict} ({result.steps_passed}/{result.steps_total} steps, {result.duration_s:.1f} s)"
        if self.tty:
            self.lines[result.name] = text
            self._draw(force=True)
        else:
            print(f"[{result.name}] {text}", file=self.stream, flush=True)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_draw < 0.05:
            return
        self.last_draw = now
        out = [f"\x1b[{self.drawn}F"] if self.drawn else []
        for name in self.names:
            out.append(f"\x1b[2K{name:<{self.width}}  {self.lines[name]}"[:200] + "\n")
        self.stream.write("".join(out))
        self.stream.flush()
        self.drawn = len(self.names)
