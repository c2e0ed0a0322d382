"""Building one node from its configuration and persisted state: the pure part of boot.

Owns the mapping from corosync.conf (hacluster.config's ClusterConfig) to Totem's and
votequorum's settings, the CIB a cluster starts from, and the CIB replica a node resumes
from its persisted bytes. Must never read files or clocks: the daemon reads, this decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hacluster.cib import (
    CIBDocument,
    CIBReplica,
    CIBRequest,
    Lineage,
    SchemaLookup,
    apply_request,
    empty_cib,
    parse_persisted,
    persisted_bytes,
)
from hacluster.common import NodeId
from hacluster.config import ClusterConfig
from hacluster.quorum import QuorumSettings
from hacluster.totem import TotemParams


def params_from_config(config: ClusterConfig) -> TotemParams:
    """TotemParams from hacluster.config's ClusterConfig (its TotemConfig's effective ms)."""
    t = config.totem
    netmtu = t.netmtu if "netmtu" in t.configured else 1500
    return TotemParams(
        token_ms=t.token_ms, token_retransmit_ms=t.token_retransmit_ms,
        hold_ms=min(t.hold_ms, t.token_retransmit_ms - 1), consensus_ms=t.consensus_ms,
        join_ms=t.join_ms, merge_ms=t.merge_ms, downcheck_ms=t.downcheck_ms,
        fail_recv_const=t.fail_recv_const, seqno_unchanged_const=t.seqno_unchanged_const,
        window_size=t.window_size, max_messages=t.max_messages,
        miss_count_const=t.miss_count_const, send_join_ms=t.send_join_ms,
        netmtu=max(576, min(netmtu, 60_000)))


def quorum_from_config(config: ClusterConfig) -> QuorumSettings:
    """QuorumSettings from ClusterConfig's nodelist votes and quorum section."""
    q = config.quorum
    votes = {NodeId(n.nodeid): n.quorum_votes for n in config.nodes}
    atb_node = NodeId(int(q.auto_tie_breaker_node)) if q.auto_tie_breaker_node.isdigit() else None
    return QuorumSettings(
        votes=votes, expected_votes=q.expected_votes_configured, two_node=q.two_node,
        wait_for_all=q.wait_for_all, last_man_standing=q.last_man_standing,
        last_man_standing_window_ms=q.last_man_standing_window_ms,
        auto_tie_breaker=q.auto_tie_breaker, auto_tie_breaker_node=atb_node)


def initial_cib(members: Sequence[NodeId], names: Mapping[NodeId, str]) -> CIBDocument:
    """An empty CIB with one <node> per configured node: the same bytes on every node, so
    a cluster that starts from nothing agrees at once (any persisted copy wins over it)."""
    nodes = "".join(f'<node id="{int(n)}" uname="{names.get(n) or int(n)}"/>'
                    for n in members)
    return apply_request(empty_cib(), CIBRequest("replace", f"<nodes>{nodes}</nodes>",
                                                 "nodes"))[0]


def cib_replica_for(node_id: NodeId, members: Sequence[NodeId], names: Mapping[NodeId, str],
                    persisted: bytes | None, schemas: SchemaLookup | None = None,
                    offload_min_bytes: int | None = None) -> tuple[CIBReplica, bytes | None]:
    """The node's CIB replica from its persisted copy (already checked by its digest), or
    from initial_cib on a first boot; second: the bytes to persist first (None if any).
    Its quorum is the node's votequorum (one quorum: the Node hands it on); `schemas`
    checks every write against its validate-with schema (loaded by the driver); with
    `offload_min_bytes`, a write to a copy that large leaves as an ApplyJob (the daemon runs
    it off its loop)."""
    first_boot = persisted is None
    if persisted is None:
        document, lineage = initial_cib(members, names), Lineage()
    else:
        document, lineage = parse_persisted(persisted)
    name = names.get(node_id) or str(int(node_id))
    replica = CIBReplica(node_id, document, lineage=lineage, node_name=name,
                         schemas=schemas, offload=offload_min_bytes is not None,
                         offload_min_bytes=offload_min_bytes or 0)
    return replica, persisted_bytes(document, lineage) if first_boot else None
