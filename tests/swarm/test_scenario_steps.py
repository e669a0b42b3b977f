"""Every scenario step passes when it should and fails when it should, against the real emulator (both
channels, over HTTP and websockets), and the shipped examples pass."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.swarm.runner import ConversationResult, RunOptions, run_scenario
from webchat_tui.swarm.scenario import load_scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

# name -> (channel, deployment, steps, should pass). Failing cases use short timeouts.
CASES: dict[str, tuple[str, str, str, bool]] = {
    "say passes": ("messaging", "bot", "- say: hello", True),
    "say fails on a read-only conversation": (
        "messaging",
        "direct",
        "- expect_agent\n- say: bye\n- expect_ended: {read_only: true}\n- say: anyone there?",
        False,
    ),
    "expect contains passes": ("messaging", "bot", "- say: hi\n- expect: how can I HELP", True),
    "expect contains fails": (
        "messaging",
        "bot",
        "- say: hi\n- expect: {contains: zebra, timeout: 1}",
        False,
    ),
    "expect matches passes": ("messaging", "bot", "- say: hi\n- expect: {matches: '^Hi, I.m the'}", True),
    "expect matches fails": ("messaging", "bot", "- say: hi\n- expect: {matches: '^zzz', timeout: 1}", False),
    "expect equals passes": (
        "messaging",
        "bot",
        "- say: hi\n- expect: {equals: \"Hi, I'm the emulator's bot. How can I help?\"}",
        True,
    ),
    "expect equals fails on a part": (
        "messaging",
        "bot",
        "- say: hi\n- expect: {equals: 'How can I help?', timeout: 1}",
        False,
    ),
    "expect from agent fails when only the bot spoke": (
        "messaging",
        "bot",
        "- say: hi\n- expect: {contains: 'How can I help', from: agent, timeout: 1}",
        False,
    ),
    "expect needs a second message for a second match": (
        "messaging",
        "bot",
        "- say: hi\n- expect: How can I help\n- expect: {contains: How can I help, timeout: 1}",
        False,
    ),
    "expect_quick_replies passes": (
        "messaging",
        "bot",
        "- say: hi\n- expect_quick_replies: [Show me a card]",
        True,
    ),
    "expect_quick_replies fails on a missing label": (
        "messaging",
        "bot",
        "- say: hi\n- expect_quick_replies: {labels: [Show me a card, Nope], timeout: 1}",
        False,
    ),
    "expect_quick_replies exact fails on a subset": (
        "messaging",
        "bot",
        "- say: hi\n- expect_quick_replies: {labels: [Show me a card], exact: true, timeout: 1}",
        False,
    ),
    "choose passes": (
        "messaging",
        "bot",
        "- say: hi\n- choose: Show me a card\n- expect: {contains: best plan, from: bot}",
        True,
    ),
    "choose fails on an unknown label": (
        "messaging",
        "bot",
        "- say: hi\n- choose: {label: Nope, timeout: 1}",
        False,
    ),
    "pick_date passes": (
        "messaging",
        "bot",
        "- say: book a date\n- pick_date: 2\n- expect: {contains: booked for, from: bot}",
        True,
    ),
    "pick_date fails on a date not offered": (
        "messaging",
        "bot",
        "- say: book a date\n- pick_date: {date: 1999-01-01, timeout: 2}",
        False,
    ),
    "upload passes": (
        "messaging",
        "direct",
        "- expect_agent\n- upload: {file: note.txt, text: see attached}\n- expect: received your file",
        True,
    ),
    "upload fails on a blocked type": ("messaging", "direct", "- expect_agent\n- upload: evil.exe", False),
    "expect_attachment passes": (
        "messaging",
        "direct",
        "- expect_agent\n- say: send me the file\n- expect_attachment: receipt",
        True,
    ),
    "expect_attachment fails": (
        "messaging",
        "direct",
        "- expect_agent\n- say: hi\n- expect_attachment: {timeout: 1}",
        False,
    ),
    "expect_agent passes": ("messaging", "direct", "- expect_agent: Alex", True),
    "expect_agent fails with the bot only": (
        "messaging",
        "bot",
        "- say: hi\n- expect_agent: {timeout: 1}",
        False,
    ),
    "expect_typing passes": ("messaging", "bot", "- say: hi\n- expect_typing", True),
    "expect_typing fails when nobody types again": (
        "messaging",
        "bot",
        "- say: hi\n- expect: card or a carousel\n- expect_typing\n- expect_typing: {timeout: 1}",
        False,
    ),
    "wait passes": ("messaging", "bot", "- wait: 0.1", True),
    "expect_ended passes": (
        "messaging",
        "direct",
        "- expect_agent\n- say: bye\n- expect_ended: {read_only: true}",
        True,
    ),
    "expect_ended fails on a live conversation": (
        "messaging",
        "direct",
        "- expect_agent\n- expect_ended: {timeout: 1}",
        False,
    ),
    "leave passes": ("messaging", "bot", "- say: hi\n- leave\n- expect_ended: {read_only: false}", True),
    "webchat expect_agent and expect pass": (
        "webchat",
        "",
        "- expect_agent\n- say: hello there\n- expect: {contains: hello there, from: agent}",
        True,
    ),
    "webchat leave then expect read-only fails": (
        "webchat",
        "",
        "- expect_agent\n- leave\n- expect_ended: {read_only: true, timeout: 1}",
        False,
    ),
}


def _scenario_text() -> str:
    parts = ["conversations:"]
    for name, (channel, deployment, steps, _) in CASES.items():
        target = f"\n    target: {{deployment: {deployment}}}" if deployment else ""
        parts.append(
            f"  - name: {name}\n    channel: {channel}{target}\n    timeout: 20\n    steps:\n"
            + textwrap.indent(steps, "      ")
        )
    return "\n".join(parts) + "\n"


async def test_each_step_passes_and_fails_when_it_should(emu: EmbeddedEmulator, tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("a note\n")
    (tmp_path / "evil.exe").write_bytes(b"MZ not really\n")
    scenario = parse_scenario(_scenario_text(), str(tmp_path / "steps.yaml"), tmp_path)
    options = RunOptions(out_dir=tmp_path / "out", parallel=len(CASES), emulator_info=emu.info)
    results = await run_scenario(scenario, options)
    outcome = {r.name: r for r in results}
    wrong = {name: _why(outcome[name]) for name, case in CASES.items() if outcome[name].passed is not case[3]}
    slow = sorted((round(r.duration_s, 1), r.name) for r in results)[-5:]
    assert not wrong, (wrong, slow)
    for name, case in CASES.items():
        result = outcome[name]
        assert result.transcript is not None and result.transcript.exists()
        if not case[3]:
            assert result.expected, name
            assert result.arrived and result.arrived[-1].startswith("state: "), name


def _why(result: ConversationResult) -> str:
    return f"passed={result.passed} expected={result.expected} error={result.error} arrived={result.arrived}"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
async def test_examples_pass(emu: EmbeddedEmulator, tmp_path: Path, example: str) -> None:
    scenario = load_scenario(EXAMPLES / example)
    options = RunOptions(out_dir=tmp_path, parallel=4, emulator_info=emu.info)
    results = await run_scenario(scenario, options)
    assert results and all(r.passed for r in results), [_why(r) for r in results if not r.passed]
