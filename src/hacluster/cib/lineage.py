"""Which history a CIB copy belongs to: the lineage of quorate configurations (Raft's term
and log index, for a CIB replicated over virtual synchrony), and its persisted form.

Owns `Lineage`: `steps`, the quorate rings whose sync this copy descends from, each with
the number of configuration writes of the previous lineage it started from, and `count`,
the configuration writes applied since the last step; the precedence of two copies and
whether one copy's configuration is contained in another's. The lineage is stored in the
same file as the CIB (a processing instruction before the root, which every XML reader
skips), so a copy and its lineage are always written together. Must never do I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hacluster.cib.document import CIBDocument, CIBVersion, parse_cib

MAX_STEPS = 16  # enough to tell a long-absent copy's fate; older ones are "too old to tell"
PI_TARGET = b"hacluster-lineage"
_PI = re.compile(rb"^<\?hacluster-lineage ([0-9: ]*)\?>\n")


@dataclass(frozen=True, slots=True)
class Step:
    """A quorate configuration (ring seq) whose sync started a new lineage, from a copy that
    had applied `start` configuration writes in the lineage before it."""

    ring: int
    start: int


@dataclass(frozen=True, slots=True)
class Lineage:
    steps: tuple[Step, ...] = ()
    count: int = 0

    def __post_init__(self) -> None:
        assert self.count >= 0 and len(self.steps) <= MAX_STEPS

    @property
    def ring(self) -> int:
        """The quorate ring this copy's configuration descends from (0: none yet)."""
        return self.steps[-1].ring if self.steps else 0

    @property
    def position(self) -> tuple[int, int]:
        """(ring, count): equal positions hold the same configuration; higher wins a sync."""
        return self.ring, self.count

    def applied(self) -> Lineage:
        """One more configuration write applied in this lineage."""
        return Lineage(self.steps, self.count + 1)

    def started(self, ring: int) -> Lineage:
        """The sync of quorate ring `ring` finished with this copy's configuration."""
        assert ring > self.ring, "quorate rings only move forward"
        return Lineage((*self.steps, Step(ring, self.count))[-MAX_STEPS:], 0)

    def contains(self, other: Lineage) -> bool | None:
        """Whether every configuration write of `other` is also in this copy (None: `other`
        branched off before the oldest step kept, so nobody can tell)."""
        if other.ring == self.ring and (other.ring or not other.count):
            return other.count <= self.count
        if not other.ring:  # writes of a lineage whose steps were trimmed away
            return None if other.count else True
        for index, step in enumerate(self.steps[:-1]):
            if step.ring == other.ring:
                return other.count <= self.steps[index + 1].start
        if other.count == 0:  # nothing of its own since its step: its base decides
            if not other.steps:
                return True
            return self.contains(Lineage(other.steps[:-1], other.steps[-1].start))
        if len(self.steps) == MAX_STEPS and other.ring < self.steps[0].ring:
            return None
        return False

    def to_text(self) -> str:
        return " ".join([*(f"{s.ring}:{s.start}" for s in self.steps), str(self.count)])


def lineage_from_text(text: str) -> Lineage | None:
    parts = text.split()
    if not parts or not parts[-1].isdigit():
        return None
    steps = []
    for part in parts[:-1][-MAX_STEPS:]:
        ring, _, start = part.partition(":")
        if not ring.isdigit() or not start.isdigit():
            return None
        steps.append(Step(int(ring), int(start)))
    rings = [s.ring for s in steps]
    if rings != sorted(set(rings)):
        return None
    return Lineage(tuple(steps), int(parts[-1]))


def persisted_bytes(doc: CIBDocument, lineage: Lineage) -> bytes:
    """The bytes of cib.xml: the lineage, then the document."""
    return b"<?%s %s?>\n" % (PI_TARGET, lineage.to_text().encode()) + doc.to_bytes()


def parse_persisted(data: bytes) -> tuple[CIBDocument, Lineage]:
    """A persisted copy and its lineage; a file without one (written before lineages, or by
    an operator) has the empty lineage, which loses to any copy that has been quorate."""
    match = _PI.match(data)
    lineage = lineage_from_text(match.group(1).decode()) if match else None
    return parse_cib(data), lineage or Lineage()


def sync_key(lineage: Lineage, version: CIBVersion, node: int) -> tuple[int, int, CIBVersion, int]:
    """Sync precedence: the latest quorate lineage, then the most configuration writes in
    it, then Pacemaker's version, then the lowest node id (so every member agrees)."""
    return lineage.ring, lineage.count, version, -node
