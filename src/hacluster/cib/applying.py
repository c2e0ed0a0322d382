"""Applying one replicated write as a value: the slow, pure part of a replica's step.

On a large CIB one write costs seconds of CPU (copy, diff, id checks and above all the
RelaxNG check of the whole result, which lxml runs without the interpreter lock). A replica
built with `offload=True` hands that work out as an `ApplyJob` output; the daemon runs
`run_apply(job)` on a worker thread, so its loop keeps Totem's token moving, and steps the
`ApplyDone` back in. A light job (a small copy: `heavy` False) the daemon applies on its loop,
keeping lxml's trees to one thread; only the durable save of its result waits on the worker,
so no node's fsync holds the token. Without offload (the simulator, tests) the replica calls `run_apply`
itself: one function decides the outcome either way, so every copy decides alike.
Must never do I/O or read a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.cib.document import CIBDocument
from hacluster.cib.lineage import Lineage, persisted_bytes
from hacluster.cib.merge import DigestParts, digest_parts
from hacluster.cib.requests import (
    CIBRequest,
    SchemaLookup,
    apply_request,
    is_confined_to_node_state,
)
from hacluster.common import Code, HaError

# The daemon applies writes to copies of at least this size (cib.xml bytes) off its loop:
# below it a write costs milliseconds, and applying it on the loop keeps lxml's trees to one
# thread (such a job is light: only its save leaves the loop).
OFFLOAD_MIN_BYTES = 1_000_000


@dataclass(frozen=True, slots=True)
class ApplyJob:
    """Apply `request` to `doc` (checked with `schemas`); `lineage` is the replica's at the
    time, so the persisted bytes of the result can be made off the loop too. The answer
    comes back as ApplyDone(job_id). `heavy`: the copy is large (or of unknown size), so
    applying it would hold the loop; a light one may be applied there."""

    job_id: int
    doc: CIBDocument
    request: CIBRequest
    schemas: SchemaLookup | None
    lineage: Lineage
    heavy: bool = True


@dataclass(frozen=True, slots=True)
class ApplyDone:
    """The outcome of ApplyJob(job_id): `error` (refused everywhere alike), or `new` with
    the bytes of cib.xml, its digest and digest parts, or neither when the write changed
    nothing."""

    job_id: int
    new: CIBDocument | None = None
    persisted: bytes = b""
    digest: str = ""
    error: HaError | None = None
    parts: DigestParts = ()  # digest_parts(new): the next sync announcement's


def run_apply(job: ApplyJob) -> ApplyDone:
    """The whole outcome of one write. HaError, ValueError and TypeError are refusals (every
    replica fails the same way on the same request); anything else is a bug and raises."""
    request = job.request
    try:
        new, diff = apply_request(job.doc, request, job.schemas)
    except HaError as error:
        return ApplyDone(job.job_id, error=error)
    except (ValueError, TypeError) as error:
        return ApplyDone(job.job_id, error=HaError.single(
            Code.CIB_DIFF_INVALID, f"the request cannot be applied: {error}"))
    status_of = request.status_of
    if status_of is not None and not is_confined_to_node_state(diff, status_of):
        return ApplyDone(job.job_id, error=HaError.single(
            Code.CIB_STATUS_OUT_OF_SCOPE, f"a status update for node {status_of} may "
            f"change only its node_state (id {status_of})", node=status_of))
    if new is job.doc:
        return ApplyDone(job.job_id)
    persisted = persisted_bytes(new, write_lineage(job.lineage, request))
    return ApplyDone(job.job_id, new, persisted, new.digest(), parts=digest_parts(new))


class CopyFacts:
    """What a replica knows of one copy (the document object it holds): its digest, its
    digest parts and the size of its cib.xml, each computed at most once per copy (or
    handed over by an ApplyDone), so a membership change finds them ready."""

    def __init__(self) -> None:
        self._doc: CIBDocument | None = None
        self._digest: str | None = None
        self._parts: DigestParts | None = None
        self._size: int | None = None

    def _of(self, doc: CIBDocument) -> None:
        if doc is not self._doc:
            self._doc, self._digest, self._parts, self._size = doc, None, None, None

    def digest(self, doc: CIBDocument) -> str:
        self._of(doc)
        if self._digest is None:
            self._digest = doc.digest()
        return self._digest

    def parts(self, doc: CIBDocument) -> DigestParts:
        self._of(doc)
        if self._parts is None:
            self._parts = digest_parts(doc)
        return self._parts

    def size(self, doc: CIBDocument) -> int | None:
        self._of(doc)
        return self._size

    def record(self, doc: CIBDocument, size: int, done: ApplyDone | None = None) -> None:
        self._of(doc)
        self._size = size
        if done is not None:
            self._digest, self._parts = done.digest or None, done.parts or None


def write_lineage(lineage: Lineage, request: CIBRequest) -> Lineage:
    """The lineage after applying `request`: configuration writes count, status does not."""
    return lineage.applied() if request.status_of is None else lineage


__all__ = ["OFFLOAD_MIN_BYTES", "ApplyDone", "ApplyJob", "CopyFacts", "run_apply",
           "write_lineage"]
