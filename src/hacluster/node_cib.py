"""The node's CIB manager: one CIBReplica whose agreed order is CPG group "cib" over Totem.

Owns the routing between node.py and the replica: CPG messages of group "cib" and regular
configurations go in (in delivery order, so virtual synchrony holds), Broadcasts go out as
safe CPG messages (delivered only once every ring member has them), client requests get
ids unique per node boot (IPC client ids repeat across connections), and Replies go back
under the client's own id. Must never do I/O: Persist("cib.xml") leaves as an output, in
order, before anything that depends on it. Spec: DESIGN.md §2; Pacemaker Explained "CIB".

Requests (a client's ClientRequest of CibQuery / CibWrite(CIBRequest.to_bytes()), or the
node's own write(CIBRequest)):
  CibQuery -> Reply(ok, CibText(the whole CIB))
  CibWrite, write() -> Reply(ok, CibWritten("a.e.n")) once acknowledged, else Problems:
    configuration write (status_of=None): needs quorum (votequorum's, handed on by node.py)
      else CIB_NO_QUORUM; acknowledged once members with a quorum of votes (or all members)
      applied and persisted it; CIB_SYNC_INTERRUPTED when the membership changed first.
    status update: CIBRequest(op, xml, "status", status_of="<node id>"), e.g.
      CIBRequest("modify", '<node_state id="2" uname="node2"><lrm id="2">...</lrm>'
                 '</node_state>', "status", options=frozenset({"allow-create"}),
                 status_of="2")
      or CIBRequest("delete", "", xpath="//node_state[@id='2']/lrm", status_of="2").
      It may change only /cib/status/node_state[@id=<node id>] and what is inside it
      (else CIB_STATUS_OUT_OF_SCOPE), needs no quorum, and is acknowledged once this node
      and that node (when it is a member) have applied it. The id is the corosync node id
      as text (hacluster.cib.node_state_id). At every membership change each member's
      node_state is taken from that member's own copy (absent there: removed), the rest of
      the status from the copy whose configuration wins; so a node's own results are never
      lost by a merge, and what another node wrote about a member lasts only until the
      next membership change (the DC rewrites join state then, as Pacemaker's does).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hacluster.cib import (
    ApplyDone,
    ApplyJob,
    Broadcast,
    CIBReplica,
    CIBRequest,
    CIBVersion,
    Delivered,
    LocalWrite,
    MembershipChanged,
)
from hacluster.common import NodeId
from hacluster.events import CibQuery, CibWrite, ClientRequest, Persist, Reply

CIB_GROUP = "cib"
CIB_PID = 0  # the node's own CIB manager, not a client process
CIB_REQUESTS = (CibQuery, CibWrite)
CIBOutput = Persist | Reply | ApplyJob


@dataclass(frozen=True, slots=True)
class CIBQuorum:
    """votequorum's verdict on a configuration, as node.py hands it on (one quorum)."""

    quorate: bool
    quorum_votes: int
    votes: tuple[tuple[NodeId, int], ...]


@dataclass(frozen=True, slots=True)
class CIBStatus:
    version: CIBVersion
    digest: str
    syncing: bool
    applied: int
    dropped: int
    pending: int

    @property
    def version_text(self) -> str:
        return ".".join(str(v) for v in self.version)


class NodeCIB:
    """The replica plus the request-id map of one node boot."""

    def __init__(self, replica: CIBReplica, rng: random.Random) -> None:
        self.replica = replica
        # Ids start at a random point per boot, so a write from an earlier boot that is
        # delivered late can never be mistaken for one of ours.
        self._next_id = rng.getrandbits(40) << 16
        self._clients: dict[int, int] = {}

    def request(self, now_ms: int, req: ClientRequest) -> tuple[list[CIBOutput], list[bytes]]:
        """A client's CibQuery / CibWrite: (outputs, payloads to broadcast)."""
        assert isinstance(req.request, CIB_REQUESTS)
        self._next_id += 1
        self._clients[self._next_id] = req.request_id
        return self._split(self.replica.step(now_ms, ClientRequest(self._next_id, req.request)))

    def write(self, now_ms: int, request_id: int,
              request: CIBRequest) -> tuple[list[CIBOutput], list[bytes]]:
        """The node's own write (no bytes on the way); its Reply comes under `request_id`."""
        self._next_id += 1
        self._clients[self._next_id] = request_id
        return self._split(self.replica.step(now_ms, LocalWrite(self._next_id, request)))

    def applied(self, now_ms: int, done: ApplyDone
                ) -> tuple[list[CIBOutput], list[bytes]]:
        """The outcome of an ApplyJob (a replica with offload): the write is finished."""
        return self._split(self.replica.step(now_ms, done))

    def deliver(self, now_ms: int, sender: NodeId, payload: bytes,
                quorate: bool = True) -> tuple[list[CIBOutput], list[bytes]]:
        return self._split(self.replica.step(now_ms, Delivered(sender, payload, quorate)))

    def membership(self, now_ms: int, members: tuple[NodeId, ...], ring_seq: int,
                   quorum: CIBQuorum) -> tuple[list[CIBOutput], list[bytes]]:
        return self._split(self.replica.step(now_ms, MembershipChanged(
            members, ring_seq, quorum.quorate, quorum.quorum_votes, quorum.votes)))

    def status(self) -> CIBStatus:
        st = self.replica.status()
        return CIBStatus(st.version, st.digest, st.syncing, st.applied, st.dropped, st.pending)

    def _split(self, outputs: list[Any]
               ) -> tuple[list[CIBOutput], list[bytes]]:
        out: list[CIBOutput] = []
        sends: list[bytes] = []
        for item in outputs:
            if isinstance(item, Broadcast):
                sends.append(item.payload)
            elif isinstance(item, Reply):
                client_id = self._clients.pop(item.request_id, None)
                if client_id is not None:
                    out.append(Reply(client_id, item.ok, item.body, item.problems))
            else:
                assert isinstance(item, Persist | ApplyJob), f"unexpected output {item!r}"
                out.append(item)
        return out, sends
