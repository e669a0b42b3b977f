"""Locust user class: our guests (the same `Session`s as the app and the swarm) as Locust users.

    locust -f webchat_tui/swarm/locust.py --headless -u 100 -r 10 -t 60s --host http://127.0.0.1:8765
    locust -f webchat_tui/swarm/locust.py --master ...   and on each machine:   ... --worker --master-host H

Locust runs users as gevent greenlets; our sessions are asyncio. Each Locust process runs one asyncio event
loop on a real OS thread of its own (`GuestLoop`); a user greenlet hands it coroutines and waits for them
cooperatively, then reports into Locust's statistics (on the greenlet, where Locust expects it):

- ``connect``: open and start the guest's session (name ``<channel> connect @<process>``: one row per Locust
  process, so a distributed run shows every worker's guests);
- ``send``: ``send()`` until the service took the line (Web Messaging: its echo; Web Chat v2: the POST);
- ``delivery``: until the line was back in the guest's own transcript (its echo on the event stream).

Settings: Locust's ``--host`` (a base URL) or these options, each defaulting to an environment variable:
``--webchat-channel`` (WEBCHAT_CHANNEL: messaging|webchat), ``--webchat-base-url`` (WEBCHAT_BASE_URL),
``--webchat-environment`` (WEBCHAT_ENVIRONMENT, a Genesys Cloud region), ``--webchat-deployment``
(WEBCHAT_DEPLOYMENT; on the emulator ``bot`` or ``direct``), ``--webchat-organization`` (WEBCHAT_ORGANIZATION,
Web Chat v2), ``--webchat-queue`` (WEBCHAT_QUEUE), ``--webchat-say-every`` (WEBCHAT_SAY_EVERY seconds, default
5), ``--webchat-emulator-token`` (WEBCHAT_EMULATOR_TOKEN: the emulator's control token, to read its ids).
More than 5 users per process against a target that is not local needs WEBCHAT_ALLOW_REAL_ENVIRONMENT=1.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import random
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import gevent  # type: ignore[import-untyped]
from gevent import monkey
from locust import User, constant_pacing, events, task
from locust.env import Environment

from webchat_tui.chat.types import MessagesAdded, SessionEvent
from webchat_tui.swarm.names import random_line, random_name
from webchat_tui.swarm.swarm import SafetyError, check_safety
from webchat_tui.swarm.target import Endpoint, Guest, OpenedSession, open_session, resolve_endpoint

__all__ = ["ChatGuest", "GuestLoop"]

T = TypeVar("T")
_POLL_S = 0.005


class _Inline(concurrent.futures.ThreadPoolExecutor):
    """The loop's executor (getaddrinfo): runs the call at once. A thread pool would start gevent-patched
    "threads", greenlets of a hub that never runs on the loop's thread."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


class _Call:
    """A coroutine handed to the loop; plain attributes (no locks: gevent's are not for native threads)."""

    __slots__ = ("done", "result", "error", "task")

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None
        self.task: asyncio.Task[None] | None = None


class GuestLoop:
    """One asyncio event loop on a real OS thread (not a greenlet) per Locust process, with the selector
    gevent replaced (the original epoll one), so the loop never waits on a gevent hub."""

    _instance: GuestLoop | None = None

    def __init__(self) -> None:
        selector = monkey.get_original("selectors", "DefaultSelector")()
        self.loop = asyncio.SelectorEventLoop(selector)
        self.loop.set_default_executor(_Inline())
        start_thread = monkey.get_original("_thread", "start_new_thread")
        self._ready = False

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.call_soon(setattr, self, "_ready", True)
            self.loop.run_forever()

        start_thread(serve, ())
        while not self._ready:
            gevent.sleep(_POLL_S)

    @classmethod
    def get(cls) -> GuestLoop:
        """The process's loop, started on first use."""
        if cls._instance is None:
            cls._instance = GuestLoop()
        return cls._instance

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        """Run ``coro`` on the loop; the calling greenlet yields to others while it waits."""
        call = _Call()

        async def wrapper() -> None:
            try:
                call.result = await coro
            except BaseException as exc:
                call.error = exc
            finally:
                call.done = True

        def spawn() -> None:
            call.task = self.loop.create_task(wrapper())

        self.loop.call_soon_threadsafe(spawn)
        deadline = time.monotonic() + timeout
        while not call.done:
            if time.monotonic() > deadline:
                self.loop.call_soon_threadsafe(lambda: call.task.cancel() if call.task else None)
                raise TimeoutError(f"no answer within {timeout:g} s")
            gevent.sleep(_POLL_S)
        if call.error is not None:
            raise call.error
        result: T = call.result
        return result


def _setting(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"WEBCHAT_{name.upper()}", default)


def _options(parser: Any) -> None:
    group = parser.add_argument_group("webchat-tui guests")
    for name, default, text in (
        ("channel", "messaging", "messaging or webchat"),
        ("base-url", None, "base URL of the service or emulator (or Locust's --host)"),
        ("environment", None, "Genesys Cloud region, e.g. mypurecloud.ie"),
        ("deployment", None, "deployment id (on the emulator: bot or direct)"),
        ("organization", None, "organization id (Web Chat v2)"),
        ("queue", None, "queue (Web Chat v2)"),
        ("say-every", "5", "seconds between a guest's lines"),
        ("emulator-token", None, "the emulator's control token (reads its seeded ids)"),
    ):
        env = name.replace("-", "_")
        group.add_argument(
            f"--webchat-{name}", default=_setting(env, default), help=f"{text} (WEBCHAT_{env.upper()})"
        )


