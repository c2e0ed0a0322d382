"""The simulated world: a virtual clock in int ms, an event heap ordered by (time, seq),
N real `Node`s, the seeded network, fault injection, and the checker fed by every output.

Owns virtual time and the delivery of datagrams and ticks, and (with `cib=True`) each
node's CIB replica, its persisted cib.xml (kept across crashes in `storage`, as a disk
would) and the CIB clients' writes. With `secauth_key` every datagram is sealed and opened
as the daemons' edge does (secauth, a new boot epoch per incarnation), so a hostile relay
(NetworkOptions.relay) meets the same checks as live; drops are counted by reason in `drops`. Must never read a real clock or use randomness other
than its random.Random(seed); two runs of one seed are identical.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hacluster.cib import (
    CIBReplica,
    CIBRequest,
    SchemaLookup,
    content_digest,
    parse_persisted,
)
from hacluster.common import NodeId
from hacluster.events import (
    AttrUpdate,
    CibWrite,
    ClientRequest,
    ConfigChange,
    CpgJoinRequest,
    CpgLeaveRequest,
    CpgSendRequest,
    Deliver,
    Multicast,
    PacketIn,
    PeerUnreachable,
    Persist,
    ProcessExited,
    QuorumNotice,
    Reply,
    RunAgent,
    RunScheduler,
    Send,
    SendRequest,
    Shutdown,
    Tick,
)
from hacluster.node import RING_SEQ_FILE, Node, initial_cib, run_scheduler
from hacluster.quorum import QuorumSettings, settings_for
from hacluster.sim.agents import FakeAgents
from hacluster.sim.checks import Checker, Incarnation
from hacluster.sim.network import Network, NetworkOptions
from hacluster.totem import TotemParams, TotemState, secauth

simlog = logging.getLogger("hacluster.sim")
PERSIST_CIB = "cib.xml"
TICK, PACKET, UNREACHABLE, CIB_CLIENT, INPUT, FORGED = -1, 0, 1, 2, 3, 4
WALL_OFFSET_MS = 1_767_225_600_000  # virtual time 0 is 2026-01-01T00:00:00Z on the wall
SCHEDULER_MS = 5  # how long the (inline) scheduler "takes" in virtual time


LocalRequest = SendRequest | CpgJoinRequest | CpgLeaveRequest | CpgSendRequest | ProcessExited


def describe_request(event: LocalRequest) -> str:
    """One trace word list per local request (payloads cut to 24 bytes, as deliveries are)."""
    match event:
        case SendRequest(data=data, safe=safe):
            return f"send{' safe' if safe else ''} {data[:24]!r}"
        case CpgJoinRequest(group=group, pid=pid):
            return f"cpg_join {group} {pid}"
        case CpgLeaveRequest(group=group, pid=pid, reason=reason):
            return f"cpg_leave {group} {pid} {reason}"
        case CpgSendRequest(group=group, pid=pid, data=data):
            return f"cpg_send {group} {pid} {data[:24]!r}"
        case ProcessExited(pid=pid):
            return f"process_exit {pid}"
    raise AssertionError(event)


class VirtualTimeAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Stamps each core log line with virtual time and the node id."""

    def __init__(self, logger: logging.Logger, world: World, node_id: NodeId) -> None:
        super().__init__(logger, {})
        self.world = world
        self.node_id = node_id

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        return f"t={self.world.now_ms} node={self.node_id} {msg}", kwargs


