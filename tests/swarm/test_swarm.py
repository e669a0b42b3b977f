"""The guest swarm against the real emulator: 50 guests per channel end with 0 lost and 0 duplicated against
the emulator's own record; lost and duplicated lines are really found; the safety flag; the CLI summary."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from webchat_tui.cli import main
from webchat_tui.emulator import EmbeddedEmulator
from webchat_tui.emulator.control_client import ControlClient
from webchat_tui.swarm.scenario import load_scenario
from webchat_tui.swarm.swarm import GuestRecord, Swarm, SwarmConfig
from webchat_tui.swarm.target import endpoint_for_emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
SUMMARY_KEYS = {
    "guests",
    "duration_s",
    "sent",
    "delivered",
    "lost",
    "duplicated",
    "errors",
    "connect_p50_ms",
    "connect_p99_ms",
    "delivery_p50_ms",
    "delivery_p99_ms",
    "msgs_per_s",
}


@pytest.mark.parametrize("channel", ["messaging", "webchat"])
async def test_fifty_guests_nothing_lost_or_duplicated(emu: EmbeddedEmulator, channel: str) -> None:
    deployment = "direct" if channel == "messaging" else None
    endpoint = endpoint_for_emulator(emu.info, channel, deployment)
    config = SwarmConfig(endpoint, guests=50, ramp_up=2.0, duration=6.0, say_every=1.0, seed=7)
    with ControlClient.for_emulator(emu) as control:
        summary = await Swarm(config, control=control).run()
    assert SUMMARY_KEYS <= set(summary)
    assert summary["counted_against"] == "emulator record"
    assert summary["guests"] == 50 and summary["guest_states"]["failed"] == 0
    assert summary["sent"] >= 100, summary  # every guest said a few lines
    assert (summary["lost"], summary["duplicated"], summary["errors"]) == (0, 0, 0), summary
    assert summary["delivered"] == summary["sent"]
    assert summary["delivery_p99_ms"] is not None and summary["connect_p50_ms"] is not None
    # every guest's conversation exists on the emulator, with its random plausible name
    with ControlClient.for_emulator(emu) as control:
        if channel == "webchat":
            names = {
                m["displayName"]
                for c in control.conversations()
                for m in c["members"]
                if m["role"] == "CUSTOMER"
            }
            assert len(names) > 10 and all(" " in n for n in names)
        else:
            assert len(control.messaging_sessions(deployment_id=emu.messaging_direct_deployment_id)) == 50


class _Faulty(Swarm):
    """Says one tagged line twice (a duplicate on the service) and claims one line it never sent (lost)."""

    async def _talk(self, guest: GuestRecord) -> None:
        assert guest.opened is not None
        if guest.index == 0:
            guest.said += ["#g0.1", "#g0.2"]
            await guest.opened.session.send("twice #g0.1")
            await guest.opened.session.send("twice #g0.1")
        else:
            await super()._talk(guest)


@pytest.mark.parametrize("control_used", [True, False])
async def test_lost_and_duplicated_are_found(emu: EmbeddedEmulator, control_used: bool) -> None:
    endpoint = endpoint_for_emulator(emu.info, "messaging", "direct")
    config = SwarmConfig(endpoint, guests=2, ramp_up=0.1, duration=2.0, say_every=0.7, seed=1)
    with ControlClient.for_emulator(emu) as control:
        summary = await _Faulty(config, control=control if control_used else None).run()
    assert summary["counted_against"] == ("emulator record" if control_used else "guest echoes")
    assert (summary["lost"], summary["duplicated"]) == (1, 1), summary


def test_safety_flag_needed_beyond_five_guests_on_a_real_target(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1) is never local; the refusal comes before any connection is tried
    base = [
        sys.executable,
        "-m",
        "webchat_tui",
        "swarm",
        "--api-base",
        "http://192.0.2.1:9",
        "--deployment",
        "d",
    ]
    proc = subprocess.run([*base, "-n", "6"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "--allow-real-environment" in proc.stderr and "not the local emulator" in proc.stderr
    fast = subprocess.run(
        [*base, "-n", "2", "--say-every", "0.2"], capture_output=True, text=True, timeout=60
    )
    assert fast.returncode == 2 and "2 messages per second" in fast.stderr, fast.stderr


def test_cli_swarm_on_a_running_emulator_writes_the_summary(emu: EmbeddedEmulator, tmp_path: Path) -> None:
    out = tmp_path / "summary.json"
    args = ["swarm", "-n", "4", "--ramp-up", "0.2", "--duration", "2.5", "--say-every", "0.8", "--channel"]
    args += [
        "webchat",
        "--api-base",
        emu.base_url,
        "--control-token",
        str(emu.control_token),
        "--json",
        str(out),
    ]
    run = CliRunner().invoke(main, args)
    assert run.exit_code == 0, run.output
    assert "Swarm of 4 webchat guests" in run.output and "lost 0, duplicated 0" in run.output
    summary = json.loads(out.read_text())
    assert SUMMARY_KEYS <= set(summary) and summary["counted_against"] == "emulator record"
    assert summary["sent"] > 0 and summary["lost"] == 0


async def test_scenario_swarm_answers_rich_content_and_uploads(emu: EmbeddedEmulator) -> None:
    """A swarm running the shipped bot scenario (quick replies, a card button, a date picker, an agent, a file
    received and one uploaded): 6 guests, 2 per conversation, all pass; the emulator's record shows each
    guest's answers (postbacks, the date, the upload) and every tagged line once."""
    scenario = load_scenario(EXAMPLES / "messaging_bot.yaml")
    endpoint = endpoint_for_emulator(emu.info, "messaging", "bot")
    config = SwarmConfig(
        endpoint,
        guests=6,
        ramp_up=0.5,
        duration=60.0,
        say_every=None,
        scenario=scenario.conversations,
        seed=3,
    )
    with ControlClient.for_emulator(emu) as control:
        summary = await Swarm(config, control=control).run()
        assert summary["guest_states"]["failed"] == 0 and summary["errors"] == 0, summary
        assert (summary["lost"], summary["duplicated"]) == (0, 0), summary
        sessions = control.messaging_sessions(deployment_id=emu.messaging_deployment_id)
        assert len(sessions) == 6
        actions: list[list[str]] = []
        for session in sessions:
            record = control.messaging_record(session["id"])
            actions.append(_answers(record))
    # guest i ran conversation i mod 3: the card, the appointment, the hand-over with the upload
    assert sorted(actions) == sorted(
        [
            ["QuickReply:card", "Button:plan-1"],
            ["DatePicker:<date-time>"],
            ["QuickReply:agent", "onAttachment", "Attachment"],
        ]
        * 2
    ), actions


def _answers(record: list[dict[str, Any]]) -> list[str]:
    """What a guest answered, in order: button responses (type:payload), date picks, uploads and attachments
    sent (not its text lines)."""
    out: list[str] = []
    for entry in record:
        if entry["action"] == "onAttachment":
            out.append("onAttachment")
        message = entry["request"].get("message") or {}
        for content in message.get("content") or []:
            kind = content.get("contentType")
            if kind == "ButtonResponse":
                response = content["buttonResponse"]
                payload = response["payload"]
                if response["type"] == "DatePicker" and re.fullmatch(
                    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", payload
                ):
                    payload = "<date-time>"  # the first slot offered, a time the emulator's clock chose
                out.append(f"{response['type']}:{payload}")
            elif kind is not None:
                out.append(kind.removesuffix("Response"))
    return out
