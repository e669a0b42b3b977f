"""The join form: who the guest is, where the chat is routed, and which backend serves it.

| key      | action                                   |
|----------|------------------------------------------|
| enter    | start the chat (when the form is valid)  |
| escape   | cancel a start in progress               |
| ctrl+f   | add a custom field row                   |
| alt+r    | show / hide the member auth token        |
| tab      | next field                               |

A key means one thing on every screen: ctrl+r (resend) and f8 (leave) belong to the chat screen and do
nothing here.

The channel choice (Web Messaging, the default, or Web Chat v2) shows that channel's fields only. On Web
Messaging a stored conversation for the deployment is offered to resume, or a new one is started.

The palette (ctrl+p) adds Start chat, Add field, Save form as profile and Load profile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.lazy import Lazy
from textual.screen import Screen
from textual.suggester import Suggester
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from webchat_tui.config import CHANNELS, ChatSettings
from webchat_tui.tui.backend import target_for
from webchat_tui.tui.errors import describe_start_error
from webchat_tui.tui.form_model import (
    CHANNEL_CHOICES,
    CUSTOM,
    LOCAL,
    MAX_CUSTOM_ATTRIBUTES_BYTES,
    MESSAGING_ONLY,
    PRIORITY_PROBLEM,
    WEBCHAT_ONLY,
    custom_attributes_bytes,
    environment_choices,
    environment_of,
    plural,
    validate,
)
from webchat_tui.tui.messages import JoinFormShown

if TYPE_CHECKING:
    from webchat_tui.tui.app import WebchatApp
    from webchat_tui.tui.chat_handle import ChatHandle

__all__ = ["JoinScreen", "CustomFieldRow", "MoreFields", "QueueSuggester"]

# (field name, label, placeholder); every one is a single-line Input with an error line under it.
_MEMBER_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("display_name", "Display name *", "the name the agent sees"),
    ("first_name", "First name", ""),
    ("last_name", "Last name", ""),
    ("email", "Email", "name@example.com"),
    ("phone", "Phone", "+1 555 0100"),
    ("avatar_url", "Avatar URL", "https://…"),
)
_ROUTING_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("queue", "Queue *", "queue name, e.g. Support"),
    ("skills", "Skills", "comma separated"),
    ("language", "Language", "e.g. English"),
    ("priority", "Priority", "whole number"),
)
_DEPLOYMENT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("api_base", "API base URL", "http://127.0.0.1:8765"),
    ("organization_id", "Organization id *", ""),
    ("deployment_id", "Deployment id *", ""),
    ("member_auth_token", "Member auth token", "only for authenticated deployments"),
    ("origin", "Origin", "https://www.example.com"),
    ("auth_code", "Auth code", "only for authenticated deployments"),
)
_SECRET_FIELDS = ("member_auth_token", "auth_code")


class CustomFieldRow(Horizontal):
    """One editable key/value pair of the guest's custom fields."""

    def __init__(self, key: str = "", value: str = "") -> None:
        super().__init__(classes="custom-row")
        self._key = key
        self._value = value

    def compose(self) -> ComposeResult:
        yield Input(self._key, placeholder="name", compact=True, classes="custom-key")
        yield Input(self._value, placeholder="value", compact=True, classes="custom-value")
        yield Button("✕", classes="remove-field", compact=True, tooltip="Remove this field")

    @property
    def pair(self) -> tuple[str, str]:
        """The row's (key, value) as typed."""
        return (self.query_one(".custom-key", Input).value, self.query_one(".custom-value", Input).value)


class QueueSuggester(Suggester):
    """Completes the queue field from the local emulator's queues (only while it is the chosen backend);
    any other text stays allowed, for real regions."""

    def __init__(self, screen: JoinScreen) -> None:
        super().__init__(use_cache=False, case_sensitive=False)
        self._screen = screen

    async def get_suggestion(self, value: str) -> str | None:
        """The first emulator queue that starts with `value`."""
        if not value:
            return None
        for queue in self._screen.offered_queues():
            if queue.casefold().startswith(value) and queue.casefold() != value:
                return queue
        return None


