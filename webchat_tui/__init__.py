"""webchat-tui: a terminal guest-chat client and local emulator for Genesys Cloud Web Chat v2."""

__version__ = "0.1.0"
