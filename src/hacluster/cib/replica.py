"""CIB replication over an agreed (total) order: the sans-I/O core of the CIB manager.

Rule 1, writes: every write is broadcast and applied, in delivery order, by every member
(one pure apply_request, so every copy decides alike; with the node's schema lookup a
result that does not conform to its validate-with schema is refused by every copy,
CIB_SCHEMA_INVALID, whoever sent it). A configuration write (anything but
a status update) is applied only in a configuration votequorum declares quorate, and not
from the old ring's tail flushed into a non-quorate remnant (`Delivered.quorate`); it is
acknowledged once the members that applied and persisted it (each says so in the agreed
order, after its Persist) would be quorate on their own: votes >= votequorum's quorum, or
every member of the ring. A status update (`CIBRequest.status_of`: node X's node_state
only, or its DC's have-quorum / dc-uuid) needs no quorum; it is acknowledged once the
writer and, when it is a member, node X have applied it: X's copy is where X's entry
survives a merge.
Rule 2, syncs: at each membership change every member announces its copy; the winner is
the copy of the latest quorate lineage (`Lineage`: the quorate ring whose sync it descends
from, then the configuration writes applied since), then version, then lowest node id.
Everyone installs the winner's configuration and each member's own node_state (a merge
never loses or invents resource state); a quorate ring starts a new lineage step.
Why nothing acknowledged is lost: an acknowledged write W of ring R is held by a quorate
set Q. Every later quorate ring meets Q (votequorum's promise: quorate views intersect, the
simulator's invariant (f)); by induction its winner holds W: a member of Q holds W at
position >= (R, W's count), copies of one lineage are prefixes of one agreed order, and a
later step descends from the winner of its own sync. A copy that applied writes no quorate
set acknowledged loses them at its next merge, with an error log naming them.
Under two_node, quorum is one vote: a lone survivor's write is acknowledged by itself, and
is safe exactly as votequorum's two_node is, when fencing (or wait_for_all after a restart)
keeps the other node from being quorate at the same time.
Offload (the daemon's replica): every write leaves as an ApplyJob (heavy when the copy is
offload_min_bytes or more) and its ApplyDone, once its cib.xml is saved, comes back as an
input (hacluster.cib.applying); until then the ordered inputs (deliveries and configuration
changes) wait in order, client requests do not.
Must never do I/O, read a clock or raise on peer input (malformed messages are counted).
Spec: DESIGN.md §2 step() contract; Pacemaker Explained "CIB versions"; CPG virtual synchrony.
"""

from __future__ import annotations

import logging
import random
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from hacluster.cib.applying import ApplyDone, ApplyJob, CopyFacts, run_apply, write_lineage
from hacluster.cib.document import (
    CIBDocument,
    CIBVersion,
    XMLElement,
    empty_cib,
    parse_cib,
    parse_xml,
)
from hacluster.cib.lineage import Lineage, persisted_bytes, sync_key
from hacluster.cib.merge import (
    base_digest,
    log_losses,
    merged_document,
    node_state_id,
    own_node_state_text,
)
from hacluster.cib.messages import CIB_CODEC, CIBAnnounce, CIBApplied, CIBSync, CIBUpdate
from hacluster.cib.requests import (
    CIBRequest,
    SchemaLookup,
    request_from_bytes,
    request_problem,
)
from hacluster.cib.touched import TouchedStatus
from hacluster.common import Code, DecodeError, HaError, NodeId
from hacluster.events import CibQuery, CibText, CibWrite, CibWritten, ClientRequest, Persist, Reply

log = logging.getLogger(__name__)

