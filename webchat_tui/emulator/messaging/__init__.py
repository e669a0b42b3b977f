"""Web Messaging (the Messenger guest protocol, protocol "shyrka") on the emulator, beside Web Chat v2: same
server, port and control API, the same simulated contact centre and time scale.

`install(app, store)` wires it into an app made by `emulator.app.create_app`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fastapi import FastAPI

    from webchat_tui.emulator.state import Store


def install(app: FastAPI, store: Store) -> None:
    """Add the messaging store, its director, the guest routes and the control routes to `app`; an emulator
    reset resets messaging too."""
    from webchat_tui.emulator.messaging import control, routes
    from webchat_tui.emulator.messaging.director import MessagingDirector
    from webchat_tui.emulator.messaging.store import MessagingStore

    messaging = MessagingStore(store)
    MessagingDirector(messaging)
    app.state.messaging = messaging
    store.reset_hooks.append(messaging.reset)
    app.include_router(routes.router)
    app.include_router(control.router)