events.init_command_line_parser.add_listener(_options)  # type: ignore[no-untyped-call]


def _endpoint(environment: Environment, host: str | None) -> Endpoint:
    options = environment.parsed_options

    def get(name: str) -> str | None:
        value = getattr(options, f"webchat_{name}", None) if options is not None else None
        return str(value) if value else None

    channel = get("channel") or _setting("channel", "messaging") or "messaging"
    base_url = get("base_url") or _setting("base_url") or host or None
    token = get("emulator_token") or _setting("emulator_token")
    info: dict[str, Any] | None = None
    if base_url and token:
        from webchat_tui.emulator.control_client import ControlClient

        with ControlClient(base_url, token) as control:
            info = {**control.info(), "base_url": base_url, "control_token": token}
    deployment = get("deployment") or _setting("deployment")
    if info is not None and deployment is None and channel == "messaging":
        deployment = "direct"
    return resolve_endpoint(
        channel,
        base_url=base_url,
        environment=get("environment") or _setting("environment"),
        deployment=deployment,
        organization=get("organization") or _setting("organization"),
        queue=get("queue") or _setting("queue"),
        emulator_info=info,
    )


class ChatGuest(User):
    """A guest who connects, says a random line every ``--webchat-say-every`` s, and leaves at the end."""

    _endpoint: Endpoint | None = None
    _users = 0
    _process = f"{os.getpid()}"

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        say_every = float(
            getattr(environment.parsed_options, "webchat_say_every", None) or _setting("say_every", "5") or 5
        )
        self._pacing = constant_pacing(say_every)
        self.say_every = say_every
        self.rng = random.Random()
        self.opened: OpenedSession | None = None
        self.seq = 0
        self.echoes: dict[str, asyncio.Future[float]] = {}
        """Lines said and not yet back: resolved with the time they came back (on the asyncio thread)."""
        self.loop = GuestLoop.get()

    def wait_time(self) -> float:
        """One line every ``say_every`` seconds (Locust's constant pacing)."""
        return float(self._pacing(self))

    def _fire(
        self, kind: str, name: str, started: float, ms: float, error: BaseException | None = None
    ) -> None:
        self.environment.events.request.fire(
            request_type=kind,
            name=name,
            response_time=ms,
            response_length=0,
            exception=error,
            context={},
            start_time=started,
            url=None,
        )

    def on_start(self) -> None:
        """Resolve the target once per process, then connect this guest."""
        cls = type(self)
        if cls._endpoint is None:
            cls._endpoint = _endpoint(self.environment, self.host)
        endpoint = cls._endpoint
        cls._users += 1
        allow = os.environ.get("WEBCHAT_ALLOW_REAL_ENVIRONMENT") == "1"
        check_safety(endpoint, cls._users, self.say_every, allow)
        name = f"{endpoint.channel} connect @{cls._process}"
        started = time.time()
        try:
            ms, opened = self.loop.run(self._connect(endpoint))
        except SafetyError:
            raise
        except Exception as exc:
            self._fire("connect", name, started, (time.time() - started) * 1000, exc)
            raise
        self.opened = opened
        self._fire("connect", name, started, ms)

    async def _connect(self, endpoint: Endpoint) -> tuple[float, OpenedSession]:
        t0 = time.perf_counter()
        opened = await open_session(endpoint, Guest(random_name(self.rng)), fetch_config=False)
        opened.session.subscribe(self._on_event)
        return (time.perf_counter() - t0) * 1000, opened

    def _on_event(self, event: SessionEvent) -> None:  # on the asyncio thread
        if isinstance(event, MessagesAdded):
            now = time.perf_counter()
            for message in event.messages:
                waiter = self.echoes.get(message.body) if message.is_own else None
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)

    @task
    def say(self) -> None:
        """Say one line; report send and delivery."""
        if self.opened is None:
            return
        self.seq += 1
        text = f"{random_line(self.rng)} #{self._process}.{id(self)}.{self.seq}"
        channel = self.opened.channel
        started = time.time()
        try:
            send_ms, delivery_ms = self.loop.run(self._say(text))
        except Exception as exc:
            self._fire("send", f"{channel} send", started, (time.time() - started) * 1000, exc)
            return
        self._fire("send", f"{channel} send", started, send_ms)
        if delivery_ms is None:
            error = TimeoutError("the line did not come back on the event stream")
            self._fire("delivery", f"{channel} delivery", started, send_ms, error)
        else:
            self._fire("delivery", f"{channel} delivery", started, delivery_ms)

    async def _say(self, text: str) -> tuple[float, float | None]:
        assert self.opened is not None
        waiter = asyncio.get_running_loop().create_future()
        self.echoes[text] = waiter
        t0 = time.perf_counter()
        try:
            await self.opened.session.send(text)
            send_ms = (time.perf_counter() - t0) * 1000
            try:
                back = await asyncio.wait_for(asyncio.shield(waiter), 30)
            except TimeoutError:
                return send_ms, None
            return send_ms, (back - t0) * 1000
        finally:
            self.echoes.pop(text, None)

    def on_stop(self) -> None:
        """Leave the conversation."""
        if self.opened is not None:
            opened, self.opened = self.opened, None
            try:
                self.loop.run(self._leave(opened), timeout=30)
            except Exception:
                pass

    async def _leave(self, opened: OpenedSession) -> None:
        try:
            await asyncio.wait_for(opened.session.leave(), 15)
        finally:
            await opened.close()
