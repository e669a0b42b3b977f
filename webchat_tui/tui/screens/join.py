"""The join form: who the guest is, where the chat is routed, and which backend serves it.

| key      | action                                   |
|----------|------------------------------------------|
| enter    | start the chat (when the form is valid)  |
| ctrl+f   | add a custom field row                   |
| tab      | next field                               |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, Input, Label, Select, Static

from webchat_tui.config import ChatSettings
from webchat_tui.tui.backend import target_for
from webchat_tui.tui.errors import describe_start_error
from webchat_tui.tui.form_model import CUSTOM, LOCAL, environment_choices, environment_of, validate

if TYPE_CHECKING:
    from webchat_tui.tui.app import WebchatApp
    from webchat_tui.tui.chat_handle import ChatHandle

__all__ = ["JoinScreen", "CustomFieldRow", "MoreFields"]

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
)


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


def _field(name: str, label: str, placeholder: str, value: str) -> ComposeResult:
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
            password=name == "member_auth_token",
            select_on_focus=False,
        )
    yield Label("", id=f"error-{name}", classes="field-error")


class AfterFirstFrame(Lazy):
    """Like `Lazy`, but one refresh later: the app's first refresh happens inside its start-up batch and is
    not shown, so `Lazy` alone would mount the widget before the first frame anyone sees."""

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        self.call_after_refresh(self.call_after_refresh, super().mount_composed_widgets, widgets)


class MoreFields(Vertical):
    """The join form after its first field (the rest of "You", custom fields, routing, deployment), mounted
    right after the first frame by the screen."""

    def __init__(self, settings: ChatSettings, values: dict[str, str]) -> None:
        super().__init__(id="more-fields")
        self._settings = settings
        self._values = values

    def compose(self) -> ComposeResult:
        s, values = self._settings, self._values
        for name, label, placeholder in _MEMBER_FIELDS[1:]:
            yield from _field(name, label, placeholder, values[name])
        yield Static("Custom fields", classes="section-title")
        with Vertical(id="custom-fields"):
            for key, value in s.custom_fields:
                yield CustomFieldRow(key, value)
        yield Label("", id="error-custom_fields", classes="field-error")
        yield Button("+ Add field (ctrl+f)", id="add-field", compact=True)
        yield Static("Routing", classes="section-title")
        for name, label, placeholder in _ROUTING_FIELDS:
            yield from _field(name, label, placeholder, values[name])
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
        Binding("ctrl+s", "start", "Start chat", id="join.start", tooltip="Start the chat"),
    ]

    def __init__(self, settings: ChatSettings) -> None:
        super().__init__()
        self._initial = settings
        self._touched: set[str] = set()
        self._show_all = False
        self._starting = False
        self._pending_start = False
        self._environment = environment_of(settings)
        self._shown_errors: dict[str, str] = {}
        """Error text shown per field; composed error lines start empty and hidden, see `_field`."""
        self._shown_status = ""
        self._refresh_scheduled = False
        self._complete = False
        self._start_requested = False
        self._other_ids = ["", ""]
        """Org and deployment ids typed for a remote backend, kept while the local emulator is chosen."""

    @property
    def webchat(self) -> WebchatApp:
        """The app, typed."""
        return cast("WebchatApp", self.app)

    # ------------------------------------------------------------------ compose

    def compose(self) -> ComposeResult:
        s = self._initial
        values = {
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
            yield AfterFirstFrame(MoreFields(s, values))
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
        self._sync_environment()
        self.refresh_form()
        if self._start_requested:
            self._start_requested = False
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
        settings = ChatSettings(
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
            problems["priority"] = "Priority must be a whole number from 0 upwards."
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
            status = "Starting the chat…"
        elif waiting_for_local and self.webchat.local_error:
            status = f"The local emulator did not start: {self.webchat.local_error}"
        elif waiting_for_local and self._pending_start:
            status = "Starting the local emulator… the chat starts as soon as it is ready."
        elif waiting_for_local:
            status = "Starting the local emulator…"
        elif problems:
            status = f"{len(problems)} field(s) need attention" if self._show_all or self._touched else ""
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
        if event.input.has_focus:
            name = event.input.id or (
                "custom_fields" if event.input.has_class("custom-key", "custom-value") else ""
            )
            self._touched.add(name)
        self.schedule_refresh()

    @on(Select.Changed, "#environment")
    def _environment_changed(self, event: Select.Changed) -> None:
        if str(event.value) == self._environment:
            return  # the initial value being set, not a choice by the user
        previous, self._environment = self._environment, str(event.value)
        self._swap_ids(previous, self._environment)
        self._sync_environment(start_local=True)
        self.refresh_form()

    def _swap_ids(self, previous: str, current: str) -> None:
        """Ids belong to one backend: moving to the local emulator puts its ids in (keeping the others to put
        back when the user switches away again, if there were any)."""
        boxes = [self.query_one(f"#{name}", Input) for name in ("organization_id", "deployment_id")]
        local = self.webchat.local
        local_ids = [local.organization_id, local.deployment_id]
        if current == LOCAL:
            self._other_ids = [box.value for box in boxes]
            for box, value in zip(boxes, local_ids, strict=True):
                box.value = value  # empty until the emulator is ready; then `_prefill_local` fills it
        elif previous == LOCAL and any(self._other_ids):
            for box, local_value, other in zip(boxes, local_ids, self._other_ids, strict=True):
                if box.value == local_value:
                    box.value = other

    def _sync_environment(self, start_local: bool = False) -> None:
        environment = str(self.query_one("#environment", Select).value)
        self.query_one("#row-api_base").display = environment == CUSTOM
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
            ("deployment_id", local.deployment_id),
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
        self.refresh_form()
        if self._pending_start and self.webchat.local.ready:
            self._pending_start = False
            self.action_start()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_start()

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

    def action_start(self) -> None:
        """Start the chat if the form is valid; otherwise show every problem and focus the first one."""
        if self._starting:
            return
        if not self._complete:
            self._start_requested = True  # Enter pressed in the first instant: start once the form is whole
            return
        problems = self.problems()
        if problems:
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
        self._start_chat(settings, environment)

    def show_api_error(self, message: str) -> None:
        """Show (or clear) the plain-words reason the last start failed."""
        box = self.query_one("#api-error", Static)
        box.update(Content(message))
        box.display = bool(message)

    @work(exclusive=True, group="start-chat", exit_on_error=False)
    async def _start_chat(self, settings: ChatSettings, environment: str) -> None:
        from webchat_tui.tui.chat_handle import open_chat

        target = target_for(settings, environment, self.webchat.local)
        self._starting = True
        self.refresh_form()
        handle: ChatHandle | None = None
        try:
            handle = await open_chat(
                settings,
                base_url=target.base_url,
                environment=target.environment,
                description=target.description,
                session_options=self.webchat.session_options,
            )
        except Exception as exc:  # every failure becomes words next to the form; the user can retry
            self.show_api_error(describe_start_error(exc, queue=settings.queue, target=target.description))
        finally:
            self._starting = False
            self.refresh_form()
        if handle is not None:
            self.webchat.open_chat_screen(handle)