def _field(
    name: str, label: str, placeholder: str, value: str, suggester: Suggester | None = None
) -> ComposeResult:
    """One form field: label and input in a row plus a (hidden) error line under it, indented by CSS.

    Two widgets in a row and one under it: the join form is the first screen, and every container per field
    adds compose and styling time before it is usable."""
    with Horizontal(classes="field-row", id=f"row-{name}"):
        yield Label(label, classes="field-label")
        yield Input(
            value,
            placeholder=placeholder,
            id=name,
            compact=True,
            password=name in _SECRET_FIELDS,
            select_on_focus=False,
            suggester=suggester,
        )
        if name == "member_auth_token":
            yield Button("Show", id="reveal-token", compact=True, tooltip="Show or hide the token (alt+r)")
    yield Label("", id=f"error-{name}", classes="field-error")
    if name == "queue":
        yield Label("", id="queue-hint", classes="field-hint")


class AfterFirstFrame(Lazy):
    """Like `Lazy`, but one refresh later: the app's first refresh happens inside its start-up batch and is
    not shown, so `Lazy` alone would mount the widget before the first frame anyone sees."""

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        self.call_after_refresh(self.call_after_refresh, super().mount_composed_widgets, widgets)


class MoreFields(Vertical):
    """The join form after its first field (the rest of "You", custom fields, routing, deployment), mounted
    right after the first frame by the screen."""

    def __init__(self, settings: ChatSettings, values: dict[str, str], queues: Suggester) -> None:
        super().__init__(id="more-fields")
        self._settings = settings
        self._values = values
        self._queues = queues

    def compose(self) -> ComposeResult:
        s, values = self._settings, self._values
        with Horizontal(classes="field-row", id="row-channel"):
            yield Label("Channel", classes="field-label")
            yield Select(
                CHANNEL_CHOICES,
                value=s.channel if s.channel in CHANNELS else "messaging",
                allow_blank=False,
                id="channel",
                compact=True,
            )
        for name, label, placeholder in _MEMBER_FIELDS[1:]:
            yield from _field(name, label, placeholder, values[name])
        yield Static("Custom fields", classes="section-title", id="custom-title")
        with Vertical(id="custom-fields"):
            for key, value in s.custom_fields:
                yield CustomFieldRow(key, value)
        yield Label("", id="error-custom_fields", classes="field-error")
        yield Button("+ Add field (ctrl+f)", id="add-field", compact=True)
        yield Static("Routing", classes="section-title", id="routing-title")
        for name, label, placeholder in _ROUTING_FIELDS:
            yield from _field(
                name, label, placeholder, values[name], self._queues if name == "queue" else None
            )
        yield Static("Deployment", classes="section-title")
        with Horizontal(classes="field-row"):
            yield Label("Environment", classes="field-label")
            yield Select(
                environment_choices(environment_of(s)),
                value=environment_of(s),
                allow_blank=False,
                id="environment",
                compact=True,
            )
        yield Label("", id="error-environment", classes="field-error")
        for name, label, placeholder in _DEPLOYMENT_FIELDS:
            yield from _field(name, label, placeholder, values[name])

    def on_mount(self) -> None:
        screen = self.screen
        if isinstance(screen, JoinScreen):
            screen.form_completed()


