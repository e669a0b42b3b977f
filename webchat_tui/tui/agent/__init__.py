"""The agent console (`webchat-tui agent`): a person plays the agent on the emulator, for both protocols."""
