"""CIB replication over an agreed (total) order: the sans-I/O core of the CIB manager.

Owns: every write is broadcast and applied, in delivery order, by every member (the same
pure apply_request everywhere, so every copy makes the same decision); the writer's client
is answered only when its own write comes back in that order, after Persist. On each
membership change the members announce (version, digest); the highest version by
Pacemaker's precedence wins (ties: lowest node id), and when the copies differ the winner
sends a full sync that the others install, logging what they discard. Writes are refused
in a partition without quorum (when `expected_votes` is given), so a minority can never
hold acknowledged writes that a heal would throw away; with quorum, the writer is answered
only once a majority of the configured nodes has applied (and persisted) the write: each
other member says "applied" in the agreed order, after its Persist.
Must never do I/O, read a clock or raise on peer input (malformed messages are counted).
Spec: DESIGN.md §2 step() contract; Pacemaker Explained "CIB versions"; CPG virtual synchrony.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass, replace
from typing import Any

from hacluster.cib.document import CIBDocument, CIBVersion, empty_cib, parse_cib
from hacluster.cib.requests import CIBRequest, apply_request, request_from_bytes
from hacluster.common import Code, HaError, NodeId
from hacluster.events import ClientRequest, Persist, Reply

log = logging.getLogger(__name__)

PERSIST_NAME = "cib.xml"


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message came out of the agreed order (CPG), ours included. `quorate=False`: it was
    delivered while the ring broke (the old ring's messages flushed during recovery) and the
    survivors moving on with us are no majority; not every member may have it, so a write
    is refused there (the majority side applies it, and its copy wins the heal)."""

    sender: NodeId
    payload: bytes
    quorate: bool = True


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """A new configuration, delivered in the agreed order (virtual synchrony)."""

    members: tuple[NodeId, ...]
    ring_id: int


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send this payload to every member through the agreed order."""

    payload: bytes


Input = Delivered | MembershipChanged | ClientRequest
Output = Broadcast | Persist | Reply


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


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, sort_keys=True, separators=(",", ":")).encode()


def _error_reply(request_id: int, error: HaError) -> Reply:
    return Reply(request_id, False, None, error.problems)


class CIBReplica:
    """One node's copy of the CIB, kept equal to the others' by applying writes in order."""

    def __init__(self, node_id: NodeId, document: CIBDocument | None = None,
                 rng: random.Random | None = None, expected_votes: int | None = None,
                 node_name: str | None = None) -> None:
        self.node_id = node_id
        self.node_name = node_name or str(int(node_id))
        self.doc = document if document is not None else empty_cib()
        self.rng = rng  # unused today: sync needs no jitter; kept for the core contract
        self.expected_votes = expected_votes
        self.members: tuple[NodeId, ...] = ()
        self.ring_id = -1
        self.syncing = True
        self.announced: dict[NodeId, tuple[CIBVersion, str]] = {}
        self.queued: list[tuple[NodeId, dict[str, Any]]] = []
        self.pending: set[int] = set()
        # our applied writes waiting for a majority: request id -> nodes that applied it
        self.confirming: dict[int, set[NodeId]] = {}
        self.applied = 0
        self.dropped = 0

    # ------------------------------------------------------------------ contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        if isinstance(event, ClientRequest):
            return self._on_client(event)
        if isinstance(event, MembershipChanged):
            return self._on_membership(event)
        return self._on_delivered(event)

    def next_deadline_ms(self) -> int | None:
        return None

    def status(self) -> ReplicaStatus:
        return ReplicaStatus(self.node_id, self.doc.version, self.doc.digest(), self.members,
                             self.ring_id, self.syncing, self.is_quorate(), self.applied,
                             self.dropped, len(self.pending) + len(self.confirming))

    def is_quorate(self) -> bool:
        if self.expected_votes is None:
            return bool(self.members)
        return len(self.members) * 2 > self.expected_votes

    # ------------------------------------------------------------------ clients

    def _on_client(self, event: ClientRequest) -> list[Output]:
        if event.name == "cib_query":
            return [Reply(event.request_id, True, {"xml": self.doc.to_text()})]
        if event.name != "cib_request":
            return [_error_reply(event.request_id, HaError.single(
                Code.CIB_DIFF_INVALID, f"unknown CIB request {event.name!r}"))]
        try:
            request = self._request_of(event.body)
        except HaError as error:
            return [_error_reply(event.request_id, error)]
        if request.stamp and "update-origin" not in dict(request.stamp):
            request = replace(request, stamp=(*request.stamp, ("update-origin", self.node_name)))
        self.pending.add(event.request_id)
        return [Broadcast(_encode({"type": "update", "origin": int(self.node_id),
                                   "request_id": event.request_id,
                                   "request": request.to_bytes().decode()}))]

    @staticmethod
    def _request_of(body: object) -> CIBRequest:
        if isinstance(body, CIBRequest):
            return body
        if isinstance(body, dict) and isinstance(body.get("request"), str):
            return request_from_bytes(body["request"].encode())
        raise HaError.single(Code.CIB_DIFF_INVALID, "a cib_request needs a request body")

    # --------------------------------------------------------------- membership

    def _on_membership(self, event: MembershipChanged) -> list[Output]:
        outputs: list[Output] = []
        for request_id in sorted(self.confirming):
            outputs.append(_error_reply(request_id, HaError.single(
                Code.CIB_SYNC_INTERRUPTED, "the membership changed before a majority had "
                "applied the write: it may or may not be kept; query before retrying")))
        self.confirming = {}
        for origin, message in self.queued:
            outputs += self._refuse(origin, message, HaError.single(
                Code.CIB_SYNC_INTERRUPTED, "the membership changed before the write was "
                "applied; it was not applied anywhere, retry"))
        self.queued = []
        self.members = tuple(sorted(event.members))
        self.ring_id = event.ring_id
        self.syncing = True
        self.announced = {}
        log.info("cib sync started ring=%s members=%s version=%s", event.ring_id,
                 list(self.members), self.doc.version)
        outputs.append(Broadcast(_encode({
            "type": "version", "ring": event.ring_id, "version": list(self.doc.version),
            "digest": self.doc.digest()})))
        return outputs

    def _on_delivered(self, event: Delivered) -> list[Output]:
        try:
            message = json.loads(event.payload)
            kind = message["type"]
        except (ValueError, KeyError, TypeError):
            return self._drop(event, "malformed")
        if kind == "update":
            if self.syncing:
                self.queued.append((event.sender, message))
                return []
            return self._apply_update(event.sender, message, event.quorate)
        if kind == "applied":
            return self._on_applied(event.sender, message)
        if kind == "version":
            return self._on_version(event.sender, message)
        if kind == "sync":
            return self._on_sync(event.sender, message)
        return self._drop(event, "unknown type")

    def _drop(self, event: Delivered, why: str) -> list[Output]:
        self.dropped += 1
        log.debug("cib message dropped sender=%s why=%s", event.sender, why)
        return []

    def _on_version(self, sender: NodeId, message: dict[str, Any]) -> list[Output]:
        try:
            version = CIBVersion(*(int(v) for v in message["version"]))
            ring, digest = int(message["ring"]), str(message["digest"])
        except (KeyError, TypeError, ValueError):
            self.dropped += 1
            return []
        if ring != self.ring_id or not self.syncing or sender not in self.members:
            return []  # from an older configuration: superseded
        self.announced[sender] = (version, digest)
        if set(self.announced) != set(self.members):
            return []
        winner = self._winner()
        winner_digest = self.announced[winner][1]
        if all(d == winner_digest for _, d in self.announced.values()):
            return self._finish_sync()
        if winner == self.node_id:
            return [Broadcast(_encode({"type": "sync", "ring": self.ring_id,
                                       "xml": self.doc.to_text(pretty=False)}))]
        return []

    def _winner(self) -> NodeId:
        # Highest version by precedence; among equals the lowest node id, so all agree.
        return max(self.announced, key=lambda n: (self.announced[n][0], -int(n)))

    def _on_sync(self, sender: NodeId, message: dict[str, Any]) -> list[Output]:
        if message.get("ring") != self.ring_id or not self.syncing:
            return []
        if not self.announced or sender != self._winner():
            self.dropped += 1
            return []
        try:
            incoming = parse_cib(str(message["xml"]))
        except (HaError, KeyError):
            self.dropped += 1
            return []
        outputs: list[Output] = []
        if incoming.version < self.doc.version:
            self.dropped += 1  # not what the winner announced: wait for the next membership
            return []
        if incoming.digest() != self.doc.digest():
            # Catching up with a newer copy is routine; a same-version conflict is not.
            log.log(logging.WARNING if incoming.version == self.doc.version else logging.INFO,
                    "cib replaced by full sync from=%s discarded version=%s kept=%s",
                    sender, self.doc.version, incoming.version)
            self.doc = incoming
            outputs.append(Persist(PERSIST_NAME, self.doc.to_bytes()))
        for node, (version, digest) in sorted(self.announced.items()):
            if digest != incoming.digest() and node != self.node_id:
                log.info("cib copy of node=%s version=%s lost to node=%s", node, version, sender)
        return outputs + self._finish_sync()

    def _finish_sync(self) -> list[Output]:
        self.syncing = False
        log.info("cib sync done ring=%s version=%s", self.ring_id, self.doc.version)
        outputs: list[Output] = []
        queued, self.queued = self.queued, []
        for origin, message in queued:
            outputs += self._apply_update(origin, message)
        return outputs

    # ------------------------------------------------------------------- writes

    def _refuse(self, origin: NodeId, message: dict[str, Any], error: HaError) -> list[Output]:
        request_id = message.get("request_id")
        if origin != self.node_id or not isinstance(request_id, int):
            return []
        if request_id not in self.pending:
            return []
        self.pending.discard(request_id)
        return [_error_reply(request_id, error)]

    def _majority(self) -> int:
        return 1 if self.expected_votes is None else self.expected_votes // 2 + 1

    def _on_applied(self, sender: NodeId, message: dict[str, Any]) -> list[Output]:
        request_id = message.get("request_id")
        if message.get("origin") != int(self.node_id) or request_id not in self.confirming:
            return []
        assert isinstance(request_id, int)
        confirmed = self.confirming[request_id]
        confirmed.add(sender)
        if len(confirmed) < self._majority():
            return []
        del self.confirming[request_id]
        return [Reply(request_id, True, {"version": str(self.doc.version)})]

    def _apply_update(self, origin: NodeId, message: dict[str, Any],
                      quorate: bool = True) -> list[Output]:
        try:
            request = request_from_bytes(str(message["request"]).encode())
        except (HaError, KeyError):
            self.dropped += 1
            return []
        if not quorate or not self.is_quorate():
            return self._refuse(origin, message, HaError.single(
                Code.CIB_NO_QUORUM, "this partition has no quorum: CIB writes are refused"))
        try:
            new, _ = apply_request(self.doc, request)
        except HaError as error:
            return self._refuse(origin, message, error)
        except (ValueError, TypeError) as error:
            # Every replica fails the same way on the same request: refusing it everywhere
            # keeps the copies equal, and peer input never raises out of step().
            return self._refuse(origin, message, HaError.single(
                Code.CIB_DIFF_INVALID, f"the request cannot be applied: {error}"))
        outputs: list[Output] = []
        if new is not self.doc:
            assert new.version >= self.doc.version, "versions never go backwards"
            self.doc = new
            self.applied += 1
            outputs.append(Persist(PERSIST_NAME, new.to_bytes()))
        request_id = message.get("request_id")
        if origin != self.node_id:
            if self.expected_votes is not None:
                # after our Persist: the writer may count us among the majority that has it
                outputs.append(Broadcast(_encode({"type": "applied", "origin": int(origin),
                                                  "request_id": request_id})))
            return outputs
        if request_id in self.pending:
            assert isinstance(request_id, int)
            self.pending.discard(request_id)
            self.confirming[request_id] = {self.node_id}
            outputs += self._on_applied(self.node_id, {"origin": int(self.node_id),
                                                       "request_id": request_id})
        return outputs

