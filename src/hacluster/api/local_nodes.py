"""Which nodes of corosync.conf run on this host, and where each one's haclusterd lives.

Owns the rule `pcs cluster start|stop` follows to find a node's daemon (the CLI does the
I/O: reading the file, probing addresses, starting processes):
- the nodes are corosync.conf's (nodelist or 1.x members); a node's name is its nodelist
  name, else its ring0 address (what haclusterd calls itself);
- a node is "of this host" when this host can bind its ring0 address (127.0.0.x nodes
  all are: several nodes share one host only on loopback);
- its state dir (pid file, IPC socket, CIB, log) is $HACLUSTER_STATE_ROOT/<name> when that
  is set; else, with one node on this host, $HACLUSTER_STATE_DIR or /var/lib/hacluster
  (every tool's default); else /var/lib/hacluster/<name>.
Must never read files, probe the host or start anything: callers pass those facts in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from hacluster.api.cluster import ClusterStatus
from hacluster.common import Code, HaError, Problem, Severity
from hacluster.config import ClusterConfig, NodeConfig, parse_config
from hacluster.events import RingView

DEFAULT_STATE_DIR = "/var/lib/hacluster"


@dataclass(frozen=True, slots=True)
class LocalNode:
    """One node of the cluster, with where its daemon lives when it is of this host."""

    name: str
    node_id: int
    address: str
    state_dir: str  # "" for a node of another host

    @property
    def is_local(self) -> bool:
        return bool(self.state_dir)


def node_name(node: NodeConfig) -> str:
    return node.name or (node.addresses[0] if node.addresses else str(node.nodeid))


def locate_nodes(config: ClusterConfig, is_local: Callable[[str], bool],
                 state_root: str | None = None,
                 state_dir: str | None = None) -> tuple[LocalNode, ...]:
    """Every configured node; those of this host with their state dir (see module doc)."""
    local = [n for n in config.nodes if n.addresses and is_local(n.addresses[0])]
    located: list[LocalNode] = []
    for node in config.nodes:
        name = node_name(node)
        address = node.addresses[0] if node.addresses else ""
        where = ""
        if node in local:
            if state_root:
                where = f"{state_root.rstrip('/')}/{name}"
            elif len(local) == 1:
                where = state_dir or DEFAULT_STATE_DIR
            else:
                where = f"{DEFAULT_STATE_DIR}/{name}"
        located.append(LocalNode(name, node.nodeid, address, where))
    return tuple(located)


def locate_in_text(text: str, is_local: Callable[[str], bool], state_root: str | None = None,
                   state_dir: str | None = None) -> tuple[LocalNode, ...]:
    """locate_nodes over corosync.conf's text (HaError with every problem of the file)."""
    return locate_nodes(parse_config(text), is_local, state_root, state_dir)


def _error(code: Code, message: str, **details: str) -> Problem:
    return Problem(code, message, MappingProxyType(dict(details)), Severity.ERROR)


def select_nodes(located: Sequence[LocalNode], names: Sequence[str], all_nodes: bool,
                 state_dir: str | None = None) -> tuple[LocalNode, ...]:
    """The nodes a command names: --all, the given names, or this host's own node (the
    one whose state dir is $HACLUSTER_STATE_DIR when several are). Every problem at once."""
    if all_nodes and names:
        raise HaError.single(Code.USAGE, "Cannot specify both --all and a list of nodes.")
    if all_nodes:
        if not located:
            raise HaError.single(Code.CONFIG_LOCAL_NODE_NOT_FOUND, "No nodes found in corosync.conf")
        return tuple(located)
    if names:
        by_name = {n.name: n for n in located}
        unknown = [_error(Code.NODE_NOT_FOUND, f"Node '{name}' does not appear to exist in "
                          "configuration", node=name) for name in names if name not in by_name]
        if unknown:
            raise HaError(unknown)
        return tuple(by_name[name] for name in dict.fromkeys(names))
    local = [n for n in located if n.is_local]
    if state_dir and len(local) > 1:
        local = [n for n in local if n.state_dir.rstrip("/") == state_dir.rstrip("/")] or local
    if len(local) == 1:
        return (local[0],)
    if not local:
        raise HaError.single(Code.CONFIG_LOCAL_NODE_NOT_FOUND,
                             "cluster is not currently configured on this node")
    raise HaError.single(Code.USAGE, "several nodes of the cluster run on this host ("
                         f"{', '.join(n.name for n in local)}): name them or use --all")


def is_fully_started(view: RingView | None, node_id: int) -> bool:
    """A DaemonStatus view of a node that has joined its ring and finished its CIB sync
    (pcs waits for "online and not pending")."""
    if view is None:
        return False
    return bool(view.ring_id) and node_id in view.members and view.cib_syncing is False


def stopping_loses_quorum(status: ClusterStatus) -> bool:
    """Whether this quorate node leaving would leave its partition without quorum."""
    if not status.quorate:
        return False
    mine = status.votes.get(status.node_id, 1)
    return status.total_votes - mine < status.quorum
