"""`MemberList`: who is in the chat, with role and state markers; disconnected members are dimmed (and still
readable, 3:1, in every theme)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from webchat_tui.api.session_types import Member
from webchat_tui.sanitize import sanitize_line
from webchat_tui.tui.widgets.contrast import DIMMED_TEXT, NORMAL_TEXT, readable

__all__ = ["MemberList", "member_prompt", "member_sort_key", "STATE_MARKERS", "ROLE_NAMES"]

STATE_MARKERS: dict[str, tuple[str, str]] = {
    "CONNECTED": ("●", "$success"),
    "ALERTING": ("◐", "$warning"),
    "DISCONNECTED": ("○", "$text-disabled"),
}
"""Marker and colour for each member state (unknown states get "?")."""

ROLE_NAMES: dict[str, str] = {
    "AGENT": "agent",
    "CUSTOMER": "guest",
    "WORKFLOW": "bot",
    "BOT": "bot",
    "ACD": "queue",
}


@dataclass(frozen=True)
class MemberColours:
    """The member list's text colours for the current theme, made readable against its background."""

    name: str = "$foreground"
    detail: str = "$text-muted"
    dimmed: str = "$text-disabled"


def member_prompt(member: Member, colours: MemberColours | None = None) -> Content:
    """The option text for `member`: marker, name (literal text, never markup), role and state words."""
    colours = colours or MemberColours()
    marker, colour = STATE_MARKERS.get(member.state, ("?", "$text-muted"))
    role = ROLE_NAMES.get(member.role, member.role.lower())
    if member.is_self:
        role = "you"
    name = sanitize_line(member.display_name) or "(no name)"
    disconnected = member.state == "DISCONNECTED"
    name_style = colours.dimmed if disconnected else f"bold {colours.name}"
    parts: list[str | tuple[str, str]] = [(marker, colour), " ", (name, name_style)]
    detail = role if member.state == "CONNECTED" else f"{role}, {member.state.lower()}"
    parts += ["\n  ", (detail, colours.dimmed if disconnected else colours.detail)]
    return Content.assemble(*parts)


_ROLE_RANK = {"AGENT": 1, "CUSTOMER": 2, "WORKFLOW": 3, "BOT": 3, "ACD": 4}


def member_sort_key(member: Member) -> tuple[bool, int, str, str]:
    """Stable display order: present members first, then you, agents, guests, bots, queues; then by name."""
    rank = 0 if member.is_self else _ROLE_RANK.get(member.role, 5)
    return (member.state == "DISCONNECTED", rank, member.display_name.casefold(), member.id)


class MemberList(OptionList):
    """Members in join order; the option id is the member id. Updated with `update_members()`."""

    DEFAULT_CSS = """
    MemberList { width: 26; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes, markup=False)
        self.members: dict[str, Member] = {}
        """Current state of every member seen, in join order."""

    def _colours(self) -> MemberColours:
        """Name, detail and dimmed colours for this theme: names at 7:1, details at 4.5:1, and disconnected
        members dimmed on purpose but still at 3:1 (theme colours with alpha are blended here; as styles of
        option text they would be drawn at full strength)."""
        background = self.background_colors[1]
        base = self.styles.color
        name = readable(base, background, 7.0)
        detail = readable(base.with_alpha(0.6), background, NORMAL_TEXT)
        dimmed = readable(base.with_alpha(0.38), background, DIMMED_TEXT)
        return MemberColours(name.hex, detail.hex, dimmed.hex)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.members and self.is_mounted:
            self.update_members(list(self.members.values()))  # the theme changed: new colours

    def update_members(self, members: list[Member]) -> None:
        """Show `members` (each member's latest state), keeping the highlighted one if it is still there.

        The order does not depend on the order events arrived in: connected before disconnected, then you,
        agents, others, then by name.
        """
        self.members = {m.id: m for m in members}
        highlighted = self.highlighted_option.id if self.highlighted_option is not None else None
        ordered = sorted(members, key=member_sort_key)
        colours = self._colours()
        self.set_options([Option(member_prompt(m, colours), id=m.id) for m in ordered])
        if highlighted is not None and highlighted in self.members:
            self.highlighted = self.get_option_index(highlighted)

    def mark_all_disconnected(self) -> None:
        """The chat is over: nobody is connected any more, whatever the last events said."""
        self.update_members([replace(m, state="DISCONNECTED") for m in self.members.values()])

    def upsert(self, member: Member) -> None:
        """Add `member` or replace its previous state."""
        self.members[member.id] = member
        self.update_members(list(self.members.values()))
