"""Port slots for the test labs: concurrent runs of the suite each take ports of their own.

Owns how a lab (three MariaDB or RabbitMQ instances on one host) picks a slot whose ports no
socket listens on. Pure: the caller reads the listening sockets (`ss -ltnH` output) and passes
them in. Must never open a socket or start a process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SLOTS = 250


def ports_are_free(ports: Iterable[int], listening: str) -> bool:
    """No socket in `listening` (`ss -ltnH` output) listens on any of `ports`."""
    return not any(f":{port} " in listening for port in ports)


def first_free_slot(seed: int, listening: str, ports_of: Callable[[int], Iterable[int]]) -> int:
    """The first slot (1-250) from `seed` on whose `ports_of(slot)` are all free; 0 when
    every slot is taken."""
    for offset in range(SLOTS):
        slot = (seed + offset) % SLOTS + 1
        if ports_are_free(ports_of(slot), listening):
            return slot
    return 0


__all__ = ["first_free_slot", "ports_are_free"]
