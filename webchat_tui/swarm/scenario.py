"""Scenario files: the model (`ScenarioFile`, `Conversation`, `Step`) and the validator that reads YAML.

A scenario file holds named conversations, each with a channel, a target, the guest's details and steps.
`load_scenario()` checks everything before anything connects and raises `ScenarioError` listing every problem
as ``file:line:column: message`` (positions from PyYAML's node marks). The step reference is in the README
("Scripted scenarios").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = [
    "CHANNELS",
    "STEP_KINDS",
    "SENDERS",
    "ScenarioError",
    "Problem",
    "Target",
    "Step",
    "Conversation",
    "ScenarioFile",
    "load_scenario",
    "parse_scenario",
]

CHANNELS = ("messaging", "webchat")
SENDERS = ("any", "bot", "agent")
DEFAULT_TIMEOUT = 30.0
STEP_KINDS = (
    "say",
    "expect",
    "expect_quick_replies",
    "choose",
    "pick_date",
    "upload",
    "expect_attachment",
    "expect_agent",
    "expect_typing",
    "wait",
    "expect_ended",
    "leave",
)
_MEMBER_INFO_KEYS = ("display_name", "first_name", "last_name", "email", "phone_number", "avatar_image_url")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a scenario file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ScenarioError(Exception):
    """The scenario file cannot be run; `problems` lists every reason with its position."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True, slots=True)
class Target:
    """Where a conversation goes. Nothing set: the embedded emulator."""

    base_url: str | None = None
    environment: str | None = None
    profile: str | None = None
    deployment: str | None = None
    """Messaging: a deployment id, or on the emulator ``bot`` (default) / ``direct``. Web chat: its id."""
    organization: str | None = None
    queue: str | None = None
    origin: str | None = None

    @property
    def is_embedded(self) -> bool:
        """True when no remote target is named (the run starts its own emulator)."""
        return not (self.base_url or self.environment or self.profile)


@dataclass(frozen=True, slots=True)
class Step:
    """One step: its kind, its arguments (already checked) and where it is in the file."""

    kind: str
    args: dict[str, Any]
    line: int
    column: int

    @property
    def timeout(self) -> float:
        """The step's own timeout (expectations), else the conversation's default (filled in at load)."""
        return float(self.args.get("timeout", DEFAULT_TIMEOUT))

    def describe(self) -> str:
        """A short human description, e.g. ``say "hello"`` or ``expect contains "Hi"``."""
        a = self.args
        if self.kind == "say":
            return f"say {a['text']!r}"
        if self.kind == "expect":
            who = "" if a["from"] == "any" else f" from {a['from']}"
            return f"expect{who} {a['mode']} {a['value']!r}"
        if self.kind == "expect_quick_replies":
            return f"expect_quick_replies {list(a['labels'])}"
        if self.kind == "choose":
            return f"choose {a['label']!r}"
        if self.kind == "pick_date":
            return f"pick_date {a.get('date') or a.get('index')}"
        if self.kind == "upload":
            return f"upload {Path(a['file']).name}"
        if self.kind == "wait":
            return f"wait {a['seconds']}s"
        extra = a.get("name") or a.get("filename")
        return f"{self.kind} {extra!r}" if extra else self.kind


@dataclass(frozen=True, slots=True)
class Conversation:
    """One named conversation of a scenario file."""

    name: str
    channel: str
    target: Target
    member_info: dict[str, str]
    custom_attributes: dict[str, str]
    steps: tuple[Step, ...]
    line: int = 1

    @property
    def display_name(self) -> str:
        """The guest's display name (default ``Scenario guest``)."""
        return self.member_info.get("display_name") or "Scenario guest"


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    """A validated scenario file."""

    path: Path
    conversations: tuple[Conversation, ...]
    base_dir: Path = field(default_factory=Path.cwd)


