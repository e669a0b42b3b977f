"""Run scenario conversations: each step against a live `Session`, a transcript per conversation, results.

`ConversationRunner` drives one conversation; `run_scenario()` runs a whole file (``parallel`` at a time),
starting the embedded emulator when a conversation has no target of its own. Expectations wait on the
session's events (no polling) and look only at messages that arrived after the last one an expectation
matched, so ``expect`` twice in a row needs two messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from webchat_tui.chat import RichReplies, Session
from webchat_tui.chat.types import (
    FINISHED_STATES,
    Attachment,
    Card,
    Carousel,
    ChatMessage,
    ContentChoice,
    DatePicker,
    ListPicker,
    ParticipantKind,
    QuickReply,
    SessionEvent,
    SessionState,
    TypingChanged,
)
from webchat_tui.swarm.scenario import Conversation, ScenarioFile, Step
from webchat_tui.swarm.target import Endpoint, Guest, OpenedSession, open_session, resolve_endpoint

__all__ = [
    "StepFailed",
    "ConversationResult",
    "Reporter",
    "ConversationRunner",
    "run_scenario",
    "RunOptions",
    "format_message",
]

_KIND_BY_SENDER = {"bot": (ParticipantKind.BOT,), "agent": (ParticipantKind.AGENT,)}
_OTHERS = (ParticipantKind.AGENT, ParticipantKind.BOT, ParticipantKind.SYSTEM)
_ACTIONS = ("say", "choose", "pick_date", "upload")
LAST_MESSAGES = 5


class StepFailed(Exception):
    """A step did not hold: what was expected and what arrived instead."""

    def __init__(self, expected: str, arrived: list[str] | None = None) -> None:
        self.expected = expected
        self.arrived = arrived or []
        super().__init__(expected)


@dataclass(slots=True)
class ConversationResult:
    """How one conversation went."""

    name: str
    channel: str
    passed: bool
    duration_s: float
    steps_total: int
    steps_passed: int
    transcript: Path | None = None
    failed_step: Step | None = None
    expected: str | None = None
    arrived: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        step = self.failed_step
        return {
            "name": self.name,
            "channel": self.channel,
            "passed": self.passed,
            "duration_s": round(self.duration_s, 3),
            "steps_total": self.steps_total,
            "steps_passed": self.steps_passed,
            "transcript": str(self.transcript) if self.transcript else None,
            "failed_step": None
            if step is None
            else {
                "kind": step.kind,
                "line": step.line,
                "column": step.column,
                "description": step.describe(),
            },
            "expected": self.expected,
            "arrived": self.arrived,
            "error": self.error,
        }


class Reporter(Protocol):
    """Told about progress (the CLI's live lines)."""

    def step(self, conversation: str, index: int, total: int, step: Step) -> None:
        """``conversation`` starts step ``index`` (1-based) of ``total``."""

    def done(self, result: ConversationResult) -> None:
        """``conversation`` finished."""


def format_message(message: ChatMessage) -> str:
    """One transcript line: time, sender and kind, text, and any rich content in words."""
    at = message.timestamp.astimezone(UTC).strftime("%H:%M:%S")
    who = "you" if message.is_own else f"{message.sender_name} ({message.sender_kind.value})"
    parts = [f"{at} {who}: {message.body}" if message.body else f"{at} {who}:"]
    for item in message.content:
        if isinstance(item, QuickReply):
            parts.append(f"[quick reply: {item.text}]")
        elif isinstance(item, Card):
            parts.append(f"[card: {item.title}; buttons: {', '.join(a.text for a in item.actions)}]")
        elif isinstance(item, Carousel):
            parts.append(f"[carousel: {', '.join(c.title for c in item.cards)}]")
        elif isinstance(item, DatePicker):
            parts.append(f"[date picker: {', '.join(t.raw for t in item.times)}]")
        elif isinstance(item, ListPicker):
            parts.append(f"[list picker: {item.title or ''}]")
        elif isinstance(item, Attachment):
            parts.append(f"[attachment: {item.filename or item.id}]")
    if message.body_type not in ("standard", "Text", "Structured"):
        parts.append(f"<{message.body_type}>")
    return " ".join(parts)


def _choices(message: ChatMessage) -> list[tuple[str, str, str]]:
    """(kind, text, payload) of every choice a message offers."""
    out: list[tuple[str, str, str]] = []
    cards: list[Card] = []
    for item in message.content:
        if isinstance(item, QuickReply):
            out.append(("QuickReply", item.text, item.payload))
        elif isinstance(item, Card):
            cards.append(item)
        elif isinstance(item, Carousel):
            cards.extend(item.cards)
        elif isinstance(item, ListPicker):
            for section in item.sections:
                out.extend(("ListPicker", i.title, i.id) for i in section.items)
    for card in cards:
        out.extend(("Button", a.text, a.payload or a.text) for a in card.actions if a.type != "Link")
    return out


class ConversationRunner:
    """Runs the steps of one conversation on an opened session."""

    def __init__(self, conversation: Conversation, opened: OpenedSession) -> None:
        self.conversation = conversation
        self.opened = opened
        self.session: Session = opened.session
        self._changed = asyncio.Event()
        self._after_id: str | None = None
        self._typing_seq = 0
        self._typing_ids: set[str] = set()
        self._action_seq = 0
        self.log: list[str] = []
        self._unsubscribe = self.session.subscribe(self._on_event)

    def _on_event(self, event: SessionEvent) -> None:
        if isinstance(event, TypingChanged):
            now = {m.id for m in event.typing}
            if now - self._typing_ids:  # someone started typing (not: an indicator expired)
                self._typing_seq += 1
            self._typing_ids = now
        self._changed.set()

    def close(self) -> None:
        """Stop listening to the session."""
        self._unsubscribe()

    # --- waiting ---
    async def _wait_for(self, check: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            self._changed.clear()
            found = check()
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    def _fresh(self) -> list[ChatMessage]:
        """Messages from the others after the last one an expectation matched."""
        messages = self.session.messages
        start = 0
        if self._after_id is not None:
            for i, m in enumerate(messages):
                if m.id == self._after_id:
                    start = i + 1
                    break
        return [m for m in messages[start:] if not m.is_own and m.sender_kind in _OTHERS]

    def arrived(self) -> list[str]:
        """The last few messages and the state, for a failure report."""
        lines = [format_message(m) for m in self.session.messages[-LAST_MESSAGES:]]
        reason = f" ({self.session.end_reason})" if self.session.end_reason else ""
        return [*lines, f"state: {self.session.state.value}{reason}"]

    def _fail(self, expected: str) -> StepFailed:
        return StepFailed(expected, self.arrived())

    # --- steps ---
    async def run_step(self, step: Step) -> None:
        """Run one step; raises `StepFailed` when it does not hold."""
        handler = getattr(self, f"_step_{step.kind}")
        if step.kind in _ACTIONS:
            self._action_seq = self._typing_seq
        await handler(step.args)

    def _rich(self) -> RichReplies:
        if not isinstance(self.session, RichReplies):
            raise StepFailed(f"a session that answers rich content (channel {self.opened.channel} cannot)")
        return self.session

    async def _step_say(self, args: dict[str, Any]) -> None:
        await self.session.send(args["text"])

    async def _step_expect(self, args: dict[str, Any]) -> None:
        mode, sender = args["mode"], args["from"]
        value: str = args["value"]
        kinds = _KIND_BY_SENDER.get(sender, _OTHERS)
        pattern = re.compile(value) if mode == "matches" else None

        def matches(text: str) -> bool:
            if mode == "equals":
                return text.strip() == value.strip()
            if pattern is not None:
                return pattern.search(text) is not None
            return value.casefold() in text.casefold()

        def check() -> ChatMessage | None:
            return next((m for m in self._fresh() if m.sender_kind in kinds and matches(m.body)), None)

        found = await self._wait_for(check, args["timeout"])
        if found is None:
            who = "anyone" if sender == "any" else f"the {sender}"
            raise self._fail(f"a message from {who} that {mode} {value!r} within {args['timeout']:g} s")
        self._after_id = found.id

    async def _step_expect_quick_replies(self, args: dict[str, Any]) -> None:
        wanted = list(args["labels"])
        exact = bool(args.get("exact"))

        def check() -> ChatMessage | None:
            for m in self._fresh():
                offered = [c.text for c in m.content if isinstance(c, QuickReply)]
                if offered and (offered == wanted if exact else all(w in offered for w in wanted)):
                    return m
            return None

        found = await self._wait_for(check, args["timeout"])
        if found is None:
            how = "exactly" if exact else "at least"
            raise self._fail(f"quick replies offering {how} {wanted} within {args['timeout']:g} s")
        self._after_id = found.id

    async def _step_choose(self, args: dict[str, Any]) -> None:
        label = args["label"]

        def check() -> tuple[ChatMessage, tuple[str, str, str]] | None:
            for m in reversed(self.session.messages):
                if m.is_own:
                    continue
                for choice in _choices(m):
                    if choice[1] == label:
                        return m, choice
            return None

        found = await self._wait_for(check, args["timeout"])
        if found is None:
            raise self._fail(f"a quick reply or button labelled {label!r} to choose")
        message, (kind, text, payload) = found
        await self._rich().respond(ContentChoice(message.id, kind, text, payload))
        self._after_id = message.id

    async def _step_pick_date(self, args: dict[str, Any]) -> None:
        def check() -> tuple[ChatMessage, DatePicker] | None:
            for m in reversed(self.session.messages):
                pickers = [c for c in m.content if isinstance(c, DatePicker)]
                if pickers and not m.is_own:
                    return m, pickers[0]
            return None

        found = await self._wait_for(check, args["timeout"])
        if found is None:
            raise self._fail("a date picker to answer")
        message, picker = found
        slots = list(picker.times)
        if "date" in args:
            chosen = next((t for t in slots if t.raw.startswith(args["date"])), None)
        else:
            index = int(args.get("index", 1))
            chosen = slots[index - 1] if 0 < index <= len(slots) else None
        if chosen is None:
            want = args.get("date") or f"slot {args.get('index')}"
            raise self._fail(f"{want} among the offered times {[t.raw for t in slots]}")
        await self._rich().respond(ContentChoice(message.id, "DatePicker", chosen.raw, chosen.raw))
        self._after_id = message.id

    async def _step_upload(self, args: dict[str, Any]) -> None:
        sender = getattr(self.session, "send_attachment", None)
        if sender is None:
            raise StepFailed(f"a session that sends files (channel {self.opened.channel} cannot)")
        await sender(Path(args["file"]), text=args.get("text") or "")

    async def _step_expect_attachment(self, args: dict[str, Any]) -> None:
        name = args.get("filename")

        def check() -> ChatMessage | None:
            for m in self._fresh():
                for c in m.content:
                    if isinstance(c, Attachment) and (name is None or name in (c.filename or "")):
                        return m
            return None

        found = await self._wait_for(check, args["timeout"])
        if found is None:
            what = f"named like {name!r}" if name else ""
            raise self._fail(f"an attachment {what} within {args['timeout']:g} s".replace("  ", " "))
        self._after_id = found.id

    async def _step_expect_agent(self, args: dict[str, Any]) -> None:
        name = args.get("name")

        def check() -> bool:
            agent = self.session.agent
            return agent is not None and (name is None or name.casefold() in agent.display_name.casefold())

        if not await self._wait_for(check, args["timeout"]):
            who = f"agent {name!r}" if name else "an agent"
            raise self._fail(f"{who} to join within {args['timeout']:g} s")

    async def _step_expect_typing(self, args: dict[str, Any]) -> None:
        def check() -> bool:
            return self._typing_seq > self._action_seq

        if not await self._wait_for(check, args["timeout"]):
            raise self._fail(f"a typing indicator within {args['timeout']:g} s")
        self._action_seq = self._typing_seq

    async def _step_wait(self, args: dict[str, Any]) -> None:
        await asyncio.sleep(args["seconds"])

    async def _step_expect_ended(self, args: dict[str, Any]) -> None:
        read_only = args.get("read_only")
        wanted: tuple[SessionState, ...] = FINISHED_STATES
        if read_only is True:
            wanted = (SessionState.READ_ONLY,)
        elif read_only is False:
            wanted = (SessionState.ENDED,)

        if not await self._wait_for(lambda: self.session.state in wanted, args["timeout"]):
            what = " ".join(s.value for s in wanted)
            raise self._fail(f"the conversation to end ({what}) within {args['timeout']:g} s")

    async def _step_leave(self, args: dict[str, Any]) -> None:
        await self.session.leave()


# ----------------------------------------------------------------------------------------------------
# A whole file


@dataclass(slots=True)
class RunOptions:
    """How to run a scenario file."""

    out_dir: Path
    parallel: int = 1
    time_scale: float = 1.0
    """For the embedded emulator only."""
    base_url: str | None = None
    environment: str | None = None
    profile: str | None = None
    """Targets for conversations that name none (instead of the embedded emulator)."""
    emulator_info: dict[str, Any] | None = None
    """A running emulator to use instead of starting one (tests, benchmarks)."""


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:80] or "conversation"


class _Null:
    def step(self, conversation: str, index: int, total: int, step: Step) -> None:
        pass

    def done(self, result: ConversationResult) -> None:
        pass


async def run_conversation(
    conversation: Conversation, endpoint: Endpoint, out_dir: Path, reporter: Reporter | None = None
) -> ConversationResult:
    """Run one conversation on ``endpoint``; always writes its transcript and returns the result."""
    reporter = reporter or _Null()
    started = time.monotonic()
    result = ConversationResult(
        conversation.name, conversation.channel, False, 0.0, len(conversation.steps), 0
    )
    log: list[str] = []
    runner: ConversationRunner | None = None
    opened: OpenedSession | None = None
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    guest_info = {k: v for k, v in conversation.member_info.items() if k != "display_name"}
    guest = Guest(conversation.display_name, guest_info, conversation.custom_attributes)
    try:
        opened = await open_session(endpoint, guest)
        runner = ConversationRunner(conversation, opened)
        for index, step in enumerate(conversation.steps, 1):
            reporter.step(conversation.name, index, len(conversation.steps), step)
            try:
                await runner.run_step(step)
            except StepFailed as exc:
                result.failed_step, result.expected, result.arrived = step, exc.expected, exc.arrived
                log.append(f"FAIL line {step.line}: {step.describe()}: expected {exc.expected}")
                break
            except Exception as exc:  # any session error fails this conversation, never the run
                result.failed_step, result.error = step, f"{type(exc).__name__}: {exc}"
                result.expected = f"{step.describe()} to succeed"
                result.arrived = runner.arrived()
                log.append(f"FAIL line {step.line}: {step.describe()}: {result.error}")
                break
            log.append(f"ok   line {step.line}: {step.describe()}")
            result.steps_passed += 1
        else:
            result.passed = True
    except Exception as exc:
        result.error = f"could not start the conversation: {type(exc).__name__}: {exc}"
        result.expected = f"a {conversation.channel} conversation on {endpoint.where}"
        log.append(f"FAIL {result.error}")
    finally:
        result.duration_s = time.monotonic() - started
        messages = opened.session.messages if opened is not None else []
        result.transcript = _write_transcript(out_dir, conversation, stamp, endpoint, log, messages, result)
        if runner is not None:
            runner.close()
        if opened is not None:
            await opened.close()
    reporter.done(result)
    return result


def _write_transcript(
    out_dir: Path,
    conversation: Conversation,
    stamp: str,
    endpoint: Endpoint,
    log: list[str],
    messages: list[ChatMessage],
    result: ConversationResult,
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{_slug(conversation.name)}.txt"
    verdict = "PASSED" if result.passed else "FAILED"
    lines = [
        f"# {conversation.name} ({conversation.channel}, {endpoint.where}) {stamp} UTC: {verdict}",
        "",
        "## Steps",
        *log,
        "",
        "## Messages",
        *(format_message(m) for m in messages),
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


async def run_scenario(
    scenario: ScenarioFile, options: RunOptions, reporter: Reporter | None = None
) -> list[ConversationResult]:
    """Run every conversation (``options.parallel`` at a time); results in file order."""
    emulator = None
    info = options.emulator_info
    default_remote = options.base_url or options.environment or options.profile
    needs_local = any(c.target.is_embedded for c in scenario.conversations) and not default_remote
    if needs_local and info is None:
        from webchat_tui.swarm.target import start_embedded

        emulator = await start_embedded(options.time_scale)
        info = emulator.info
    try:
        endpoints = [_endpoint(c, options, info) for c in scenario.conversations]
        gate = asyncio.Semaphore(max(1, options.parallel))

        async def one(conv: Conversation, endpoint: Endpoint) -> ConversationResult:
            async with gate:
                return await run_conversation(conv, endpoint, options.out_dir, reporter)

        return list(
            await asyncio.gather(*(one(c, e) for c, e in zip(scenario.conversations, endpoints, strict=True)))
        )
    finally:
        if emulator is not None:
            await asyncio.to_thread(emulator.stop)


def _endpoint(conv: Conversation, options: RunOptions, info: dict[str, Any] | None) -> Endpoint:
    t = conv.target
    if t.is_embedded and not (options.base_url or options.environment or options.profile):
        assert info is not None
        return resolve_endpoint(conv.channel, deployment=t.deployment, queue=t.queue, emulator_info=info)
    if t.is_embedded:
        return resolve_endpoint(
            conv.channel,
            base_url=options.base_url,
            environment=options.environment,
            profile=options.profile,
            deployment=t.deployment,
            organization=t.organization,
            queue=t.queue,
            origin=t.origin,
        )
    return resolve_endpoint(
        conv.channel,
        base_url=t.base_url,
        environment=t.environment,
        profile=t.profile,
        deployment=t.deployment,
        organization=t.organization,
        queue=t.queue,
        origin=t.origin,
    )
