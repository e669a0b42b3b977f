"""Random plausible guest names and chat lines for the swarm (lines avoid the emulator's keywords, such as
bye, transfer, file, agent, card or date, so guests keep chatting instead of steering the conversation)."""

from __future__ import annotations

import random

__all__ = ["random_name", "random_line", "FIRST_NAMES", "LAST_NAMES", "LINES"]

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Anil",
    "Aoife",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Dara",
    "David",
    "Elena",
    "Emeka",
    "Emma",
    "Farah",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jamal",
    "Jana",
    "Jonas",
    "Kai",
    "Kenji",
    "Lara",
    "Leila",
    "Liam",
    "Lucia",
    "Maya",
    "Mateo",
    "Mei",
    "Nadia",
    "Nina",
    "Noah",
    "Olga",
    "Omar",
    "Priya",
    "Rafael",
    "Rosa",
    "Sami",
    "Sara",
    "Sofia",
    "Tariq",
    "Theo",
    "Yara",
    "Zoe",
)
LAST_NAMES = (
    "Ahmed",
    "Andersen",
    "Brennan",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Kumar",
    "Lee",
    "Lopez",
    "Murphy",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Van Dijk",
    "Walsh",
    "Wong",
    "Yilmaz",
    "Zhang",
)
LINES = (
    "Hi, I have a question about my order.",
    "My parcel has not arrived yet.",
    "Can you check the status of my refund?",
    "I was charged twice this month.",
    "How do I change my delivery address?",
    "The app keeps logging me out.",
    "Is the blue model still in stock?",
    "I would like to update my email address.",
    "My discount code does not work.",
    "What are your opening hours on Sunday?",
    "Could you resend the invoice please?",
    "The tracking number shows no updates.",
    "I need to cancel my subscription.",
    "Thanks, that helps a lot.",
    "Let me check and come back to you.",
    "Is there a warranty on this item?",
)


def random_name(rng: random.Random) -> str:
    """A plausible full name, e.g. ``Leila Okafor``."""
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def random_line(rng: random.Random) -> str:
    """A plausible customer line."""
    return rng.choice(LINES)
