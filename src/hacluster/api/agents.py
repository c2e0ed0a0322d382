"""Resource agent names and meta-data, as `pcs resource create` uses them.

Owns parsing "class:provider:type" (and the short "type" form pcs resolves to
ocf:heartbeat / ocf:pacemaker), the OCF meta-data XML (parameters, required ones, actions)
and the default operations pcs derives from it: every advertised action except meta-data,
validate-all and status, with its interval (0s unless given) and timeout.
Spec: OCF Resource Agent API 1.1, "Metadata". Must never run agents: api/env.py does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hacluster.cib import XMLElement, parse_xml
from hacluster.common import HaError

_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*>")
NON_OPERATIONS = frozenset({"meta-data", "validate-all", "status", "usage", "methods"})
CLASSES_WITH_PROVIDER = frozenset({"ocf"})
SHORT_NAME_PROVIDERS = ("heartbeat", "pacemaker")


@dataclass(frozen=True, slots=True)
class AgentName:
    standard: str
    provider: str
    type: str

    def __str__(self) -> str:
        if self.provider:
            return f"{self.standard}:{self.provider}:{self.type}"
        return f"{self.standard}:{self.type}"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    required: bool
    default: str | None


@dataclass(frozen=True, slots=True)
class AgentMetadata:
    name: AgentName
    parameters: tuple[Parameter, ...]
    actions: tuple[tuple[tuple[str, str], ...], ...]  # each action's attributes, in order
    version: str = "1.0"  # the OCF version the meta-data declares (1.0 when it says none)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def provides_promotability(self) -> bool:
        """Only an agent with both promote and demote actions can run promoted."""
        names = {dict(action).get("name") for action in self.actions}
        return {"promote", "demote"} <= names

    def default_operations(self) -> list[dict[str, str]]:
        """The operations pcs adds for a new resource: one per advertised action."""
        ops: list[dict[str, str]] = []
        for attrs in self.actions:
            action = dict(attrs)
            name = action.get("name", "")
            if not name or name in NON_OPERATIONS:
                continue
            op = {"name": name, "interval": action.get("interval", "0s")}
            for key in ("timeout", "role"):
                if key in action:
                    op[key] = action[key]
            ops.append(op)
        return ops


def parse_agent_name(text: str) -> AgentName | None:
    """"ocf:heartbeat:IPaddr2", "systemd:foo", "stonith:fence_x"; None when malformed.
    A bare "IPaddr2" comes back with an empty standard for the caller to resolve."""
    parts = text.split(":")
    if len(parts) == 3 and all(parts):
        return AgentName(parts[0], parts[1], parts[2])
    if len(parts) == 2 and all(parts) and parts[0] not in CLASSES_WITH_PROVIDER:
        return AgentName(parts[0], "", parts[1])
    if len(parts) == 1 and parts[0]:
        return AgentName("", "", parts[0])
    return None


def parse_metadata(name: AgentName, text: str) -> AgentMetadata | None:
    """The parts of an agent's meta-data pcs uses; None when it is not meta-data at all."""
    # Agents declare the OCF DTD; a plain external DOCTYPE carries nothing we need, and the
    # safe parser refuses any DOCTYPE, so it is dropped (an internal subset is not).
    text = _DOCTYPE.sub("", text, count=1)
    try:
        root = parse_xml(text)
    except HaError:
        return None
    if root.tag != "resource-agent":
        return None
    parameters = tuple(_parameter(p) for p in root.iterfind("parameters/parameter")
                       if p.get("name"))
    actions = tuple(tuple((str(k), str(v)) for k, v in a.attrib.items())
                    for a in root.iterfind("actions/action"))
    version = (root.findtext("version") or "1.0").strip()
    return AgentMetadata(name, parameters, actions, version)


def _parameter(element: XMLElement) -> Parameter:
    content = element.find("content")
    default = content.get("default") if content is not None else None
    return Parameter(str(element.get("name")), element.get("required") in ("1", "true"),
                     default)
