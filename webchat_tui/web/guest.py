"""The app process textual-serve starts for one browser tab: the guest app on an emulator that is already
running (the one `webchat-tui serve` started, or the one it was pointed at).

It reads no config file, profile or `WEBCHAT_TUI_*` variable: the page is for trainees, and the trainer's own
defaults (their name, their region) must not leak into it.

    python -m webchat_tui.web.guest --base-url URL --org ORG --deployment DEP [--theme dark|light]
"""

from __future__ import annotations

import argparse

from webchat_tui.config import ChatSettings


def main(argv: list[str] | None = None) -> None:
    """Run the guest app (under textual-serve's web driver, which it selects through `TEXTUAL_DRIVER`)."""
    parser = argparse.ArgumentParser(prog="webchat_tui.web.guest", description=__doc__)
    parser.add_argument("--base-url", required=True, help="the emulator's base URL")
    parser.add_argument("--org", required=True, help="organization id")
    parser.add_argument("--deployment", required=True, help="deployment id")
    parser.add_argument("--theme", default=None, help="Textual theme name")
    args = parser.parse_args(argv)

    from webchat_tui.tui.app import make_app

    app = make_app(
        # Web Chat v2: a Web Messaging token would be stored per server user and shared by every browser tab
        ChatSettings(channel="webchat"),
        base_url=args.base_url,
        organization_id=args.org,
        deployment_id=args.deployment,
        theme=args.theme,
    )
    app.run()


if __name__ == "__main__":
    main()
