"""Node attributes (Pacemaker's attrd): transient and permanent values, dampening, one writer.

Owns every node's attribute values as the attrd process group agreed on them: an update
is sent to the group and applied only when delivered back, so every member applies the same
updates in the same (Totem agreed) order. One member, the writer (the lowest node name of
the group), turns values into CIB writes: transient ones (lifetime "reboot") go to the
status section's transient_attributes, permanent ones ("forever") to the nodes section.
Dampening is per attribute, as in Pacemaker's attrd: a change of an attribute's value
on any node (re)starts that attribute's delay, and when it expires the values changed
meanwhile are written together. So nodes that notice the same loss (a ping gateway) at
slightly different times reach the CIB in one go, and the scheduler never sees one of them
without the others. When a node leaves, its transient values are gone (the writer erases
them, as Pacemaker's DC does); when nodes join, each member re-sends the values about
itself, the node being the authority on its own state. An attribute created private
(attrd_updater -p) is never written; a refresh (-R) makes the writer write every other
value again. Never touches the CIB or the network itself: AttrdSend and AttrWrite are
outputs that node.py routes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hacluster.common import Codec
from hacluster.events import AttrdRefresh, AttrUpdate, AttrValue, Tick

log = logging.getLogger(__name__)

ATTRD_GROUP = "attrd"
LIFETIMES = ("reboot", "forever")
MAX_NAME = 256
MAX_VALUE = 4096


# ----------------------------------------------------------------- vocabulary of this core


@dataclass(frozen=True, slots=True)
class AttrdDeliver:
    """Input: a message of the attrd group, delivered in agreed order (own ones included)."""

    sender: str
    data: bytes


@dataclass(frozen=True, slots=True)
class AttrdMembers:
    """Input: the node names now in the attrd group (this node included)."""

    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AttrdSend:
    """Output: send `data` to the attrd group (node.py: cpg_send to ATTRD_GROUP)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class AttrWrite:
    """Output: make the CIB say `name`=`value` for `node` (None: remove it). Lifetime
    "reboot": status/node_state/transient_attributes; "forever": nodes/node/instance_attributes."""

    node: str
    name: str
    value: str | None
    lifetime: str


@dataclass(frozen=True, slots=True)
class AttrdStatus:
    node: str
    writer: str | None
    members: tuple[str, ...]
    values: tuple[AttrValue, ...]
    pending_writes: tuple[tuple[str, str, int], ...]  # (node, name, due_ms)
    dropped: int


# ------------------------------------------------------------------- wire messages


@dataclass(frozen=True, slots=True)
class _Set:
    node: str
    name: str
    value: str | None
    lifetime: str
    dampen_ms: int
    private: bool = False
    delay_only: bool = False


@dataclass(frozen=True, slots=True)
class _Refresh:
    """Write every value again (attrd_updater -R)."""


@dataclass(frozen=True, slots=True)
class _Sync:
    """All values about `node`, sent by that node: they replace what others hold."""

    node: str
    values: tuple[AttrValue, ...]


WIRE = Codec({"attrd.set": _Set, "attrd.sync": _Sync, "attrd.refresh": _Refresh})

Input = AttrUpdate | AttrdRefresh | AttrdDeliver | AttrdMembers | Tick
Output = AttrdSend | AttrWrite
Key = tuple[str, str]  # (node, name)


def update_problem(update: AttrUpdate) -> str | None:
    """Why a client's update cannot be applied, or None."""
    if not update.name or len(update.name) > MAX_NAME or any(c in update.name for c in "\0\n"):
        return f"invalid attribute name {update.name!r}"
    if not update.node or len(update.node) > MAX_NAME:
        return f"invalid node name {update.node!r}"
    if update.lifetime not in LIFETIMES:
        return f"invalid lifetime {update.lifetime!r} (reboot or forever)"
    if update.value is not None and (len(update.value) > MAX_VALUE or "\0" in update.value):
        return "invalid attribute value"
    if update.dampen_ms < 0:
        return "dampening cannot be negative"
    return None


