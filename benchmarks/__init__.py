"""Benchmarks for webchat-tui: one script per benchmark, `python -m benchmarks.run_all` runs them all.

Every benchmark drives the real code paths: the emulator runs in its own process (its own GIL), clients talk
to it over loopback with real HTTP and websockets, and the app runs headless with Textual's own compositor.
"""
