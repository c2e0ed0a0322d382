"""Membership decisions of Totem as pure functions: merging join messages into the proc
and fail sets, the consensus test, the representative, and the recovery plan (which old
ring messages this node retransmits on the new ring so survivors deliver the same set).

Owns the rules of the Totem paper section 4 (gather, commit, recovery), written here.
Must never keep state or build packets: srp.py holds the state and sends.
"""

from __future__ import annotations

from collections.abc import Iterable

from hacluster.common import NodeId
from hacluster.events import RingId
from hacluster.totem.messages import CommitEntry, Join, Mcast
from hacluster.totem.ring import RingLog

RING_SEQ_STEP = 4


def merge_join(me: NodeId, proc: frozenset[NodeId], fail: frozenset[NodeId],
               join: Join) -> tuple[frozenset[NodeId], frozenset[NodeId]]:
    """The proc and fail sets after hearing `join`. A sender that counts us as failed
    cannot agree with us: it goes to our fail set, and its other verdicts are not taken
    (taking them would spread failures from a ring we will not be in)."""
    new_proc = proc | frozenset(join.proc) | {join.sender}
    if me in join.fail:
        return new_proc, fail | {join.sender}
    return new_proc, fail | frozenset(join.fail)


def is_same_sets(proc: frozenset[NodeId], fail: frozenset[NodeId], join: Join) -> bool:
    return frozenset(join.proc) == proc and frozenset(join.fail) == fail


def is_subset_join(proc: frozenset[NodeId], fail: frozenset[NodeId], join: Join) -> bool:
    """A join that tells us nothing new (stale or partial)."""
    return frozenset(join.proc) <= proc and frozenset(join.fail) <= fail


def candidates(proc: frozenset[NodeId], fail: frozenset[NodeId]) -> tuple[NodeId, ...]:
    """The members the new ring would have: proc minus fail, in ring order."""
    return tuple(sorted(proc - fail))


def has_consensus(proc: frozenset[NodeId], fail: frozenset[NodeId],
                  agreed: Iterable[NodeId]) -> bool:
    """Every candidate sent a join with exactly our sets."""
    return frozenset(candidates(proc, fail)) <= frozenset(agreed)


def next_ring_id(rep: NodeId, highest_seq: int) -> RingId:
    return RingId(rep, highest_seq + RING_SEQ_STEP)


def commit_entry(me: NodeId, log: RingLog) -> CommitEntry:
    return CommitEntry(me, log.ring_id, log.my_aru, log.high_seq)


def transitional_members(old_ring_id: RingId, entries: Iterable[CommitEntry]) -> tuple[NodeId, ...]:
    """Members of the new ring that come from our old ring (EVS transitional config)."""
    return tuple(sorted(e.node_id for e in entries if e.old_ring_id == old_ring_id))


def recovery_plan(me: NodeId, log: RingLog, entries: Iterable[CommitEntry]) -> list[Mcast]:
    """Old ring datagrams this node retransmits during recovery. Every survivor of the old
    ring has everything up to its own aru; above the lowest aru, the survivor with the
    highest aru sends what it has up to that aru (no duplicates), and above the highest
    aru everybody sends what they hold (nobody can tell who has what there)."""
    peers = [e for e in entries if e.old_ring_id == log.ring_id]
    assert any(e.node_id == me for e in peers)
    low_aru = min(e.my_aru for e in peers)
    best = max(peers, key=lambda e: (e.my_aru, -e.node_id))
    plan: list[Mcast] = []
    for seq in sorted(s for s in log.store if s > low_aru):
        if seq <= best.my_aru and best.node_id != me:
            continue
        plan.append(log.store[seq])
    return plan
