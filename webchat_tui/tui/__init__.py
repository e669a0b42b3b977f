"""The Textual app: join form, live chat, members, typing and media-request dialogs.

Import `webchat_tui.tui.app.make_app` to build the app; the api and emulator layers never import
anything from here.
"""