class Attrd:
    """The attribute manager of node `node_name`."""

    def __init__(self, node_name: str) -> None:
        self.node_name = node_name
        self._values: dict[Key, AttrValue] = {}
        self._dampen_ms: dict[str, int] = {}  # attribute name -> its dampening
        self._due: dict[str, int] = {}  # writer only: attribute name -> when it gets written
        self._unwritten: set[Key] = set()  # writer only: changed values waiting for _due
        self._private: set[str] = set()  # names created private: never written to the CIB
        self._members: tuple[str, ...] = ()
        self._dropped = 0

    # ------------------------------------------------------------------- contract

    def step(self, now_ms: int, event: Input) -> list[Output]:
        match event:
            case AttrUpdate():
                return self._local_update(event)
            case AttrdRefresh():
                return [AttrdSend(WIRE.encode(_Refresh()))]
            case AttrdDeliver(sender=sender, data=data):
                return self._deliver(now_ms, sender, data)
            case AttrdMembers(members=members):
                return self._membership(now_ms, tuple(sorted(set(members))))
            case Tick():
                return self._flush(now_ms)
        return []

    def next_deadline_ms(self) -> int | None:
        return min(self._due.values()) if self._due else None

    def status(self) -> AttrdStatus:
        return AttrdStatus(
            node=self.node_name, writer=self.writer, members=self._members,
            values=tuple(self._values[k] for k in sorted(self._values)),
            pending_writes=tuple((k[0], k[1], self._due[k[1]])
                                 for k in sorted(self._unwritten) if k[1] in self._due),
            dropped=self._dropped)

    @property
    def writer(self) -> str | None:
        return self._members[0] if self._members else None

    def query(self, name: str, node: str | None = None) -> tuple[AttrValue, ...]:
        """Values of attribute `name` on `node` (every node when None)."""
        return tuple(v for k, v in sorted(self._values.items())
                     if k[1] == name and (node is None or k[0] == node))

    # ------------------------------------------------------------------- inputs

    def _local_update(self, update: AttrUpdate) -> list[Output]:
        problem = update_problem(update)
        if problem is not None:
            self._dropped += 1
            log.debug("attribute update refused: %s", problem)
            return []
        message = _Set(update.node, update.name, update.value, update.lifetime,
                       update.dampen_ms, update.private, update.delay_only)
        return [AttrdSend(WIRE.encode(message))]

    def _deliver(self, now_ms: int, sender: str, data: bytes) -> list[Output]:
        message = WIRE.decode(data)
        if isinstance(message, _Set) and self._is_valid_set(message):
            key = (message.node, message.name)
            if message.delay_only:
                return self._new_delay(now_ms, message.name, message.dampen_ms)
            if message.private and not any(k[1] == message.name for k in self._values):
                self._private.add(message.name)  # Pacemaker: only when it creates it
            self._dampen_ms[message.name] = message.dampen_ms
            new = None if message.value is None else AttrValue(
                message.node, message.name, message.value, message.lifetime)
            return self._apply(now_ms, key, new, message.lifetime)
        if isinstance(message, _Sync) and message.node == sender and all(
                v.node == sender and v.lifetime in LIFETIMES for v in message.values):
            return self._apply_sync(now_ms, message)
        if isinstance(message, _Refresh):
            self._write_all(now_ms)
            return self._flush(now_ms)
        self._dropped += 1
        log.debug("attrd message dropped sender=%s", sender)
        return []

    def _membership(self, now_ms: int, members: tuple[str, ...]) -> list[Output]:
        previous, self._members = self._members, members
        out: list[Output] = []
        for key in sorted(self._values):
            value = self._values[key]
            if value.lifetime == "reboot" and key[0] not in members:
                out += self._apply(now_ms, key, None, "reboot", immediate=True)
        if self.writer == self.node_name and (not previous or previous[0] != self.node_name):
            # A new writer cannot know what the old one left unwritten: write everything.
            log.info("attrd writer is now this node node=%s", self.node_name)
            self._write_all(now_ms)
        elif self.writer != self.node_name:
            self._due.clear()
            self._unwritten.clear()
        if any(member not in previous for member in members):
            mine = tuple(v for k, v in sorted(self._values.items()) if k[0] == self.node_name)
            out.append(AttrdSend(WIRE.encode(_Sync(self.node_name, mine))))
        return out + self._flush(now_ms)

    def _flush(self, now_ms: int) -> list[Output]:
        out: list[Output] = []
        for name in sorted(n for n, due in self._due.items() if due <= now_ms):
            del self._due[name]
            for key in sorted(k for k in self._unwritten if k[1] == name):
                self._unwritten.discard(key)
                value = self._values.get(key)
                if value is not None and name not in self._private:
                    out.append(AttrWrite(key[0], key[1], value.value, value.lifetime))
        return out

    # ------------------------------------------------------------------- applying

    def _apply(self, now_ms: int, key: Key, new: AttrValue | None, lifetime: str,
               immediate: bool = False) -> list[Output]:
        old = self._values.get(key)
        if old == new:
            return []
        if new is None:
            self._values.pop(key, None)
        else:
            self._values[key] = new
        if self.writer != self.node_name or key[1] in self._private:
            return []
        if new is None:
            self._unwritten.discard(key)
            return [AttrWrite(key[0], key[1], None, old.lifetime if old else lifetime)]
        out: list[Output] = []
        if old is not None and old.lifetime != new.lifetime:
            immediate = True  # it moves between sections: remove the old one now
            out.append(AttrWrite(key[0], key[1], None, old.lifetime))
        dampen_ms = 0 if immediate else self._dampen_ms.get(key[1], 0)
        if dampen_ms == 0:
            self._unwritten.discard(key)
            return out + [AttrWrite(key[0], key[1], new.value, new.lifetime)]
        self._unwritten.add(key)
        self._due[key[1]] = now_ms + dampen_ms  # each change restarts the attribute's delay
        return out

    def _write_all(self, now_ms: int) -> None:
        """The writer writes every value it holds at the next flush (a new writer, or -R)."""
        if self.writer != self.node_name:
            return
        for key in sorted(self._values):
            self._unwritten.add(key)
            self._due[key[1]] = now_ms

    def _new_delay(self, now_ms: int, name: str, dampen_ms: int) -> list[Output]:
        """attrd_updater -Y: a changed dampening of `name` writes its values now."""
        if self._dampen_ms.get(name, 0) == dampen_ms:
            return []
        self._dampen_ms[name] = dampen_ms
        if self.writer != self.node_name:
            return []
        for key in sorted(k for k in self._values if k[1] == name):
            self._unwritten.add(key)
        self._due[name] = now_ms
        return self._flush(now_ms)

    def _apply_sync(self, now_ms: int, sync: _Sync) -> list[Output]:
        out: list[Output] = []
        incoming = {(v.node, v.name): v for v in sync.values}
        stale = [k for k in sorted(self._values) if k[0] == sync.node and k not in incoming]
        for key in stale:
            out += self._apply(now_ms, key, None, self._values[key].lifetime, immediate=True)
        for key in sorted(incoming):
            out += self._apply(now_ms, key, incoming[key], incoming[key].lifetime,
                               immediate=True)
        return out

    def _is_valid_set(self, message: _Set) -> bool:
        update = AttrUpdate(message.node, message.name, message.value, message.lifetime,
                            message.dampen_ms)
        return update_problem(update) is None
