"""The OCF resource-agent contract, agent side: exit codes, environment, meta-data, dispatch.

Owns what every shipped agent shares about OCF (SPEC.md §5, the OCF RA API 1.0): the rc
values, reading OCF_RESKEY_* parameters (with their meta-data defaults) and CRM_meta_* op
properties, rendering meta-data XML with the ra-api-1.dtd DOCTYPE, and running one action
with the validation rules below. An agent fails by raising AgentError(rc, message); the
message names the parameter or binary at fault and goes to stderr. Standard library only.

One home for the agents' side: the agents run on /usr/bin/python3 outside the package's
environment and never import the rest of hacluster (hacluster.agents' rule), so Pacemaker's
boolean words (TRUE_WORDS, FALSE_WORDS: crm_is_true's true/on/yes/y/1 and their opposites)
are spelled here once more for every agent and agent-side helper (standin_daemon, run as a
bare file, holds the third copy). hacluster.common.values is their home for the rest of
the package; tests/unit/test_agent_words.py pins all three sets equal, so they cannot drift.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from xml.sax.saxutils import escape, quoteattr


class Rc(IntEnum):
    SUCCESS = 0
    ERR_GENERIC = 1
    ERR_ARGS = 2
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5
    ERR_CONFIGURED = 6
    NOT_RUNNING = 7
    RUNNING_MASTER = 8
    FAILED_MASTER = 9


class AgentError(Exception):
    """Ends the action with `rc`; `message` says what is wrong (a parameter, a binary...)."""

    def __init__(self, rc: Rc, message: str) -> None:
        super().__init__(message)
        self.rc = rc
        self.message = message


@dataclass(frozen=True)
class Parameter:
    name: str
    shortdesc: str
    longdesc: str = ""
    content: str = "string"  # string | integer | boolean
    default: str = ""
    required: bool = False
    unique: bool = False


@dataclass(frozen=True)
class Action:
    name: str
    timeout_s: int
    interval_s: int | None = None
    depth: int | None = None


STANDARD_ACTIONS = (Action("start", 20), Action("stop", 20), Action("monitor", 20, 10, 0),
                    Action("meta-data", 5), Action("validate-all", 20))


@dataclass(frozen=True)
class AgentInfo:
    name: str
    shortdesc: str
    longdesc: str
    parameters: tuple[Parameter, ...]
    actions: tuple[Action, ...] = STANDARD_ACTIONS
    version: str = "1.0"

    def parameter(self, name: str) -> Parameter:
        for parameter in self.parameters:
            if parameter.name == name:
                return parameter
        raise KeyError(name)


def meta_data_xml(info: AgentInfo) -> str:
    """The meta-data document; it must pass `xmllint --valid` against ra-api-1.dtd."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">',
             f"<resource-agent name={quoteattr(info.name)} version={quoteattr(info.version)}>",
             f"<version>{escape(info.version)}</version>",
             f'<longdesc lang="en">{escape(info.longdesc)}</longdesc>',
             f'<shortdesc lang="en">{escape(info.shortdesc)}</shortdesc>', "<parameters>"]
    for p in info.parameters:
        lines += [f'<parameter name={quoteattr(p.name)} unique="{int(p.unique)}"'
                  f' required="{int(p.required)}">',
                  f'<longdesc lang="en">{escape(p.longdesc or p.shortdesc)}</longdesc>',
                  f'<shortdesc lang="en">{escape(p.shortdesc)}</shortdesc>',
                  f"<content type={quoteattr(p.content)} default={quoteattr(p.default)}/>",
                  "</parameter>"]
    lines += ["</parameters>", "<actions>"]
    for a in info.actions:
        extra = "" if a.interval_s is None else f' interval="{a.interval_s}s"'
        extra += "" if a.depth is None else f' depth="{a.depth}"'
        lines.append(f'<action name="{a.name}" timeout="{a.timeout_s}s"{extra}/>')
    lines += ["</actions>", "</resource-agent>"]
    return "\n".join(lines) + "\n"


TRUE_WORDS = frozenset({"true", "on", "yes", "y", "1"})  # pinned to hacluster.common.values
FALSE_WORDS = frozenset({"false", "off", "no", "n", "0"})
BOOLEAN_WORDS = TRUE_WORDS | FALSE_WORDS


def is_true(value: str) -> bool:
    """Pacemaker's true words (true/on/yes/y/1), case-insensitive."""
    return value.strip().lower() in TRUE_WORDS


@dataclass(frozen=True)
class Env:
    """What the cluster told this agent run: action, instance, parameters, op properties."""

    info: AgentInfo
    action: str
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def instance(self) -> str:
        return self.environ.get("OCF_RESOURCE_INSTANCE", self.info.name)

    @property
    def instance_base(self) -> str:
        """The instance without a clone suffix (`p_x:1` -> `p_x`)."""
        return self.instance.split(":")[0]

    def param(self, name: str) -> str:
        """OCF_RESKEY_<name>, or the meta-data default when unset."""
        value = self.environ.get(f"OCF_RESKEY_{name}")
        return self.info.parameter(name).default if value is None else value

    def meta(self, name: str, default: str = "") -> str:
        return self.environ.get(f"OCF_RESKEY_CRM_meta_{name}", default)

    def timeout_ms(self, default_ms: int = 20_000) -> int:
        value = self.meta("timeout")
        return int(value) if value.isdigit() else default_ms

    def is_probe(self) -> bool:
        """A monitor with interval 0 (the cluster's one-off look, not a recurring check)."""
        return self.action == "monitor" and self.meta("interval") == "0"

    def state_dir(self) -> str:
        """$HA_RSCTMP/<agent>: where pid and state files live (/run/resource-agents/<agent>)."""
        base = self.environ.get("HA_RSCTMP") or "/run/resource-agents"
        return os.path.join(base, self.info.name)


