"""The app process textual-serve starts for one browser tab: the guest app on an emulator that is already
running (the one `webchat-tui serve` started, or the one it was pointed at).

It reads no config file, profile or `WEBCHAT_TUI_*` variable: the page is for trainees, and the trainer's own
defaults (their name, their region) must not leak into it.

The join form starts on `--channel` (Web Messaging by default, as the app does). Every tab's app runs as the
same server user, so the usual per-user token file would hand one tab's Web Messaging conversation to the next
tab: each app keeps its token in a folder of its own instead, removed when it ends, and quitting (closing or
reloading the tab) ends its conversation, which nothing could resume. The name typed in the form also goes
out as the `displayName` custom attribute, so the trainer's desk shows who is waiting.

    python -m webchat_tui.web.guest --base-url URL --org ORG --deployment DEP
        [--messaging-deployment DEP] [--channel messaging|webchat] [--theme NAME]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from webchat_tui.config import ChatSettings


def main(argv: list[str] | None = None) -> None:
    """Run the guest app (under textual-serve's web driver, which it selects through `TEXTUAL_DRIVER`)."""
    parser = argparse.ArgumentParser(prog="webchat_tui.web.guest", description=__doc__)
    parser.add_argument("--base-url", required=True, help="the emulator's base URL")
    parser.add_argument("--org", required=True, help="organization id (Web Chat v2)")
    parser.add_argument("--deployment", required=True, help="deployment id (Web Chat v2)")
    parser.add_argument("--messaging-deployment", default="", help="Web Messaging deployment id")
    parser.add_argument("--channel", choices=("messaging", "webchat"), default="messaging")
    parser.add_argument("--theme", default=None, help="Textual theme name")
    args = parser.parse_args(argv)

    from webchat_tui.tui.app import make_app

    tokens = Path(tempfile.mkdtemp(prefix="webchat-tui-tab-"))  # owner-only (mkdtemp makes it 0700)
    try:
        app = make_app(
            ChatSettings(channel=args.channel),
            base_url=args.base_url,
            organization_id=args.org,
            deployment_id=args.deployment,
            messaging_deployment_id=args.messaging_deployment,
            theme=args.theme,
            token_store_path=tokens / "messaging-tokens.json",
            leave_messaging_on_quit=True,
            # Web Messaging has no member names: the trainer's desk reads this attribute (README, workshops)
            messaging_name_attribute="displayName",
        )
        app.run()
    finally:
        shutil.rmtree(tokens, ignore_errors=True)


if __name__ == "__main__":
    main()