class _Checker:
    """Walks the composed YAML nodes, collecting problems with their positions."""

    def __init__(self, path: str, base_dir: Path) -> None:
        self.path = path
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def bad(self, node: Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(self.path, mark.line + 1, mark.column + 1, message))

    # --- scalar helpers ---
    def string(self, node: Node, what: str, *, empty_ok: bool = False) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.bad(node, f"{what} must be text")
            return None
        if not node.value.strip() and not empty_ok:
            self.bad(node, f"{what} must not be empty")
            return None
        return str(node.value)

    def number(self, node: Node, what: str, *, minimum: float = 0.0) -> float | None:
        if isinstance(node, ScalarNode) and node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            try:
                value = float(node.value.replace("_", ""))
            except ValueError:
                value = float("nan")
            if value == value and value >= minimum and value != float("inf"):
                return value
        self.bad(node, f"{what} must be a number of seconds >= {minimum:g}")
        return None

    def boolean(self, node: Node, what: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return bool(node.value.lower() in ("true", "yes", "on"))
        self.bad(node, f"{what} must be true or false")
        return None

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.bad(node, f"{what} must be a mapping")
            return None
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            if name is None or name not in allowed:
                self.bad(key, f"unknown key {name!r} in {what} (allowed: {', '.join(allowed)})")
                continue
            if name in out:
                self.bad(key, f"duplicate key {name!r} in {what}")
            out[name] = value
        return out

    def string_map(self, node: Node, what: str) -> dict[str, str]:
        if not isinstance(node, MappingNode):
            self.bad(node, f"{what} must be a mapping of names to text")
            return {}
        out: dict[str, str] = {}
        for key, value in node.value:
            k = self.string(key, f"a key of {what}")
            if not isinstance(value, ScalarNode) or value.tag == "tag:yaml.org,2002:null":
                self.bad(value, f"{what}.{k} must be text")
                continue
            if k is not None:
                out[k] = str(value.value)
        return out

    def timeout(self, fields: dict[str, Node], args: dict[str, Any]) -> None:
        if "timeout" in fields:
            value = self.number(fields["timeout"], "timeout", minimum=0.001)
            if value is not None:
                args["timeout"] = value

    # --- the file ---
    def check_file(self, root: Node | None) -> tuple[Conversation, ...]:
        if root is None:
            self.problems.append(Problem(self.path, 1, 1, "the file is empty (expected `conversations:`)"))
            return ()
        top = self.mapping(root, "the scenario file", ("defaults", "conversations"))
        if top is None:
            return ()
        defaults: dict[str, Node] = {}
        if "defaults" in top:
            defaults = (
                self.mapping(top["defaults"], "defaults", ("channel", "target", "timeout", "member_info"))
                or {}
            )
        convs = top.get("conversations")
        if convs is None:
            self.bad(root, "missing `conversations:` (a list of conversations)")
            return ()
        if not isinstance(convs, SequenceNode) or not convs.value:
            self.bad(convs, "`conversations` must be a non-empty list")
            return ()
        result = []
        names: set[str] = set()
        for node in convs.value:
            conv = self.check_conversation(node, defaults)
            if conv is None:
                continue
            if conv.name in names:
                self.bad(node, f"two conversations are named {conv.name!r}")
            names.add(conv.name)
            result.append(conv)
        return tuple(result)

    def check_conversation(self, node: Node, defaults: dict[str, Node]) -> Conversation | None:
        allowed = ("name", "channel", "target", "timeout", "member_info", "custom_attributes", "steps")
        fields = self.mapping(node, "a conversation", allowed)
        if fields is None:
            return None
        merged = {**defaults, **fields}
        name = self.string(fields["name"], "name") if "name" in fields else None
        if "name" not in fields:
            self.bad(node, "a conversation needs a `name`")
        channel = "messaging"
        if "channel" in merged:
            value = self.string(merged["channel"], "channel")
            if value is not None and value not in CHANNELS:
                self.bad(merged["channel"], f"channel must be one of {', '.join(CHANNELS)} (got {value!r})")
            elif value is not None:
                channel = value
        target = self.check_target(merged["target"]) if "target" in merged else Target()
        timeout = DEFAULT_TIMEOUT
        if "timeout" in merged:
            timeout = self.number(merged["timeout"], "timeout", minimum=0.001) or DEFAULT_TIMEOUT
        member_info: dict[str, str] = {}
        if "member_info" in defaults:
            member_info.update(self.check_member_info(defaults["member_info"]))
        if "member_info" in fields:
            member_info.update(self.check_member_info(fields["member_info"]))
        attributes = (
            self.string_map(fields["custom_attributes"], "custom_attributes")
            if ("custom_attributes" in fields)
            else {}
        )
        steps: list[Step] = []
        if "steps" not in fields:
            self.bad(node, "a conversation needs `steps`")
        elif not isinstance(fields["steps"], SequenceNode) or not fields["steps"].value:
            self.bad(fields["steps"], "`steps` must be a non-empty list")
        else:
            for step_node in fields["steps"].value:
                step = self.check_step(step_node, channel, timeout)
                if step is not None:
                    steps.append(step)
        if name is None:
            return None
        return Conversation(
            name=name,
            channel=channel,
            target=target,
            member_info=member_info,
            custom_attributes=attributes,
            steps=tuple(steps),
            line=node.start_mark.line + 1,
        )

    def check_member_info(self, node: Node) -> dict[str, str]:
        fields = self.mapping(node, "member_info", _MEMBER_INFO_KEYS)
        out: dict[str, str] = {}
        for key, value in (fields or {}).items():
            text = self.string(value, f"member_info.{key}")
            if text is not None:
                out[key] = text
        return out

    def check_target(self, node: Node) -> Target:
        keys = ("base_url", "environment", "profile", "deployment", "organization", "queue", "origin")
        fields = self.mapping(node, "target", keys)
        if fields is None:
            return Target()
        values = {k: self.string(v, f"target.{k}") for k, v in fields.items()}
        where = [k for k in ("base_url", "environment", "profile") if values.get(k)]
        if len(where) > 1:
            self.bad(node, f"give only one of base_url, environment, profile (got {', '.join(where)})")
        base = values.get("base_url")
        if base and not re.match(r"^https?://[^/\s]+", base):
            self.bad(fields["base_url"], f"base_url must be an http:// or https:// URL (got {base!r})")
        return Target(**{k: v for k, v in values.items() if v is not None})

    def check_step(self, node: Node, channel: str, default_timeout: float) -> Step | None:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, ScalarNode):
            kind, value = node.value, None
            at: Node = node
        elif isinstance(node, MappingNode) and len(node.value) == 1:
            key, value = node.value[0]
            kind = key.value if isinstance(key, ScalarNode) else ""
            at = key
        else:
            self.bad(
                node, "a step is one `kind: value` pair (e.g. `- say: hello`) or a bare kind (`- leave`)"
            )
            return None
        if kind not in STEP_KINDS:
            self.bad(at, f"unknown step {kind!r} (steps: {', '.join(STEP_KINDS)})")
            return None
        args = self.check_args(kind, value, node, channel)
        if args is None:
            return None
        args.setdefault("timeout", default_timeout)
        return Step(kind, args, line, column)

    def check_args(self, kind: str, value: Node | None, node: Node, channel: str) -> dict[str, Any] | None:
        bad_count = len(self.problems)
        args: dict[str, Any] = {}
        null = value is None or (isinstance(value, ScalarNode) and value.tag == "tag:yaml.org,2002:null")
        if kind == "say":
            if null or value is None:
                self.bad(node, "say needs the text to send")
            else:
                args["text"] = self.string(value, "say")
        elif kind == "expect":
            self.check_expect(value, node, args)
        elif kind == "expect_quick_replies":
            self.check_quick_replies(value, node, args, channel)
        elif kind == "choose":
            if channel != "messaging":
                self.bad(node, "choose needs channel messaging (Web Chat v2 has no quick replies)")
            if isinstance(value, MappingNode):
                fields = self.mapping(value, "choose", ("label", "timeout")) or {}
                if "label" not in fields:
                    self.bad(value, "choose needs a `label`")
                else:
                    args["label"] = self.string(fields["label"], "choose.label")
                self.timeout(fields, args)
            elif value is None or null:
                self.bad(node, "choose needs the label of a quick reply or button")
            else:
                args["label"] = self.string(value, "choose")
        elif kind == "pick_date":
            self.check_pick_date(value, node, args, channel)
        elif kind == "upload":
            self.check_upload(value, node, args, channel)
        elif kind in ("expect_attachment", "expect_agent"):
            key = "filename" if kind == "expect_attachment" else "name"
            if kind == "expect_attachment" and channel != "messaging":
                self.bad(node, "expect_attachment needs channel messaging (Web Chat v2 has no attachments)")
            if isinstance(value, MappingNode):
                fields = self.mapping(value, kind, (key, "timeout")) or {}
                if key in fields:
                    args[key] = self.string(fields[key], f"{kind}.{key}")
                self.timeout(fields, args)
            elif not null and value is not None:
                args[key] = self.string(value, kind)
        elif kind == "expect_typing":
            if isinstance(value, MappingNode):
                self.timeout(self.mapping(value, kind, ("timeout",)) or {}, args)
            elif not null:
                self.bad(value or node, "expect_typing takes no value or `{timeout: seconds}`")
        elif kind == "expect_ended":
            if isinstance(value, MappingNode):
                fields = self.mapping(value, kind, ("read_only", "timeout")) or {}
                if "read_only" in fields:
                    args["read_only"] = self.boolean(fields["read_only"], "expect_ended.read_only")
                self.timeout(fields, args)
            elif not null:
                self.bad(
                    value or node, "expect_ended takes no value or `{read_only: bool, timeout: seconds}`"
                )
        elif kind == "wait":
            if null or value is None:
                self.bad(node, "wait needs a number of seconds")
            else:
                args["seconds"] = self.number(value, "wait")
        elif kind == "leave" and not null:
            self.bad(value or node, "leave takes no value")
        return args if len(self.problems) == bad_count else None

    def check_expect(self, value: Node | None, node: Node, args: dict[str, Any]) -> None:
        args["from"] = "any"
        if isinstance(value, ScalarNode) and value.tag != "tag:yaml.org,2002:null":
            args["mode"], args["value"] = "contains", self.string(value, "expect")
            return
        if not isinstance(value, MappingNode):
            self.bad(value or node, "expect needs text, or {contains|matches|equals: ..., from:, timeout:}")
            return
        fields = self.mapping(value, "expect", ("contains", "matches", "equals", "from", "timeout")) or {}
        modes = [m for m in ("contains", "matches", "equals") if m in fields]
        if len(modes) != 1:
            self.bad(value, "expect needs exactly one of contains, matches, equals")
        else:
            mode = modes[0]
            text = self.string(fields[mode], f"expect.{mode}")
            args["mode"], args["value"] = mode, text
            if mode == "matches" and text is not None:
                try:
                    re.compile(text)
                except re.error as exc:
                    self.bad(fields[mode], f"expect.matches is not a valid regular expression: {exc}")
        if "from" in fields:
            who = self.string(fields["from"], "expect.from")
            if who is not None and who not in SENDERS:
                self.bad(fields["from"], f"expect.from must be one of {', '.join(SENDERS)} (got {who!r})")
            elif who is not None:
                args["from"] = who
        self.timeout(fields, args)

    def check_labels(self, node: Node, what: str) -> list[str] | None:
        if not isinstance(node, SequenceNode) or not node.value:
            self.bad(node, f"{what} must be a non-empty list of labels")
            return None
        labels = [self.string(item, f"a label of {what}") for item in node.value]
        return [x for x in labels if x is not None]

    def check_quick_replies(self, value: Node | None, node: Node, args: dict[str, Any], channel: str) -> None:
        if channel != "messaging":
            self.bad(node, "expect_quick_replies needs channel messaging (Web Chat v2 has no quick replies)")
        if isinstance(value, MappingNode):
            fields = self.mapping(value, "expect_quick_replies", ("labels", "exact", "timeout")) or {}
            if "labels" not in fields:
                self.bad(value, "expect_quick_replies needs `labels`")
            else:
                args["labels"] = self.check_labels(fields["labels"], "expect_quick_replies.labels")
            if "exact" in fields:
                args["exact"] = self.boolean(fields["exact"], "expect_quick_replies.exact")
            self.timeout(fields, args)
        elif value is None:
            self.bad(node, "expect_quick_replies needs the list of labels")
        else:
            args["labels"] = self.check_labels(value, "expect_quick_replies")

    def check_pick_date(self, value: Node | None, node: Node, args: dict[str, Any], channel: str) -> None:
        if channel != "messaging":
            self.bad(node, "pick_date needs channel messaging (Web Chat v2 has no date pickers)")
        fields: dict[str, Node] = {}
        if isinstance(value, MappingNode):
            fields = self.mapping(value, "pick_date", ("index", "date", "timeout")) or {}
            self.timeout(fields, args)
        elif value is not None:
            fields = {"_": value}
        if not fields or set(fields) <= {"timeout"}:
            self.bad(value or node, "pick_date needs `first`, a 1-based slot number, or a date (YYYY-MM-DD)")
            return
        for key, item in fields.items():
            if key == "timeout" or not isinstance(item, ScalarNode):
                continue
            text = item.value
            if text == "first" or (item.tag == "tag:yaml.org,2002:int" and key in ("_", "index")):
                index = 1 if text == "first" else int(text)
                if index < 1:
                    self.bad(item, "pick_date slot numbers start at 1")
                args["index"] = index
            elif _DATE.match(text) and key in ("_", "date"):
                args["date"] = text
            else:
                self.bad(item, f"pick_date needs `first`, a slot number, or a date YYYY-MM-DD (got {text!r})")

    def check_upload(self, value: Node | None, node: Node, args: dict[str, Any], channel: str) -> None:
        if channel != "messaging":
            self.bad(node, "upload needs channel messaging (Web Chat v2 has no attachments)")
        file_node: Node | None = None
        if isinstance(value, MappingNode):
            fields = self.mapping(value, "upload", ("file", "text", "timeout")) or {}
            file_node = fields.get("file")
            if "text" in fields:
                args["text"] = self.string(fields["text"], "upload.text", empty_ok=True)
            self.timeout(fields, args)
        elif value is not None:
            file_node = value
        if file_node is None:
            self.bad(value or node, "upload needs a file (a path relative to the scenario file)")
            return
        name = self.string(file_node, "upload.file")
        if name is None:
            return
        path = (self.base_dir / name).resolve()
        if not path.is_file():
            self.bad(file_node, f"upload: no such file {str(path)!r}")
        args["file"] = str(path)


def parse_scenario(text: str, path: str = "<scenario>", base_dir: Path | None = None) -> ScenarioFile:
    """Validate scenario YAML text; raises `ScenarioError` with every problem (file:line:column)."""
    base = base_dir or Path.cwd()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = exc.problem or exc.context or "not valid YAML"
        raise ScenarioError([Problem(path, line, column, f"not valid YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(path, 1, 1, f"not valid YAML: {exc}")]) from None
    checker = _Checker(path, base)
    conversations = checker.check_file(root)
    if checker.problems:
        raise ScenarioError(checker.problems)
    return ScenarioFile(Path(path), conversations, base)


def load_scenario(path: Path) -> ScenarioFile:
    """Read and validate a scenario file (paths inside it are relative to its folder)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(str(path), 1, 1, f"cannot read the file: {exc}")]) from None
    return parse_scenario(text, str(path), path.parent)
