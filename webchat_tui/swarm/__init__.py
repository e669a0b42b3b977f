"""Many guests and scripted guests: scenario files (`webchat-tui run`), the guest swarm (`webchat-tui swarm`)
and a Locust user class (`webchat_tui/swarm/locust.py`). Every guest is a `webchat_tui.chat.Session`
(Web Chat v2 or Web Messaging): no second implementation of either protocol. No Textual, no Rich.
"""
