"""HTTP and websocket routers of the emulator, one module per surface."""