class JoinScreen(Screen[None]):
    """The form a guest fills in to start a chat; API errors are shown under it and the user can retry."""

    AUTO_FOCUS = "#display_name"
    """Focus the first field directly (not the scrolling form first: that restyles the whole form twice)."""

    BINDINGS = [
        Binding(
            "ctrl+f", "add_custom_field", "Add field", id="join.add-field", tooltip="Add a custom field row"
        ),
        Binding(
            "escape", "cancel_start", "Cancel start", id="join.cancel-start", tooltip="Stop starting the chat"
        ),
        Binding(
            "alt+r",
            "toggle_token",
            "Reveal token",
            show=False,
            id="join.reveal-token",
            tooltip="Show or hide the member auth token",
        ),
    ]

    def __init__(self, settings: ChatSettings, *, autostart: bool = False) -> None:
        super().__init__()
        self._initial = settings
        self._autostart = autostart
        self._queue_suggester = QueueSuggester(self)
        self._touched: set[str] = set()
        self._show_all = False
        self._starting = False
        self._pending_start = False
        self._environment = environment_of(settings)
        self._channel = settings.channel if settings.channel in CHANNELS else "messaging"
        self._shown_errors: dict[str, str] = {}
        """Error text shown per field; composed error lines start empty and hidden, see `_field`."""
        self._shown_status = ""
        self._refresh_scheduled = False
        self._complete = False
        self._start_requested = False
        self._autostart_pending = False
        self._ids_by_environment: dict[str, tuple[str, str]] = {}
        """Org and deployment ids last seen per environment, put back when the user returns to it."""

    @property
    def webchat(self) -> WebchatApp:
        """The app, typed."""
        return cast("WebchatApp", self.app)

    # ------------------------------------------------------------------ compose

    def compose(self) -> ComposeResult:
        s = self._initial
        values = {
            "origin": s.origin,
            "auth_code": s.auth_code,
            "display_name": s.display_name,
            "first_name": s.first_name,
            "last_name": s.last_name,
            "email": s.email,
            "phone": s.phone,
            "avatar_url": s.avatar_url,
            "queue": s.queue,
            "skills": ", ".join(s.skills),
            "language": s.language,
            "priority": "" if s.priority is None else str(s.priority),
            "api_base": s.api_base,
            "organization_id": s.organization_id,
            "deployment_id": s.deployment_id,
            "member_auth_token": s.member_auth_token,
        }
        yield Header(show_clock=False)
        with VerticalScroll(id="join-form"):
            yield Static("You", classes="section-title")
            name, label, placeholder = _MEMBER_FIELDS[0]
            yield from _field(name, label, placeholder, values[name])
            yield AfterFirstFrame(MoreFields(s, values, self._queue_suggester))
        with Vertical(id="join-footer"):
            yield Static("", id="api-error")
            with Horizontal(id="join-actions"):
                yield Button("Start chat", id="start", variant="primary", disabled=True)
                yield Static("", id="join-status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"Join a chat · {self._backend_words(self._environment)}"

    @property
    def complete(self) -> bool:
        """Whether every field is mounted (all but the first follow right after the first frame)."""
        return self._complete

    def form_completed(self) -> None:
        """Called once the deferred fields are in: validate, and start if the user already asked to."""
        self._complete = True
        self.post_message(JoinFormShown())
        self._sync_environment()
        self.refresh_form()
        if self._start_requested or self._autostart:
            self._start_requested = False
            self._autostart_pending = self._autostart
            self._autostart = False
            self.action_start()

    # ------------------------------------------------------------------ reading the form

    def read_settings(self) -> tuple[ChatSettings, str]:
        """The form as `ChatSettings` plus the environment select's value."""

        def text(name: str) -> str:
            return self.query_one(f"#{name}", Input).value

        priority_text = text("priority").strip()
        priority: int | None
        try:
            priority = int(priority_text) if priority_text else None
        except ValueError:
            priority = -1  # reported by validate() as not a whole number
        pairs = tuple(row.pair for row in self.query(CustomFieldRow))
        pairs = tuple((k.strip(), v) for k, v in pairs if k.strip() or v.strip())
        environment = str(self.query_one("#environment", Select).value)
        channel = str(self.query_one("#channel", Select).value)
        settings = ChatSettings(
            channel=channel,
            origin=text("origin"),
            auth_code=text("auth_code"),
            new_conversation=self._initial.new_conversation,
            display_name=text("display_name"),
            first_name=text("first_name"),
            last_name=text("last_name"),
            email=text("email"),
            phone=text("phone"),
            avatar_url=text("avatar_url"),
            custom_fields=pairs,
            queue=text("queue"),
            skills=tuple(p.strip() for p in text("skills").split(",") if p.strip()),
            language=text("language"),
            priority=priority,
            environment=environment if environment not in (LOCAL, CUSTOM) else "",
            api_base=text("api_base") if environment == CUSTOM else "",
            organization_id=text("organization_id"),
            deployment_id=text("deployment_id"),
            member_auth_token=text("member_auth_token"),
        )
        return settings, environment

    def problems(self) -> dict[str, str]:
        """Current validation problems by field."""
        settings, environment = self.read_settings()
        problems = validate(settings, environment)
        if settings.priority == -1:
            problems["priority"] = PRIORITY_PROBLEM
        if environment == LOCAL and not self.webchat.local.ready and not self.webchat.local_error:
            # The local emulator is still starting and fills these in itself: not the user's problem.
            for name in ("organization_id", "deployment_id"):
                if not getattr(settings, name).strip():
                    problems.pop(name, None)
        return problems

    # ------------------------------------------------------------------ reacting to edits

    def refresh_form(self) -> None:
        """Re-validate: show errors for touched fields and enable Start only when valid and ready."""
        if not self._complete:
            return  # `form_completed` validates once every field is there
        problems = self.problems()
        for label in self.query(".field-error").results(Label):
            name = (label.id or "").removeprefix("error-")
            message = problems.get(name, "") if (self._show_all or name in self._touched) else ""
            if self._shown_errors.get(name, "") != message:  # touch only what changed: restyling is not free
                self._shown_errors[name] = message
                label.update(Content(message))
                label.display = bool(message)
        _, environment = self.read_settings()
        waiting_for_local = environment == LOCAL and not self.webchat.local.ready
        self.query_one("#start", Button).disabled = bool(problems) or self._starting or waiting_for_local
        status = ""
        if self._starting:
            status = "Starting the chat… (Escape cancels)"
        elif waiting_for_local and self.webchat.local_error:
            status = f"The local emulator did not start: {self.webchat.local_error}"
        elif waiting_for_local and self._pending_start:
            status = "Starting the local emulator… the chat starts as soon as it is ready."
        elif waiting_for_local:
            status = "Starting the local emulator…"
        elif problems:
            count = len(problems)
            needs = f"{plural(count, 'field')} {'needs' if count == 1 else 'need'} attention"
            status = needs if self._show_all or self._touched else ""
        if status != self._shown_status:
            self._shown_status = status
            self.query_one("#join-status", Static).update(Content(status))

    def schedule_refresh(self) -> None:
        """Re-validate once after the current batch of changes (a burst of edits costs one pass)."""
        if not self._refresh_scheduled:
            self._refresh_scheduled = True
            self.call_after_refresh(self._scheduled_refresh)

    def _scheduled_refresh(self) -> None:
        self._refresh_scheduled = False
        self.refresh_form()

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        custom = event.input.has_class("custom-key") or event.input.has_class("custom-value")
        if event.input.has_focus:
            name = event.input.id or ("custom_fields" if custom else "")
            self._touched.add(name)
        if custom and self._complete:
            self._show_attribute_size()
        self.schedule_refresh()

    @on(Select.Changed, "#environment")
    def _environment_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self._environment:
            return  # the initial value being set, not a choice by the user
        previous, self._environment = self._environment, str(event.value)
        self.show_api_error("")  # the last refusal was about the other backend
        self._swap_ids(previous, self._environment)
        self._sync_environment(start_local=True)
        self.refresh_form()

    @on(Select.Changed, "#channel")
    def _channel_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self._channel:
            return
        previous, self._channel = self._channel, str(event.value)
        self.show_api_error("")
        self._swap_ids(self._environment, self._environment, previous_channel=previous)
        self._sync_environment()
        self.refresh_form()

    def _swap_ids(self, previous: str, current: str, *, previous_channel: str | None = None) -> None:
        """Ids belong to one backend and channel: remember the ids of the one left, and put in those last used
        with the one chosen (the local emulator's seeded ids for it; empty for a region not used before)."""
        boxes = [self.query_one(f"#{name}", Input) for name in ("organization_id", "deployment_id")]
        before = f"{previous_channel or self._channel}:{previous}"
        self._ids_by_environment[before] = (boxes[0].value, boxes[1].value)
        key = f"{self._channel}:{current}"
        if key in self._ids_by_environment:
            values = self._ids_by_environment[key]
        elif current == LOCAL:
            local = self.webchat.local
            values = (local.organization_id, self._local_deployment())  # empty until ready; then prefilled
        else:
            values = ("", "")
        for box, value in zip(boxes, values, strict=True):
            box.value = value

    def offered_queues(self) -> tuple[str, ...]:
        """The queues the queue field offers: the local emulator's, while it is the chosen backend."""
        return self.webchat.local.queues if self._environment == LOCAL else ()

    def _local_deployment(self) -> str:
        """The local emulator's deployment for the chosen channel (Web Messaging: the bot-first one)."""
        local = self.webchat.local
        return local.messaging_deployment_id if self._channel == "messaging" else local.deployment_id

    def _show_channel_fields(self) -> None:
        """Show the fields of the chosen channel only; the custom fields title says what they are."""
        messaging = self._channel == "messaging"
        for name in WEBCHAT_ONLY:
            self.query_one(f"#row-{name}").display = not messaging
        for name in MESSAGING_ONLY:
            self.query_one(f"#row-{name}").display = messaging
        self.query_one("#routing-title").display = not messaging
        name_label = self.query_one("#row-display_name Label", Label)
        name_label.update(Content("Display name" if messaging else "Display name *"))
        self.query_one("#queue-hint").display = not messaging and bool(self.offered_queues())
        self._show_attribute_size()

    def _show_attribute_size(self) -> None:
        title = "Custom fields"
        if self._channel == "messaging":
            pairs = tuple(row.pair for row in self.query(CustomFieldRow))
            used = custom_attributes_bytes(tuple((k.strip(), v) for k, v in pairs if k.strip() or v.strip()))
            title = f"Custom attributes ({used:,} of {MAX_CUSTOM_ATTRIBUTES_BYTES:,} bytes)"
        self.query_one("#custom-title", Static).update(Content(title))

    def _sync_environment(self, start_local: bool = False) -> None:
        environment = str(self.query_one("#environment", Select).value)
        self.query_one("#row-api_base").display = environment == CUSTOM
        queues = self.offered_queues()
        hint = self.query_one("#queue-hint", Label)
        hint.update(Content(f"This emulator's queues: {', '.join(queues)}" if queues else ""))
        hint.display = bool(queues)
        self._show_channel_fields()
        self.sub_title = f"Join a chat · {self._backend_words(environment)}"
        if environment == LOCAL:
            if self.webchat.local.ready:
                self._prefill_local()
            elif start_local:
                self.webchat.ensure_local_backend()

    def _backend_words(self, environment: str) -> str:
        """What the header says about where the chat will go."""
        if environment == LOCAL:
            if self.webchat.backend_label:
                return self.webchat.backend_label
            return "local emulator (embedded)" if self.webchat.local.embedded else "local emulator"
        if environment == CUSTOM:
            return "custom API base URL"
        return f"Genesys Cloud {environment}"

    def _prefill_local(self) -> None:
        """Fill empty org/deployment ids with the local emulator's seeded ones."""
        local = self.webchat.local
        for name, value in (
            ("organization_id", local.organization_id),
            ("deployment_id", self._local_deployment()),
        ):
            box = self.query_one(f"#{name}", Input)
            if not box.value and value:
                box.value = value

    def local_backend_changed(self) -> None:
        """Called by the app when the local emulator became ready (or failed)."""
        if not self._complete:
            return  # `form_completed` prefills and validates
        if str(self.query_one("#environment", Select).value) == LOCAL:
            self._prefill_local()
        self._sync_environment()
        self.refresh_form()
        if self._pending_start and self.webchat.local.ready:
            self._pending_start = False
            self.action_start()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#reveal-token")
    def _reveal_pressed(self) -> None:
        self.action_toggle_token()

    def action_toggle_token(self) -> None:
        """Show or hide the member auth token and the auth code (masked by default)."""
        if not self._complete:
            return
        box = self.query_one("#member_auth_token", Input)
        box.password = not box.password
        self.query_one("#auth_code", Input).password = box.password
        self.query_one("#reveal-token", Button).label = "Show" if box.password else "Hide"

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#add-field")
    async def _add_pressed(self) -> None:
        await self.action_add_custom_field()

    @on(Button.Pressed, ".remove-field")
    async def _remove_pressed(self, event: Button.Pressed) -> None:
        row = event.button.parent
        if isinstance(row, CustomFieldRow):
            await row.remove()
            self._touched.add("custom_fields")
            self.refresh_form()

    async def action_add_custom_field(self) -> None:
        """Add an empty custom field row and focus its name."""
        if not self._complete:
            return
        row = CustomFieldRow()
        await self.query_one("#custom-fields", Vertical).mount(row)
        row.query_one(".custom-key", Input).focus()
        row.scroll_visible()

    # ------------------------------------------------------------------ starting

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cancel start is in the footer only while a start is in progress."""
        if action == "cancel_start":
            return self._starting or self._pending_start
        return True

    def action_cancel_start(self) -> None:
        """Stop starting the chat (Escape): the request in flight is abandoned and a chat the server already
        created is left, so nobody waits for a guest who is not there."""
        if self._pending_start:
            self._pending_start = False
            self.refresh_form()
        if not self._starting:
            return
        self.workers.cancel_group(self, "start-chat")
        self.show_api_error("Start cancelled. Change the form or press Enter to try again.")

    def help_extra(self) -> Iterable[tuple[str, str]]:
        """Keys of this screen that are not bindings (for the help screen)."""
        yield ("enter", "Start the chat (from any field, when the form is valid)")

    def palette_commands(self) -> Iterable[SystemCommand]:
        """Commands this screen adds to the command palette."""
        yield SystemCommand("Start chat", "Start the chat with the values in the form", self.action_start)
        yield SystemCommand("Add field", "Add a custom field row (ctrl+f)", self.action_add_custom_field)
        yield SystemCommand(
            "Save form as profile", "Store the form's values in the config file", self.action_save_profile
        )
        yield SystemCommand("Load profile", "Fill the form from a saved profile", self.action_load_profile)
        yield SystemCommand(
            "Show/hide member auth token", "Reveal the masked token (alt+r)", self.action_toggle_token
        )

    # ------------------------------------------------------------------ profiles

    def action_save_profile(self) -> None:
        """Ask for a name, then save the form (checked like `profiles save`) as a profile."""
        from webchat_tui.config import ConfigError, load_config, save_profile
        from webchat_tui.tui.form_model import profile_problems
        from webchat_tui.tui.screens.profiles import ProfileNameScreen

        path = self.webchat.config_file
        if path is None or not self._complete:
            self.notify("Profiles cannot be saved here (no config file).", severity="warning", markup=False)
            return
        settings, environment = self.read_settings()
        if environment == LOCAL:
            # the embedded emulator's ids change every start: a profile keeps the ids only for remote targets
            settings = settings.merged({"organization_id": "", "deployment_id": ""})
        problems = profile_problems(settings)
        if problems:
            self._show_all = True
            self.refresh_form()
            self.notify("Fix the marked fields first: " + "; ".join(problems.values()), markup=False)
            return
        try:
            existing = sorted(load_config(path).profiles)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return

        def save(name: str | None) -> None:
            if not name:
                return
            try:
                saved = save_profile(name, settings, path)
            except ConfigError as exc:
                self.notify(str(exc), title="Not saved", severity="error", markup=False)
                return
            self.notify(f"Saved profile {name!r} to {saved}", title="Saved", markup=False)

        self.app.push_screen(ProfileNameScreen(existing), save)

    def action_load_profile(self) -> None:
        """Pick a saved profile and fill the form with it."""
        from webchat_tui.config import ConfigError, load_config
        from webchat_tui.tui.screens.profiles import ProfilePickScreen

        path = self.webchat.config_file
        if path is None:
            self.notify("No config file to load profiles from.", severity="warning", markup=False)
            return
        try:
            config = load_config(path)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if not config.profiles:
            self.notify(f"No profiles saved in {path} yet.", markup=False)
            return
        names = [(name, p.summary()) for name, p in sorted(config.profiles.items())]

        def load(name: str | None) -> None:
            if name and name in config.profiles:
                self.webchat.replace_join_form(JoinScreen(config.profiles[name]))
                self.notify(f"Loaded profile {name!r}.", markup=False)

        self.app.push_screen(ProfilePickScreen(names), load)

    def action_start(self) -> None:
        """Start the chat if the form is valid; otherwise show every problem and focus the first one."""
        if self._starting:
            return
        if not self._complete:
            self._start_requested = True  # Enter pressed in the first instant: start once the form is whole
            return
        problems = self.problems()
        autostart, self._autostart_pending = self._autostart_pending, False
        if problems:
            if autostart:
                self.notify("Not started: fix the marked fields, then press Enter.", markup=False)
            self._show_all = True
            self.refresh_form()
            first = next(iter(problems))
            target = self.query(f"#{first}")
            if target:
                target.first().focus()
            return
        settings, environment = self.read_settings()
        if environment == LOCAL and not self.webchat.local.ready:
            self._pending_start = True
            self.refresh_form()
            return
        self.show_api_error("")
        from webchat_tui.tui.chat_handle import stored_conversation

        if (
            settings.channel == "messaging"
            and not settings.new_conversation
            and stored_conversation(settings.deployment_id, self.webchat.token_store_for(environment))
        ):
            from webchat_tui.tui.screens.resume import ResumeScreen

            def chosen(answer: str | None) -> None:
                if answer is not None:
                    self._start_chat(settings, environment, start_new=answer == "new")

            self.app.push_screen(ResumeScreen(), chosen)
            return
        self._start_chat(settings, environment, start_new=settings.new_conversation)

    def show_api_error(self, message: str) -> None:
        """Show (or clear) the plain-words reason the last start failed."""
        box = self.query_one("#api-error", Static)
        box.update(Content(message))
        box.display = bool(message)

    @work(exclusive=True, group="start-chat", exit_on_error=False)
    async def _start_chat(self, settings: ChatSettings, environment: str, start_new: bool = False) -> None:
        from webchat_tui.tui.chat_handle import open_chat, open_messaging_chat

        target = target_for(settings, environment, self.webchat.local)
        self._starting = True
        self.refresh_bindings()
        self.refresh_form()
        handle: ChatHandle | None = None
        began = time.monotonic()
        try:
            if settings.channel == "messaging":
                handle = await open_messaging_chat(
                    settings,
                    base_url=target.base_url,
                    environment=target.environment,
                    description=target.description,
                    start_new=start_new,
                    token_store=self.webchat.token_store_for(environment),
                    session_options=self.webchat.messaging_options,
                    leave_on_quit=self.webchat.leave_messaging_on_quit,
                    name_attribute=self.webchat.messaging_name_attribute,
                )
            else:
                handle = await open_chat(
                    settings,
                    base_url=target.base_url,
                    environment=target.environment,
                    description=target.description,
                    session_options=self.webchat.session_options,
                    client_options=self.webchat.client_options,
                )
        except Exception as exc:  # every failure becomes words next to the form; the user can retry
            logging.getLogger("webchat_tui.tui").info("chat start failed: %r", exc)
            self.show_api_error(
                describe_start_error(
                    exc,
                    queue=settings.queue,
                    target=target.description,
                    queues=self.webchat.local.queues if environment == LOCAL else (),
                    elapsed=time.monotonic() - began,
                )
            )
        finally:
            self._starting = False
            self.refresh_bindings()
            self.refresh_form()
        if handle is not None:
            self.webchat.open_chat_screen(handle)