PERSIST_NAME = "cib.xml"


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message came out of the agreed order (CPG), ours included. `quorate=False`: it was
    delivered while the ring broke (the old ring's messages flushed during recovery) and the
    survivors moving on with us would not be quorate; not every member may have it, so a
    configuration write is refused there (the quorate side applies it and wins the heal)."""

    sender: NodeId
    payload: bytes
    quorate: bool = True


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """A new configuration, delivered in the agreed order (virtual synchrony), with
    votequorum's verdict on it: `quorate`, the votes a quorum needs, each member's votes."""

    members: tuple[NodeId, ...]
    ring_id: int
    quorate: bool = True
    quorum_votes: int = 1
    votes: tuple[tuple[NodeId, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send this payload to every member through the agreed order."""

    payload: bytes


@dataclass(frozen=True, slots=True)
class LocalWrite:
    """A write of the node's own (controller, attrd), as the request object itself: no
    client, no bytes; its Reply carries `request_id`."""

    request_id: int
    request: CIBRequest


Input = Delivered | MembershipChanged | ClientRequest | LocalWrite | ApplyDone
Output = Broadcast | Persist | Reply | ApplyJob


@dataclass(frozen=True, slots=True)
class ReplicaStatus:
    node_id: NodeId
    version: CIBVersion
    digest: str
    members: tuple[NodeId, ...]
    ring_id: int
    syncing: bool
    quorate: bool
    applied: int
    dropped: int
    pending: int
    lineage: Lineage = Lineage()


@dataclass(frozen=True, slots=True)
class _Applying:
    """The write whose ApplyJob is out: who sent it, and the update itself."""

    job_id: int
    origin: NodeId
    update: CIBUpdate


@dataclass(slots=True)
class _Confirming:
    """Our applied write waiting for enough members to have applied it too."""

    status: bool  # a status update: we and its node (when a member) must have it
    target: NodeId | None
    have: set[NodeId] = field(default_factory=set)


def _error_reply(request_id: int, error: HaError) -> Reply:
    return Reply(request_id, False, None, error.problems)


def _status_node(request: CIBRequest) -> NodeId | None:
    target = request.status_of
    return NodeId(int(target)) if target is not None and target.isdigit() else None


class CIBReplica:
    """One node's copy of the CIB, kept equal to the others' by applying writes in order."""

    def __init__(self, node_id: NodeId, document: CIBDocument | None = None,
                 rng: random.Random | None = None, *, lineage: Lineage | None = None,
                 node_name: str | None = None, schemas: SchemaLookup | None = None,
                 offload: bool = False, offload_min_bytes: int = 0) -> None:
        self.node_id = node_id
        # offload: each write's apply leaves as an ApplyJob (see hacluster.cib.applying);
        # the ordered inputs that follow it wait in the backlog until its ApplyDone.
        self.offload = offload
        self.offload_min_bytes = offload_min_bytes  # smaller copies make light jobs
        self._applying: _Applying | None = None
        self._backlog: deque[Delivered | MembershipChanged] = deque()
        self._jobs = 0
        self._facts = CopyFacts()
        # Every write is checked here, in the replica, against the schema its result's
        # validate-with names: a client or a peer that skipped the check cannot get a
        # non-conforming CIB applied. Every node runs the same schemas (the same release),
        # so every copy decides alike.
        self.schemas = schemas
        self.node_name = node_name or str(int(node_id))
        self.doc = document if document is not None else empty_cib()
        self.lineage = lineage or Lineage()
        self.rng = rng  # unused today: sync needs no jitter; kept for the core contract
        self.members: tuple[NodeId, ...] = ()
        self.ring_id = -1
        self.ring_quorate = False
        self.quorum_votes = 1
        self.votes: dict[NodeId, int] = {}
        self.syncing = True
        self.announced: dict[NodeId, tuple[CIBAnnounce, XMLElement | None]] = {}
        self.queued: list[tuple[NodeId, CIBUpdate, bool]] = []
        self.pending: set[int] = set()
        self.confirming: dict[int, _Confirming] = {}
        self.applied = 0
        self.dropped = 0
        self.touched = TouchedStatus()  # which node_states changed, for the controller

    # ------------------------------------------------------------------ contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        if isinstance(event, ClientRequest | LocalWrite):
            return self._on_client(event)
        if isinstance(event, ApplyDone):
            return self._on_apply_done(event)
        if self._applying is not None:
            self._backlog.append(event)  # the agreed order waits for the write in progress
            return []
        return self._on_ordered(event)

    def _on_ordered(self, event: Delivered | MembershipChanged) -> list[Output]:
        if isinstance(event, MembershipChanged):
            return self._on_membership(event)
        return self._on_delivered(event)

    def next_deadline_ms(self) -> int | None:
        return None

    def status(self) -> ReplicaStatus:
        return ReplicaStatus(self.node_id, self.doc.version, self.digest(), self.members,
                             self.ring_id, self.syncing, self.ring_quorate, self.applied,
                             self.dropped, len(self.pending) + len(self.confirming),
                             self.lineage)

    @property
    def busy(self) -> bool:
        """An ApplyJob is out (offload): ordered inputs wait behind it."""
        return self._applying is not None

    def awaiting_sync(self) -> bool:
        """Syncing, or a configuration change waits in the backlog: the copy is not yet
        the one of the node's current membership (what the controller must wait for)."""
        return self.syncing or any(type(e) is MembershipChanged for e in self._backlog)

    def digest(self) -> str:
        """The content digest of the current copy (computed once per copy)."""
        return self._facts.digest(self.doc)

    def warm(self) -> None:
        """Compute now what the first membership change needs (before the loop runs)."""
        self._persist()
        self._facts.digest(self.doc)
        self._facts.parts(self.doc)

    def _heavy(self, request: CIBRequest) -> bool:
        """Whether applying this write would hold a loop: the copy with the write is large
        (or of unknown size: applying off the loop is always correct, only slower)."""
        size = self._facts.size(self.doc)
        return size is None or size + len(request.xml) >= self.offload_min_bytes

    def _persist(self) -> Persist:
        data = persisted_bytes(self.doc, self.lineage)
        self._facts.record(self.doc, len(data))
        return Persist(PERSIST_NAME, data)

    # ------------------------------------------------------------------ clients

    def _on_client(self, event: ClientRequest | LocalWrite) -> list[Output]:
        asked = event.request
        if isinstance(asked, CibQuery):
            return [Reply(event.request_id, True, CibText(self.doc.to_text()))]
        try:
            request = self._request_of(asked)
        except HaError as error:
            return [_error_reply(event.request_id, error)]
        if request.stamp and "update-origin" not in dict(request.stamp):
            request = replace(request, stamp=(*request.stamp, ("update-origin", self.node_name)))
        self.pending.add(event.request_id)
        update = CIBUpdate(int(self.node_id), event.request_id, request)
        return [Broadcast(CIB_CODEC.encode(update))]

    @staticmethod
    def _request_of(asked: object) -> CIBRequest:
        if isinstance(asked, CIBRequest):
            problem = request_problem(asked)
            if problem is not None:
                raise problem
            return asked
        if isinstance(asked, CibWrite):
            return request_from_bytes(asked.request)
        raise HaError.single(Code.CIB_DIFF_INVALID,
                             f"{type(asked).__name__} is not a CIB request")

    # --------------------------------------------------------------- membership

    def _on_membership(self, event: MembershipChanged) -> list[Output]:
        outputs: list[Output] = []
        for request_id in sorted(self.confirming):
            outputs.append(_error_reply(request_id, HaError.single(
                Code.CIB_SYNC_INTERRUPTED, "the membership changed before enough members had "
                "applied the write: it may or may not be kept; query before retrying")))
        self.confirming = {}
        for origin, update, _ in self.queued:
            outputs += self._refuse(origin, update, HaError.single(
                Code.CIB_SYNC_INTERRUPTED, "the membership changed before the write was "
                "applied; it was not applied anywhere, retry"))
        self.queued = []
        self.members = tuple(sorted(event.members))
        self.ring_id = event.ring_id
        self.ring_quorate = event.quorate
        self.quorum_votes = event.quorum_votes
        self.votes = dict(event.votes) if event.votes else {m: 1 for m in self.members}
        self.syncing = True
        self.announced = {}
        log.info("cib sync started ring=%s members=%s quorate=%s version=%s lineage=%s",
                 event.ring_id, list(self.members), event.quorate, self.doc.version,
                 self.lineage.to_text())
        version = self.doc.version
        announce = CIBAnnounce(event.ring_id, self.lineage, (version[0], version[1], version[2]),
                               base_digest(self._facts.parts(self.doc), self.members), self.digest(),
                               own_node_state_text(self.doc, self.node_id))
        outputs.append(Broadcast(CIB_CODEC.encode(announce)))
        return outputs

    def _on_delivered(self, event: Delivered) -> list[Output]:
        message = CIB_CODEC.check(event.payload)
        if isinstance(message, DecodeError):
            return self._drop(event.sender, message.reason)
        if isinstance(message, CIBUpdate):
            if message.origin != int(event.sender) or request_problem(message.request):
                return self._drop(event.sender, "malformed update")
            if self.syncing:
                self.queued.append((event.sender, message, event.quorate))
                return []
            return self._apply_update(event.sender, message, event.quorate)
        if isinstance(message, CIBApplied):
            return self._on_applied(event.sender, message)
        if isinstance(message, CIBAnnounce):
            return self._on_announce(event.sender, message)
        assert isinstance(message, CIBSync)
        return self._on_sync(event.sender, message)

    def _drop(self, sender: NodeId, why: str) -> list[Output]:
        self.dropped += 1
        log.debug("cib message dropped sender=%s why=%s", sender, why)
        return []

    def _on_announce(self, sender: NodeId, message: CIBAnnounce) -> list[Output]:
        if message.ring != self.ring_id or not self.syncing or sender not in self.members:
            return []  # from an older configuration: superseded
        element: XMLElement | None = None
        if message.node_state:
            try:
                element = parse_xml(message.node_state)
            except HaError:
                return self._drop(sender, "unreadable node_state")
            if element.tag != "node_state" or element.get("id") != node_state_id(sender):
                return self._drop(sender, "not its own node_state")
        self.announced[sender] = (message, element)
        if set(self.announced) != set(self.members):
            return []
        winner = self._winner()
        if len({a.base_digest for a, _ in self.announced.values()}) == 1:
            return self._finish_sync(self.doc)
        if winner == self.node_id:
            sync = CIBSync(self.ring_id, self.doc.to_bytes(pretty=False))
            return [Broadcast(CIB_CODEC.encode(sync))]
        return []

    def _winner(self) -> NodeId:
        return max(self.announced, key=lambda n: sync_key(
            self.announced[n][0].lineage, CIBVersion(*self.announced[n][0].version), int(n)))

    def _on_sync(self, sender: NodeId, message: CIBSync) -> list[Output]:
        if message.ring != self.ring_id or not self.syncing:
            return []
        if set(self.announced) != set(self.members) or sender != self._winner():
            return self._drop(sender, "sync from a copy that did not win")
        try:
            incoming = parse_cib(message.xml)
        except HaError:
            return self._drop(sender, "unreadable sync")
        if incoming.digest() != self.announced[sender][0].digest:
            return self._drop(sender, "sync is not the copy announced")
        return self._finish_sync(incoming)

    def _finish_sync(self, base: CIBDocument) -> list[Output]:
        """Install `base` (the winner's copy, or ours when every base agrees) with each
        member's own node_state, then apply the writes that queued behind the sync."""
        winner_id = self._winner()
        winner, _ = self.announced[winner_id]
        lineage = winner.lineage
        if self.ring_quorate and self.ring_id > lineage.ring:
            lineage = lineage.started(self.ring_id)
        merged = self.doc
        if len({a.digest for a, _ in self.announced.values()}) > 1:
            own: Mapping[NodeId, XMLElement | None] = {
                n: e for n, (_, e) in self.announced.items()}
            copies = [(CIBVersion(*a.version), a.digest) for a, _ in self.announced.values()]
            merged = merged_document(base, own, copies, CIBVersion(*winner.version))
        log_losses(self.doc, self.lineage, merged, winner.lineage, self.ring_id, log)
        outputs: list[Output] = []
        if base is not self.doc and winner_id != self.node_id:
            log.info("cib copy replaced by full sync ring=%s from=%s version=%s kept=%s",
                     self.ring_id, winner_id, self.doc.version, merged.version)
        if merged.digest() != self.digest() or lineage != self.lineage \
                or merged.version != self.doc.version:
            self.doc, self.lineage = merged, lineage
            self.touched.replaced()
            outputs.append(self._persist())
        self.syncing = False
        log.info("cib sync done ring=%s version=%s lineage=%s", self.ring_id,
                 self.doc.version, self.lineage.to_text())
        return outputs + self._apply_queued()

    def _apply_queued(self) -> list[Output]:
        """The writes that queued behind a sync, in order, while none is being applied."""
        outputs: list[Output] = []
        while self.queued and self._applying is None:
            origin, update, quorate = self.queued.pop(0)
            outputs += self._apply_update(origin, update, quorate)
        return outputs

    def _on_apply_done(self, done: ApplyDone) -> list[Output]:
        """The ApplyJob out came back: finish that write, then go on with the agreed order
        (the writes queued behind the sync first, then the backlog) until the next job."""
        applying = self._applying
        if applying is None or done.job_id != applying.job_id:
            log.error("cib apply result for no job in progress job=%s", done.job_id)
            return []
        self._applying = None
        outputs = self._applied(applying.origin, applying.update, done)
        outputs += self._apply_queued()
        while self._applying is None and self._backlog:
            outputs += self._on_ordered(self._backlog.popleft())
        return outputs

    # ------------------------------------------------------------------- writes

    def _refuse(self, origin: NodeId, update: CIBUpdate, error: HaError) -> list[Output]:
        if origin != self.node_id or update.request_id not in self.pending:
            return []
        self.pending.discard(update.request_id)
        return [_error_reply(update.request_id, error)]

    def _on_applied(self, sender: NodeId, message: CIBApplied) -> list[Output]:
        confirming = self.confirming.get(message.request_id)
        if message.origin != int(self.node_id) or confirming is None:
            return []
        confirming.have.add(sender)
        if confirming.status:
            needed = {self.node_id} | {n for n in self.members if n == confirming.target}
            done = needed <= confirming.have
        else:
            votes = sum(self.votes.get(n, 0) for n in confirming.have)
            done = votes >= self.quorum_votes or set(self.members) <= confirming.have
        if not done:
            return []
        del self.confirming[message.request_id]
        return [Reply(message.request_id, True, CibWritten(str(self.doc.version)))]

    def _apply_update(self, origin: NodeId, update: CIBUpdate, quorate: bool) -> list[Output]:
        request = update.request
        if request.status_of is None and not (quorate and self.ring_quorate):
            return self._refuse(origin, update, HaError.single(
                Code.CIB_NO_QUORUM, "this partition has no quorum: CIB configuration writes "
                "are refused (status updates are not)"))
        self._jobs += 1
        job = ApplyJob(self._jobs, self.doc, request, self.schemas, self.lineage,
                       heavy=self.offload and self._heavy(request))
        if self.offload:
            self._applying = _Applying(job.job_id, origin, update)
            return [job]
        return self._applied(origin, update, run_apply(job))

    def _applied(self, origin: NodeId, update: CIBUpdate, done: ApplyDone) -> list[Output]:
        """A write's outcome (computed by run_apply, here or on the daemon's worker)."""
        if done.error is not None:
            return self._refuse(origin, update, done.error)
        status_of = update.request.status_of
        outputs: list[Output] = []
        if done.new is not None:
            assert done.new.version >= self.doc.version, "versions never go backwards"
            self.doc = done.new
            self.touched.wrote(status_of)
            self._facts.record(done.new, len(done.persisted), done)
            self.applied += 1
            self.lineage = write_lineage(self.lineage, update.request)
            outputs.append(Persist(PERSIST_NAME, done.persisted))
        if origin != self.node_id:
            if status_of is None or status_of == node_state_id(self.node_id):
                # after our Persist: the writer may count us among those that have it
                outputs.append(Broadcast(CIB_CODEC.encode(
                    CIBApplied(int(origin), update.request_id))))
            return outputs
        if update.request_id in self.pending:
            self.pending.discard(update.request_id)
            self.confirming[update.request_id] = _Confirming(status_of is not None,
                                                           _status_node(update.request))
            outputs += self._on_applied(self.node_id, CIBApplied(int(self.node_id),
                                                                  update.request_id))
        return outputs


__all__ = ["Broadcast", "CIBReplica", "Delivered", "MembershipChanged", "ReplicaStatus"]
