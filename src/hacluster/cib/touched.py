"""Which node_states a replica's copy changed since a reader last asked.

Owns the count a CIB reader (the DC's controller) uses to rescan only what changed: the
node_state ids (CIBRequest.status_of) of the status writes applied since the last take,
or None when any part may have changed (the first copy, a sync, a configuration write).
Must never do I/O.
"""

from __future__ import annotations


class TouchedStatus:
    def __init__(self) -> None:
        self._ids: set[str] | None = None  # None: anything

    def wrote(self, status_of: str | None) -> None:
        """A write was applied: of one node_state, or (None) a configuration write."""
        if status_of is None:
            self._ids = None
        elif self._ids is not None:
            self._ids.add(status_of)

    def replaced(self) -> None:
        """The whole copy was replaced (a sync)."""
        self._ids = None

    def take(self) -> frozenset[str] | None:
        """What changed since the last take (None: any part may have); a new count."""
        ids, self._ids = self._ids, set()
        return None if ids is None else frozenset(ids)
