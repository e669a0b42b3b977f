"""Screens: the join form, the chat, and the modal dialogs."""