@dataclass(slots=True)
class World:
    seed: int
    node_ids: Sequence[NodeId]
    params: TotemParams = field(default_factory=TotemParams)
    options: NetworkOptions = field(default_factory=NetworkOptions)
    quorum: QuorumSettings | None = None
    trace: list[str] | None = None
    now_ms: int = 0
    rng: random.Random = field(init=False)
    network: Network = field(init=False)
    checker: Checker = field(default_factory=Checker)
    nodes: dict[NodeId, Node] = field(default_factory=dict)
    incarnation: dict[NodeId, int] = field(default_factory=dict)
    storage: dict[NodeId, dict[str, bytes]] = field(default_factory=dict)
    heap: list[tuple[int, int, NodeId, int, bytes | None]] = field(default_factory=list)
    tick_at: dict[NodeId, int] = field(default_factory=dict)
    counter: int = 0
    events: int = 0
    submitted: int = 0
    listeners: list[Callable[[NodeId, Any], None]] = field(default_factory=list)
    icmp: bool = False  # report PeerUnreachable for datagrams sent to a crashed node
    # forged PeerUnreachable reports (a fault) are stepped only while this holds
    forging: bool = True
    cib: bool = False  # each node hosts a CIBReplica (CPG group "cib")
    # validate-with -> schema check, given to every replica (the test loads the schemas)
    cib_schemas: SchemaLookup | None = None
    cib_requests: dict[tuple[Incarnation, int], str] = field(default_factory=dict)
    cib_clients_until_ms: int = -1
    cib_writes: int = 0
    cib_rng: random.Random = field(init=False)
    cib_status_share: float = 0.0
    cib_status_rng: random.Random = field(init=False)
    # With `crm`, each node also runs its controller and executor; RunAgent outputs go to
    # the fake `agents` (seeded from the world), or to `agent_runner(world, node, run)`.
    crm: bool = False
    executor_factory: Callable[[NodeId], Any] | None = None
    agent_runner: Callable[[World, NodeId, RunAgent], None] | None = None
    inputs: dict[int, Any] = field(default_factory=dict)
    secauth_key: bytes | None = None
    sealers: dict[NodeId, secauth.Secauth] = field(default_factory=dict)
    drops: Counter[str] = field(default_factory=Counter)
    agents: FakeAgents = field(init=False)
    # node N is called f"{name_prefix}{N}" (uname in the CIB, the fake agents' node key)
    name_prefix: str = "node"

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.network = Network(random.Random(self.rng.getrandbits(64)), self.options)
        self.cib_rng = random.Random(self.seed ^ 0xC1B)  # CIB clients never shift the rest
        self.cib_status_rng = random.Random(self.seed ^ 0x57A7)
        self.agents = FakeAgents(random.Random(self.seed ^ 0xA6E))
        if self.quorum is None:
            self.quorum = settings_for(self.node_ids)
        for node_id in self.node_ids:
            self.start(node_id)

    # ------------------------------------------------------------------ nodes

    def node_name(self, node_id: NodeId) -> str:
        return f"{self.name_prefix}{int(node_id)}"

    def node_id_of(self, name: str) -> NodeId:
        assert name.startswith(self.name_prefix), name
        return NodeId(int(name.removeprefix(self.name_prefix)))

    def who(self, node_id: NodeId) -> Incarnation:
        return (node_id, self.incarnation.get(node_id, 0))

    def alive(self) -> set[Incarnation]:
        return {self.who(n) for n in self.nodes}

    def start(self, node_id: NodeId) -> None:
        assert node_id not in self.nodes
        self.incarnation[node_id] = self.incarnation.get(node_id, -1) + 1
        stored = self.storage.setdefault(node_id, {}).get(RING_SEQ_FILE, b"0")
        logger = VirtualTimeAdapter(logging.getLogger("hacluster.totem"), self, node_id)
        executor = self.executor_factory(node_id) if self.executor_factory else None
        node = Node(node_id, self.node_ids, self.params, random.Random(self.rng.getrandbits(64)),
                    quorum=self.quorum, ring_seq=int(stored), logger=logger,
                    cib=self._replica(node_id) if self.cib or self.crm else None,
                    crm=self.crm, executor=executor, wall_offset_ms=WALL_OFFSET_MS,
                    rsctmp_dir=f"/sim/{self.node_name(node_id)}/rsctmp")
        self.nodes[node_id] = node
        if self.secauth_key is not None:  # each boot seals under a newer epoch
            self.sealers[node_id] = secauth.Secauth(self.secauth_key, node_id,
                                                    self.incarnation[node_id] + 1)
        self._reschedule(node_id)

    def _replica(self, node_id: NodeId) -> CIBReplica:
        """A replica started from what the node persisted (a crash keeps the disk)."""
        saved = self.storage[node_id].get(PERSIST_CIB)
        doc, lineage = parse_persisted(saved) if saved is not None else (None, None)
        if doc is None and self.crm:
            doc = initial_cib(self.node_ids, {n: self.node_name(n) for n in self.node_ids})
        # Quorum comes from the node's votequorum: partitions never both write.
        return CIBReplica(node_id, doc, lineage=lineage,
                          node_name=self.node_name(node_id) if self.crm else None,
                          schemas=self.cib_schemas)

    def cib_write(self, node_id: NodeId, request: CIBRequest, name: str = "") -> int:
        """A CIB client's write at a node; its Reply is recorded by the checker under `name`."""
        self.counter += 1
        request_id = self.counter
        self.cib_requests[(self.who(node_id), request_id)] = name
        self._note(f"cib write node={node_id} {name}")
        self._step(node_id, ClientRequest(request_id, CibWrite(request.to_bytes())))
        return request_id

    def start_cib_clients(self, until_ms: int, status_share: float = 0.0) -> None:
        """CIB clients write on random live nodes, every few hundred ms, until `until_ms`;
        a `status_share` of the writes are status updates of the node's own node_state
        (an op result, as a controller records it: no quorum needed, must survive too)."""
        assert self.cib, "the world runs without CIB replicas"
        self.cib_clients_until_ms = until_ms
        self.cib_status_share = status_share
        self._push(self.now_ms + self.cib_rng.randint(1, 300), NodeId(0), CIB_CLIENT, None)

    def _cib_client(self) -> None:
        if self.now_ms >= self.cib_clients_until_ms:
            return
        up = [n for n in sorted(self.nodes) if self.nodes[n].totem.state is not TotemState.LEFT]
        if up:
            self.cib_writes += 1
            name = f"w{self.cib_writes}"
            node = self.cib_rng.choice(up)
            # a second stream of draws: status writes never shift the configuration writes
            if self.cib_status_share and self.cib_status_rng.random() < self.cib_status_share:
                self.cib_write(node, _op_result(node, name), name)
            else:
                self.cib_write(node, CIBRequest(
                    "create", f'<primitive id="{name}" class="ocf" provider="pacemaker" '
                              f'type="Dummy"/>', "resources"), name)
        self._push(self.now_ms + self.cib_rng.randint(20, 400), NodeId(0), CIB_CLIENT, None)

    def crash(self, node_id: NodeId, power_off: bool = True) -> None:
        """The node stops; with `power_off` (a machine, not just the daemon) its resources
        stop with it."""
        if power_off:
            self.agents.power_off(self.node_name(node_id))
        if node_id in self.nodes:
            self.checker.forget(self.who(node_id))
            del self.nodes[node_id]
            self.tick_at.pop(node_id, None)
            self._note(f"crash {node_id}")

    def shutdown(self, node_id: NodeId) -> None:
        self._step(node_id, Shutdown())
        self.checker.forget(self.who(node_id))

    def submit(self, node_id: NodeId, size: int = 0, safe: bool = False) -> bytes:
        """Queue an application message (agreed, or safe) at a node; returns its payload."""
        who = self.who(node_id)
        self.submitted += 1
        head = b"m:%d:%d:%d:" % (who[0], who[1], self.submitted)
        data = head + b"x" * max(0, size - len(head))
        self.checker.on_submit(who, data)
        self.request(node_id, SendRequest(data, safe))
        return data

    def request(self, node_id: NodeId, event: LocalRequest) -> None:
        """A local client's request at a node: stepped like any input, and traced."""
        self._note(f"request node={node_id} {describe_request(event)}")
        self._step(node_id, event)

    # ------------------------------------------------------------------ running

    def run_until(self, end_ms: int, stop: Callable[[], bool] | None = None) -> bool:
        """Process events up to end_ms; True as soon as `stop()` holds."""
        while self.heap and self.heap[0][0] <= end_ms:
            at, _, node_id, kind, data = heapq.heappop(self.heap)
            self.now_ms = max(self.now_ms, at)
            if kind == CIB_CLIENT:
                self._cib_client()
                continue
            if node_id not in self.nodes:
                continue
            if kind == INPUT:
                self._step(node_id, self.inputs.pop(int(data or b"0")))
                self.events += 1
                if stop is not None and stop():
                    return True
                continue
            if kind == TICK:
                if self.tick_at.get(node_id) != at:
                    continue
                del self.tick_at[node_id]
                self._step(node_id, Tick())
            elif kind == UNREACHABLE or kind == FORGED:
                assert data is not None
                if kind == FORGED and not self.forging:
                    continue
                self._step(node_id, PeerUnreachable(NodeId(int(data))))
            else:
                assert data is not None
                opened = self._open(node_id, data)
                if opened is None:
                    continue
                self._step(node_id, PacketIn(opened))
            self.events += 1
            if stop is not None and stop():
                return True
        self.now_ms = max(self.now_ms, end_ms)
        return stop() if stop is not None else False

    def run_for(self, ms: int, stop: Callable[[], bool] | None = None) -> bool:
        return self.run_until(self.now_ms + ms, stop)

    def _step(self, node_id: NodeId, event: Any) -> None:
        node = self.nodes[node_id]
        outputs = node.step(self.now_ms, event)
        self._apply(node_id, outputs)
        self._reschedule(node_id)

    def _reschedule(self, node_id: NodeId) -> None:
        deadline = self.nodes[node_id].next_deadline_ms()
        if deadline is None:
            return
        deadline = max(deadline, self.now_ms)
        current = self.tick_at.get(node_id)
        if current is not None and current <= deadline:
            return
        self.tick_at[node_id] = deadline
        self._push(deadline, node_id, TICK, None)

    def _run_agent(self, node_id: NodeId, run: RunAgent) -> None:
        if self.agent_runner is not None:
            self.agent_runner(self, node_id, run)
            return
        fake = self.agents.run(self.node_name(node_id), self.now_ms, run)
        if fake.done is not None:
            self.inject(node_id, fake.done, fake.done_at_ms - self.now_ms)
        if fake.attribute is not None:  # as attrd_updater asks the node's attrd
            update = fake.attribute
            self.counter += 1
            self.inject(node_id, ClientRequest(self.counter, AttrUpdate(
                "", update.name, update.value, "reboot", update.dampen_ms)),
                fake.done_at_ms - self.now_ms)
        if fake.power_off:
            target = self.node_id_of(fake.power_off)
            self.crash(target)

    def inject(self, node_id: NodeId, event: Any, delay_ms: int = 0) -> None:
        """Step `event` (AgentDone, SchedulerDone, ...) at the node after `delay_ms`."""
        self.counter += 1
        self.inputs[self.counter] = event
        self._push(self.now_ms + delay_ms, node_id, INPUT, str(self.counter).encode())

    def forge_unreachable(self, at: int, fooled: NodeId, victim: NodeId) -> None:
        """A forged ICMP port-unreachable report about `victim` reaching `fooled` at `at`.
        Forgeries are a fault: `stop_forging()` (the heal) drops the ones still in flight."""
        self._push(at, fooled, FORGED, str(int(victim)).encode())

    def stop_forging(self) -> None:
        """Heal the forged-ICMP fault: reports still queued are dropped, none are stepped."""
        self.forging = False

    def _push(self, at: int, node_id: NodeId, kind: int, data: bytes | None) -> None:
        self.counter += 1
        heapq.heappush(self.heap, (at, self.counter, node_id, kind, data))

    def _apply(self, node_id: NodeId, outputs: list[Any]) -> None:
        who = self.who(node_id)
        for item in outputs:
            for listener in self.listeners:
                listener(node_id, item)
            match item:
                case Send(dst=dst, data=data):
                    self._transmit(node_id, dst, self._seal(node_id, data, dst))
                case Multicast(data=data):
                    wire = self._seal(node_id, data, secauth.EVERY_MEMBER)
                    for dst in self.node_ids:
                        if dst != node_id:
                            self._transmit(node_id, dst, wire)
                case Persist(name=name, data=data):
                    self.storage[node_id][name] = data
                    cib = self.nodes[node_id].cib
                    if name == PERSIST_CIB and cib is not None:
                        # the copy after this step: at least as new as the one persisted
                        self.checker.on_cib_persist(self.now_ms, node_id, cib.replica.doc.version)
                        doc, lineage = parse_persisted(data)
                        self.checker.on_cib_copy(self.now_ms, node_id, lineage.position,
                                                 content_digest(doc.configuration))
                case Reply(request_id=request_id, ok=ok):
                    if (who, request_id) in self.cib_requests:
                        name = self.cib_requests.pop((who, request_id))
                        self.checker.on_cib_reply(self.now_ms, node_id, name, ok)
                case Deliver():
                    self.checker.on_deliver(self.now_ms, who, item)
                    self._note(f"deliver node={node_id} ring={item.ring_id} seq={item.seq}.{item.index} "
                               f"{'T ' if item.transitional else ''}{item.data[:24]!r}")
                case ConfigChange():
                    self.checker.on_config(self.now_ms, who, item)
                    self._note(f"config node={node_id} {item.kind} ring={item.ring_id} "
                               f"members={list(item.members)}")
                case QuorumNotice():
                    self.checker.on_quorum(self.now_ms, who, item.quorate, item.members)
                    self.checker.check_quorum(self.now_ms, self.alive())
                case RunScheduler():
                    self.inject(node_id, run_scheduler(item), SCHEDULER_MS)
                case RunAgent():
                    self._run_agent(node_id, item)
                case _:
                    pass

    def _transmit(self, src: NodeId, dst: NodeId, data: bytes) -> None:
        if dst not in self.nodes and self.icmp:
            # like a connected UDP socket seeing ICMP port unreachable from a dead peer
            self._push(self.now_ms + 1, src, UNREACHABLE, str(dst).encode())
        for at in self.network.route(self.now_ms, src, dst):
            self._push(at, dst, PACKET, data)
        for other, at in self.network.relays(self.now_ms, src, dst, self.node_ids):
            self._push(at, other, PACKET, data)

    def _seal(self, node_id: NodeId, data: bytes, dst: int) -> bytes:
        sealer = self.sealers.get(node_id)
        return data if sealer is None else sealer.seal(data, dst)

    def _open(self, node_id: NodeId, data: bytes) -> bytes | None:
        """The plaintext a node's edge passes on, or None (counted by reason)."""
        sealer = self.sealers.get(node_id)
        if sealer is None:
            return data
        opened = sealer.check(data)
        if isinstance(opened, secauth.Opened):
            return opened.data
        self.drops[opened] += 1
        return None

    def _note(self, text: str) -> None:
        if self.trace is not None:
            self.trace.append(f"{self.now_ms} {text}")

    # ------------------------------------------------------------------ observations

    def is_converged(self, expected: Sequence[NodeId] | None = None) -> bool:
        """Every live node operational on one ring made of exactly the live nodes."""
        want = tuple(sorted(expected if expected is not None else self.nodes))
        rings = set()
        for node_id in want:
            node = self.nodes.get(node_id)
            if node is None:
                return False
            st = node.totem
            if st.state is not TotemState.OPERATIONAL or st.cur.members != want:
                return False
            rings.add(st.cur.ring_id)
        return len(rings) == 1

    def cib_problem(self, settle_ms: int = 0) -> str:
        """After healing: every node's CIB has one digest and holds every acknowledged write
        ("" when so). Waits up to `settle_ms` for the last sync to finish first."""
        if not self.cib:
            return ""
        self.run_for(settle_ms, lambda: all(
            n.cib is not None and not n.cib.replica.syncing for n in self.nodes.values()))
        digests = {}
        for node_id, node in sorted(self.nodes.items()):
            assert node.cib is not None
            st = node.cib.replica.status()
            if st.syncing:
                return f"(cib) node {node_id} still syncing at version {st.version}"
            digests[node_id] = (st.digest[:8], str(st.version))
            doc = node.cib.replica.doc
            lost = [name for name in sorted(self.checker.cib_acked) if doc.find_by_id(name) is None]
            if lost:
                return f"(cib) node {node_id} lost acknowledged writes {lost[:4]}"
        if len({d for d, _ in digests.values()}) > 1:
            return f"(cib) copies differ after healing: {digests}"
        return ""

    def rings(self) -> dict[NodeId, tuple[str, tuple[NodeId, ...]]]:
        out = {}
        for node_id, node in sorted(self.nodes.items()):
            st = node.totem
            out[node_id] = (f"{st.state}:{st.cur.ring_id}", st.cur.members)
        return out


def _op_result(node: NodeId, op_id: str) -> CIBRequest:
    """A status update of `node`'s own node_state: one more operation in its lrm history."""
    return CIBRequest(
        "modify", f'<node_state id="{int(node)}"><lrm id="{int(node)}"><lrm_resources>'
                  f'<lrm_resource id="r-{op_id}" type="Dummy" class="ocf" provider="pacemaker">'
                  f'<lrm_rsc_op id="{op_id}" operation="start" rc-code="0"/></lrm_resource>'
                  "</lrm_resources></lrm></node_state>", "status",
        options=frozenset({"allow-create"}), status_of=str(int(node)))
