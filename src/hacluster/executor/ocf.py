"""The resource agent contract: agent names, environments, exit codes and meta-data.

Owns how one OpRequest becomes the environment (OCF) or stdin (fence agents) an agent
sees, what an agent's exit code means per class (OCF, LSB, stonith), the `ocf-exit-reason:`
lines, and the parsing of an agent's meta-data XML. Pure: it never runs anything nor reads
a file. Follows the OCF Resource Agent API 1.1 and Pacemaker Explained ("Resource Agents",
"OCF Return Codes": timeout and interval reach agents in milliseconds).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType

from hacluster.common import parse_duration_ms
from hacluster.events import OpRequest


class OCFRc(IntEnum):
    """OCF exit codes (plus Pacemaker's degraded ones); anything else is unknown."""

    SUCCESS = 0
    ERR_GENERIC = 1
    ERR_ARGS = 2
    ERR_UNIMPLEMENTED = 3
    ERR_PERM = 4
    ERR_INSTALLED = 5
    ERR_CONFIGURED = 6
    NOT_RUNNING = 7
    RUNNING_PROMOTED = 8
    FAILED_PROMOTED = 9
    DEGRADED = 190
    DEGRADED_PROMOTED = 191


class OpStatus(IntEnum):
    """Pacemaker's execution status of an operation (op-status in lrm_rsc_op)."""

    DONE = 0
    CANCELLED = 1
    TIMEOUT = 2
    NOT_SUPPORTED = 3
    ERROR = 4
    NOT_INSTALLED = 5
    NOT_CONNECTED = 6
    INVALID = 7


RC_MEANINGS = MappingProxyType({
    OCFRc.SUCCESS: "ok",
    OCFRc.ERR_GENERIC: "error",
    OCFRc.ERR_ARGS: "invalid parameter",
    OCFRc.ERR_UNIMPLEMENTED: "unimplemented feature",
    OCFRc.ERR_PERM: "insufficient privileges",
    OCFRc.ERR_INSTALLED: "not installed",
    OCFRc.ERR_CONFIGURED: "not configured",
    OCFRc.NOT_RUNNING: "not running",
    OCFRc.RUNNING_PROMOTED: "promoted",
    OCFRc.FAILED_PROMOTED: "promoted (failed)",
    OCFRc.DEGRADED: "OCF_DEGRADED",
    OCFRc.DEGRADED_PROMOTED: "promoted (degraded)",
})
AGENT_CLASSES = ("ocf", "lsb", "stonith")
EXIT_REASON_PREFIX = "ocf-exit-reason:"


def rc_meaning(rc: int) -> str:
    """Pacemaker's words for an OCF rc ("not running"), or "unknown exit code N"."""
    try:
        return RC_MEANINGS[OCFRc(rc)]
    except ValueError:
        return f"unknown exit code {rc}"


def is_known_rc(rc: int) -> bool:
    return rc in OCFRc._value2member_map_


def agent_name(op: OpRequest) -> str:
    """The name the agent runner resolves: "ocf:<provider>:<type>", "lsb:<type>"..."""
    if op.rsc_class == "ocf":
        return f"ocf:{op.provider}:{op.agent_type}"
    return f"{op.rsc_class}:{op.agent_type}"


def is_valid_name_part(part: str) -> bool:
    """A provider or type names one file in one directory: no path tricks."""
    return bool(part) and "/" not in part and part not in (".", "..") and "\0" not in part


def agent_action(op: OpRequest) -> str:
    """The action word on the agent's command line (LSB scripts know "status", not
    "monitor"; fence agents get theirs on stdin and the runner ignores this)."""
    if op.rsc_class == "lsb" and op.action == "monitor":
        return "status"
    return op.action


def ocf_environment(op: OpRequest, node_name: str, rsctmp_dir: str) -> tuple[tuple[str, str], ...]:
    """The OCF variables for `op`: instance, type, provider, parameters, meta
    attributes (timeout/interval in ms as Pacemaker passes them) and this node's own
    HA_RSCTMP so that agents of several nodes on one host never share state files.
    OCF_ROOT is the runner's to set: only it knows where the agent was found."""
    env: dict[str, str] = {
        "OCF_RA_VERSION_MAJOR": "1",
        "OCF_RA_VERSION_MINOR": "1",
        "OCF_RESOURCE_INSTANCE": op.rsc_id,
        "OCF_RESOURCE_TYPE": op.agent_type,
        "OCF_RESOURCE_PROVIDER": op.provider,
        "HA_RSCTMP": rsctmp_dir,
        "OCF_RESKEY_crm_feature_set": "3.16.2",
    }
    for name, value in op.params:
        env[f"OCF_RESKEY_{name}"] = value
    meta = dict(op.meta)
    meta["timeout"] = str(op.timeout_ms)
    meta["interval"] = str(op.interval_ms)
    meta.setdefault("on_node", node_name)
    meta.setdefault("name", op.action)
    for name, value in sorted(meta.items()):
        env[f"OCF_RESKEY_CRM_meta_{name.replace('-', '_')}"] = value
    return tuple(sorted(env.items()))


def stonith_stdin(action: str, params: tuple[tuple[str, str], ...],
                  extra: tuple[tuple[str, str], ...] = ()) -> str:
    """The fence-agents protocol: key=value lines on stdin, `action` first. Pacemaker's
    own pcmk_* parameters are for the fencer, never for the agent."""
    lines = [f"action={action}"]
    for name, value in list(params) + list(extra):
        if name.startswith("pcmk_") or name == "action":
            continue
        assert "\n" not in name, f"parameter name {name!r} spans lines"
        lines.append(f"{name}={value.replace(chr(10), ' ')}")
    return "\n".join(lines) + "\n"


def lsb_rc_to_ocf(action: str, rc: int) -> int:
    """LSB init scripts: "status" 0 running, 1-3 not running, 4 unknown (LSB 3.0 20.2);
    other actions 0 success, anything else an error."""
    if action in ("monitor", "status"):
        if rc == 0:
            return OCFRc.SUCCESS
        return OCFRc.NOT_RUNNING if rc in (1, 2, 3) else OCFRc.ERR_GENERIC
    return OCFRc.SUCCESS if rc == 0 else OCFRc.ERR_GENERIC


def stonith_rc_to_ocf(action: str, rc: int) -> int:
    """Fence agents: 0 success; for "status"/"monitor" 2 means off (not running)."""
    if rc == 0:
        return OCFRc.SUCCESS
    if action in ("status", "monitor") and rc == 2:
        return OCFRc.NOT_RUNNING
    return OCFRc.ERR_GENERIC


def exit_reason(output: str) -> str:
    """The last `ocf-exit-reason:` line an agent printed (OCF 1.1 "Exit reason")."""
    reason = ""
    for line in output.splitlines():
        at = line.find(EXIT_REASON_PREFIX)
        if at >= 0:
            reason = line[at + len(EXIT_REASON_PREFIX):].strip()
    return reason[:256]


# ------------------------------------------------------------------------- meta-data


@dataclass(frozen=True, slots=True)
class ParameterInfo:
    name: str
    required: bool
    unique: bool
    content_type: str
    default: str | None
    shortdesc: str


@dataclass(frozen=True, slots=True)
class ActionInfo:
    name: str
    timeout_ms: int | None
    interval_ms: int | None
    role: str = ""
    depth: str = ""


@dataclass(frozen=True, slots=True)
class AgentMetadata:
    name: str
    version: str
    shortdesc: str
    parameters: tuple[ParameterInfo, ...]
    actions: tuple[ActionInfo, ...]

    def has_action(self, name: str) -> bool:
        return any(action.name == name for action in self.actions)


class MetadataError(ValueError):
    """The agent's meta-data is not the XML the OCF API describes."""


def parse_metadata(xml_text: str) -> AgentMetadata:
    """The parameters and actions an agent declares; MetadataError on garbage."""
    try:
        root = ET.fromstring(xml_text.strip())
    except ET.ParseError as error:
        raise MetadataError(f"meta-data is not XML: {error}") from None
    if root.tag != "resource-agent":
        raise MetadataError(f"meta-data root is <{root.tag}>, not <resource-agent>")
    parameters = []
    for param in root.findall("./parameters/parameter"):
        content = param.find("content")
        parameters.append(ParameterInfo(
            name=param.get("name", ""),
            required=param.get("required", "0") in ("1", "true"),
            unique=param.get("unique", "0") in ("1", "true"),
            content_type=content.get("type", "string") if content is not None else "string",
            default=content.get("default") if content is not None else None,
            shortdesc=(param.findtext("shortdesc") or "").strip()))
    actions = tuple(
        ActionInfo(name=action.get("name", ""),
                   timeout_ms=parse_duration_ms(action.get("timeout")),
                   interval_ms=parse_duration_ms(action.get("interval")),
                   role=action.get("role", ""), depth=action.get("depth", ""))
        for action in root.findall("./actions/action"))
    return AgentMetadata(name=root.get("name", ""), version=root.findtext("version") or "",
                         shortdesc=(root.findtext("shortdesc") or "").strip(),
                         parameters=tuple(parameters), actions=actions)
