"""`screenshots/browser.png`: the guest app in headless Chromium mid-chat (part of `make screenshots`)."""

from __future__ import annotations

from pathlib import Path

from tests.browser.driver import (
    chromium_page,
    control_for,
    guest_conversation,
    open_app,
    serve_process,
    wait_for,
    wait_for_output,
    why_no_browser,
)


def take_browser_screenshot(path: Path) -> str | None:
    """Chat for a moment in a real browser and save a PNG of the page to `path`. Returns None when done,
    else the reason it could not be taken (no Chromium or no Playwright)."""
    reason = why_no_browser()
    if reason is not None:
        return reason
    with serve_process("--channel", "webchat") as serve, chromium_page(width=1200, height=720) as page:
        control = control_for(serve)
        try:
            open_app(page, serve.url)
            page.keyboard.type("Ada Lovelace")
            page.keyboard.press("Enter")
            wait_for(lambda: guest_conversation(control, "Ada Lovelace"), "the guest's chat")
            wait_for_output(page, "How can I help")
            for text in ("Hi! My order #1042 has not arrived yet.", "It was due on Monday."):
                page.keyboard.type(text)
                wait_for_output(page, text)
                page.keyboard.press("Enter")
                wait_for_output(page, f'("{text}")')  # the agent's answer is on the page
            page.keyboard.type("Thanks, I'll wait")  # left in the message box, as mid-chat
            wait_for_output(page, "Thanks, I'll wait")
            page.wait_for_timeout(500)  # let the last frame reach the canvas
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(path))
        finally:
            control.close()
    return None
