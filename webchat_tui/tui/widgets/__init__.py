"""Widgets of the chat screen; none of them calls the network."""
