"""`make screenshots` (agent console part): `screenshots/agent_waiting.svg`, `screenshots/agent_chat.svg` and
`screenshots/agent_card.svg`, the scenes of the snapshot tests drawn on a fresh embedded emulator in
human-agent mode."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from tests.agent import scenes
from tests.conftest import TEST_DEFAULTS
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig
from webchat_tui.emulator.control_client import ControlClient

OUT = Path(__file__).resolve().parent.parent.parent / "screenshots"


async def main() -> None:
    """Draw both pictures."""
    async with EmbeddedEmulator(EmulatorConfig(seed=1234, agents="human")) as emu:
        with ControlClient.for_emulator(emu) as control, scenes.fixed_clocks():
            control.set_config(**TEST_DEFAULTS)
            for name, size, title in (
                ("agent_waiting", scenes.WAITING_SIZE, "agent console: the waiting list"),
                ("agent_chat", scenes.CHAT_SIZE, "agent console: a taken chat"),
                ("agent_card", scenes.MESSAGING_SIZE, "agent console: a card sent, at 80 columns"),
            ):
                emu.reset()
                app = scenes.console(emu)
                async with app.run_test(size=size) as pilot:
                    if name == "agent_waiting":
                        await scenes.waiting_list(app, pilot)
                    elif name == "agent_chat":
                        await scenes.chat_tab(app, emu, pilot)
                    else:
                        with tempfile.TemporaryDirectory() as tokens:
                            await scenes.messaging_card(app, emu, pilot, Path(tokens) / "tokens.json")
                    path = OUT / f"{name}.svg"
                    path.write_text(app.export_screenshot(title=f"webchat-tui — {title}"), encoding="utf-8")
                    print(path)


if __name__ == "__main__":
    asyncio.run(main())
