"""Browser mode: `webchat-tui serve` serves the guest app to browsers with textual-serve.

`server.py` is the web server (one app process per browser tab, one shared emulator); `guest.py` is the
entry point each of those app processes runs; `templates/app_index.html` is the page, with every asset served
locally so it works offline. Importing this package is cheap: aiohttp and textual-serve load in `server.py`.
"""
