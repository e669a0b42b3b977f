"""`make screenshots`: draw every scenario of `tests/snapshots/scenarios.py` to `screenshots/<name>.svg`, and
the app in a real browser (`webchat-tui serve` in headless Chromium) to `screenshots/browser.png`.

Runs the same scenarios as the snapshot tests against a fresh embedded emulator (seed 1234). With `--text`
it also prints each screen as plain text, which is handy for a quick look in a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from tests.conftest import TEST_DEFAULTS, Control
from tests.snapshots.scenarios import SCENARIOS
from tests.tui.screen_text import screen_text
from webchat_tui.emulator import EmbeddedEmulator, EmulatorConfig

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def _draw(emu: EmbeddedEmulator, control: Control, name: str, out: Path, show_text: bool) -> Path:
    scenario = SCENARIOS[name]
    emu.reset()
    control.set_config(**TEST_DEFAULTS)
    app = scenario.app(emu)
    async with app.run_test(size=scenario.size) as pilot:
        await scenario.run_before(control)(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        path = out / f"{name}.svg"
        path.write_text(
            app.export_screenshot(title=f"webchat-tui — {scenario.description}"), encoding="utf-8"
        )
        if show_text:
            print(f"== {name}: {scenario.description}\n{screen_text(app)}\n")
    return path


async def main(names: list[str], out: Path, show_text: bool) -> None:
    """Draw the named scenarios (all when empty) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with EmbeddedEmulator(EmulatorConfig(time_scale=TEST_DEFAULTS["timeScale"], seed=1234)) as emu:
        control = Control.for_emulator(emu)
        try:
            for name in names or list(SCENARIOS):
                path = await _draw(emu, control, name, out, show_text)
                print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
        finally:
            control.close()


def browser(out: Path) -> None:
    """`screenshots/browser.png` (says why when Chromium or Playwright is missing)."""
    from tests.browser.screenshot import take_browser_screenshot

    path = out / "browser.png"
    reason = take_browser_screenshot(path)
    print(f"browser.png not taken: {reason}" if reason else f"wrote {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help=f"scenarios to draw (default all: {', '.join(SCENARIOS)}, browser)"
    )
    parser.add_argument("--out", type=Path, default=OUT, help="output directory (default screenshots/)")
    parser.add_argument("--text", action="store_true", help="also print each screen as text")
    args = parser.parse_args()
    terminal = [name for name in args.names if name != "browser"]
    if terminal or not args.names:
        asyncio.run(main(terminal, args.out, args.text))
    if "browser" in args.names or not args.names:
        browser(args.out)
