"""`python -m webchat_tui` runs the CLI."""

from webchat_tui.cli import main

main()