def start_wait_s(env: Env, floor_s: float = 60.0) -> float:
    """How long a start waits for its service to come up: the op timeout less 5 s, but at
    least `floor_s`. A start has no deadline of its own (SPEC.md §6: the cluster's op timeout
    ends one that is too slow); the floor gives a slow host a chance under callers whose
    timeout is nominal (ocf-tester always says 20 s)."""
    return max(env.timeout_ms() / 1000 - 5, floor_s)


def require(env: Env, name: str) -> str:
    """The parameter's value; empty or unset is a configuration error that names it."""
    value = env.param(name).strip()
    if not value:
        raise AgentError(Rc.ERR_CONFIGURED, f"parameter {name} is required")
    return value


def integer(env: Env, name: str, minimum: int = 0) -> int:
    value = env.param(name).strip()
    if not value.lstrip("-").isdigit() or int(value) < minimum:
        raise AgentError(Rc.ERR_CONFIGURED,
                         f"parameter {name}={value!r} is not an integer >= {minimum}")
    return int(value)


def duration_s(env: Env, name: str) -> float:
    """A duration parameter: '30s', '500ms', '2m' or a number of seconds."""
    value = env.param(name).strip().lower()
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("", 1.0)):
        number = value[: len(value) - len(suffix)] if suffix else value
        if value.endswith(suffix) and number.replace(".", "", 1).isdigit():
            return float(number) * factor
    raise AgentError(Rc.ERR_CONFIGURED, f"parameter {name}={value!r} is not a duration")


def find_binary(env: Env, name: str) -> str:
    """The absolute path of a binary (a path or a name on PATH), else ERR_INSTALLED naming it."""
    if env.environ.get("OCF_TESTER_FAIL_HAVE_BINARY") == "1":
        raise AgentError(Rc.ERR_INSTALLED, f"binary {name} not found (ocf-tester pretends so)")
    found = shutil.which(name, path=env.environ.get("PATH", os.defpath))
    if found is None:
        raise AgentError(Rc.ERR_INSTALLED, f"binary {name} not found or not executable")
    return found


def log(env: Env, level: str, message: str) -> None:
    """One line on stderr (the executor keeps the tail), prefixed as ocf_log does."""
    sys.stderr.write(f"{env.info.name}({env.instance})[{os.getpid()}]: {level}: {message}\n")
    sys.stderr.flush()


def wait_for(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.2) -> bool:
    """Poll `predicate` until it is true (True) or `timeout_s` passes (False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


Handler = Callable[[Env], int]


@dataclass(frozen=True)
class Agent:
    """An agent: its meta-data, its validation, and one handler per action it implements."""

    info: AgentInfo
    validate: Handler
    handlers: Mapping[str, Handler]


def dispatch(agent: Agent, env: Env) -> int:
    """Run one action. A validation problem ends start/validate-all/... with its rc; a
    monitor then reports 7 (nothing valid can run; a probe must not fail), and a stop with a
    bad configuration succeeds (it cannot have been started), but a missing binary does not
    stop a stop: it still cleans up by pid file."""
    action = env.action
    if action in ("meta-data", "usage", "help"):
        sys.stdout.write(meta_data_xml(agent.info))
        return Rc.SUCCESS
    handler = agent.handlers.get("monitor" if action == "status" else action)
    if action != "validate-all" and handler is None:
        log(env, "ERROR", f"action {action!r} is not implemented")
        return Rc.ERR_UNIMPLEMENTED
    try:
        agent.validate(env)
    except AgentError as error:
        if action == "monitor":
            log(env, "INFO" if env.is_probe() else "ERROR", error.message)
            return Rc.NOT_RUNNING
        if action != "stop" or error.rc != Rc.ERR_INSTALLED:
            log(env, "INFO" if action == "stop" else "ERROR", error.message)
            return Rc.SUCCESS if action == "stop" else error.rc
    if handler is None:
        return Rc.SUCCESS
    return handler(env)


def main(agent: Agent, argv: Sequence[str] | None = None) -> int:
    """The agent's entry point: exactly one argument, the action."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write(f"usage: {agent.info.name} <action>  (start, stop, monitor, meta-data,"
                         " validate-all)\n")
        return Rc.ERR_ARGS
    env = Env(agent.info, args[0])
    try:
        return int(dispatch(agent, env))
    except AgentError as error:
        log(env, "ERROR", error.message)
        return int(error.rc)
    except Exception as error:  # noqa: BLE001 - an agent bug is a generic failure, not a trace
        log(env, "ERROR", f"internal error during {env.action}: {type(error).__name__}: {error}")
        return Rc.ERR_GENERIC
