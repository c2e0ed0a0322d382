"""Node attribute commands (attrd_updater): set, delete and query node attributes.

Owns what attrd_updater does once its options are parsed: on the live cluster the request
goes to the local haclusterd's attrd (IPC AttrUpdate(node, name, value, lifetime,
dampen_ms) and AttrdQuery(name, node, all_nodes) -> AttrValues(local name, values)); with
CIB_file the attribute is written straight into the file's
status or nodes section, where a cluster started on that CIB would find it. Must never
print or parse command lines (cli/ does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hacluster.api.env import CIBEnvironment, CibFile, LiveCluster, call
from hacluster.cib import node_attribute_request, node_attributes, node_id_of
from hacluster.common import Code, HaError, Problem, parse_duration_ms, raise_if_errors
from hacluster.events import AttrdQuery, AttrdRefresh, AttrUpdate, AttrValues

LIFETIMES = ("reboot", "forever")

@dataclass(frozen=True, slots=True)
class NodeAttribute:
    node: str
    name: str
    value: str
    lifetime: str


def parse_delay_ms(text: str) -> int | None:
    """attrd_updater -d: "5s", "500ms", "1min"; a bare number is seconds. None: invalid."""
    return parse_duration_ms(text)


def lifetime_of(text: str) -> str | None:
    """reboot/forever, as attrd_updater -l accepts them (also r/f and "permanent")."""
    word = text.strip().lower()
    if word in ("reboot", "r", "transient"):
        return "reboot"
    if word in ("forever", "f", "permanent"):
        return "forever"
    return None


def check_update(name: str, value: str | None, lifetime: str, dampen_ms: int) -> list[Problem]:
    problems = []
    if not name or any(c in name for c in "\0\n") or len(name) > 256:
        problems.append(Problem(Code.ATTR_INVALID, f"invalid attribute name {name!r}"))
    if value is not None and ("\0" in value or len(value) > 4096):
        problems.append(Problem(Code.ATTR_INVALID, "invalid attribute value"))
    if lifetime not in LIFETIMES:
        problems.append(Problem(Code.ATTR_INVALID,
                                f"invalid lifetime {lifetime!r}: reboot or forever"))
    if dampen_ms < 0:
        problems.append(Problem(Code.ATTR_INVALID, "the delay cannot be negative"))
    return problems


def update(env: CIBEnvironment, name: str, value: str | None, node: str | None = None,
           lifetime: str = "reboot", dampen_ms: int = 0, *, private: bool = False,
           delay_only: bool = False) -> None:
    """Set `name` to `value` on `node` (None: delete it); node None means this node.
    `private`: if this creates it, attrd never writes it to the CIB; `delay_only`: change
    only its dampening (both need the live cluster)."""
    raise_if_errors(check_update(name, value, lifetime, dampen_ms))
    if isinstance(env, CibFile) and (private or delay_only):
        raise HaError.single(Code.CIB_NO_LIVE_CLUSTER, "private attributes and dampening "
                             "live in attrd: they need the live cluster, not CIB_file")
    if isinstance(env, CibFile):
        if not node:
            raise HaError.single(Code.ATTR_UNKNOWN_NODE,
                                 "a node name (-N) is needed when working on a CIB file")
        doc = env.read()
        node_id = node_id_of(doc, node)
        if node_id is None:
            raise HaError.single(Code.ATTR_UNKNOWN_NODE, f"no node named {node} in the CIB",
                                 node=node)
        env.submit(node_attribute_request(node_id, node, name, value, lifetime))
        return
    _live(env, AttrUpdate(node or "", name, value, lifetime, dampen_ms, private, delay_only))


def refresh(env: CIBEnvironment) -> None:
    """attrd_updater -R: attrd's writer writes every (not private) value to the CIB again."""
    if isinstance(env, CibFile):
        raise HaError.single(Code.CIB_NO_LIVE_CLUSTER,
                             "a refresh asks the live cluster's attrd, not CIB_file")
    _live(env, AttrdRefresh())


def query(env: CIBEnvironment, name: str, node: str | None = None,
          all_nodes: bool = False) -> list[NodeAttribute]:
    """The values of `name` on `node` (this node when None), or on every node."""
    if isinstance(env, CibFile):
        if not node and not all_nodes:
            raise HaError.single(Code.ATTR_UNKNOWN_NODE,
                                 "a node name (-N) or -A is needed when working on a CIB file")
        found = [NodeAttribute(*entry)
                 for entry in node_attributes(env.read(), name, None if all_nodes else node)]
    else:
        body = _live(env, AttrdQuery(name, "" if all_nodes else node or "", all_nodes))
        found = [NodeAttribute(*entry) for entry in _values(body)]
    if not found:
        where = "any node" if all_nodes else (node or "this node")
        raise HaError.single(Code.ATTR_NOT_FOUND,
                             f"Could not query value of {name}: attribute does not exist "
                             f"on {where}", name=name)
    return found


def _values(body: Any) -> list[tuple[str, str, str, str]]:
    if not isinstance(body, AttrValues):
        raise HaError.single(Code.IPC_PROTOCOL, "unexpected attrd reply from haclusterd")
    return [(v.node, v.name, v.value, v.lifetime) for v in body.values]


def _live(env: CIBEnvironment, request: AttrUpdate | AttrdQuery | AttrdRefresh) -> Any:
    serve = getattr(env, "attrd_call", None)
    if callable(serve):  # an environment that reaches attrd itself (the simulator's)
        return serve(request)
    state_dir = env.state_dir if isinstance(env, LiveCluster) else None
    try:
        return call(request, state_dir)
    except HaError as error:
        if any(p.code is Code.IPC_UNKNOWN_REQUEST for p in error.problems):
            raise HaError.single(Code.CIB_NO_LIVE_CLUSTER,
                                 "haclusterd does not serve node attributes yet "
                                 "(use CIB_file=FILE)") from None
        raise
