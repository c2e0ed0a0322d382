"""The operator-scenario language for the simulated EayunStack cluster (SPEC.md §8, A1-A17).

A script is a list of commands run against a 3-node simulated cluster (node-1..node-3,
fake agents for all 14 resources) that loads the repo's own EayunStack CIB
(src/hacluster/demo/data/eayunstack-cib.xml). Operator commands go through the real CLI
entry points (`pcs ...`, `crm_resource ...`): `environment()` answers them with
`SimCluster`, which reads and writes the simulated CIB as LiveCluster does over IPC, so
the same library code runs. Every command appends its trace lines; `expect ...` lines
assert facts and fail the test at once when they do not hold (a golden rewrite cannot
hide a wrong behaviour).

Commands (NODE is node-1..node-3; RSC a primitive or clone id):
  cluster [empty]            3 nodes up, the EayunStack configuration loaded (empty: no
                             waiting for the first placement)
  pcs WORDS / crm_resource WORDS   run the real CLI; prints rc, stdout (|) and stderr (!)
  settle [MS]                run until the scheduler has nothing left to do
  wait RSC on NODES|nowhere [MS]   run until RSC runs exactly there
  run MS                     advance virtual time
  mark                       start a new window for `moves` and `expect only/none`
  moves                      the start/stop runs since the mark (stops, then starts)
  expect running RSC on NODES|nowhere
  expect only RSC[@NODE]...  every start/stop since the mark is of these (clones by id)
  expect none RSC...         none of these started or stopped since the mark
  expect order [ACT:]A[@NODE] before [ACT:]B[@NODE]   A's run (start unless ACT: stop:...)
                             ended before B's began (since the mark)
  expect failcount RSC@NODE N
  expect constraint ID [absent=1 | NAME=VALUE...]   an rsc_location in the CIB (or none)
  gateway NODE down|up       the ping hosts stop/start answering on NODE
  failop NODE RSC ACTION [RC] [TIMES]   its next runs fail (monitor: the recurring one)
  die RSC on NODE            the resource stops by itself (its next monitor finds it gone)
  crash NODE / start NODE    the machine dies / boots again
  status                     where every top-level resource runs
"""

from __future__ import annotations

import contextlib
import io
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lxml import etree

import hacluster.demo
from hacluster.api import env as api_env
from hacluster.cib import CIBDocument, CIBRequest, apply_request
from hacluster.cli import crm_resource
from hacluster.cli import pcs as pcs_cli
from hacluster.common import HaError, NodeId
from hacluster.events import AttrdQuery, AttrUpdate, ClientRequest, Reply, RunScheduler
from hacluster.scheduler import schedule
from hacluster.sim import World
from hacluster.sim.agents import Failure, LoggedRun
from hacluster.sim.world import WALL_OFFSET_MS
from hacluster.totem import params_for_token

CIB_PATH = Path(hacluster.demo.__file__).parent / "data" / "eayunstack-cib.xml"
NODES = ("node-1", "node-2", "node-3")
CLIS: dict[str, Callable[[list[str]], int]] = {"pcs": pcs_cli.main,
                                               "crm_resource": crm_resource.main}


def configuration_xml() -> str:
    root = etree.parse(str(CIB_PATH)).getroot()
    return etree.tostring(root.find("configuration")).decode()


class SimCluster:
    """A CIBEnvironment on the simulated cluster: reads the CIB of the operator's node
    (the lowest live one), writes through it and runs the world until the write is
    answered, as LiveCluster does over haclusterd's socket."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.replies: dict[int, Reply] = {}
        world.listeners.append(self._hear)

    def _hear(self, _node: NodeId, item: Any) -> None:
        if isinstance(item, Reply):
            self.replies[item.request_id] = item

    @property
    def node(self) -> NodeId:
        return min(self.world.nodes)

    def read(self) -> CIBDocument:
        cib = self.world.nodes[self.node].cib
        assert cib is not None
        return cib.replica.doc

    def submit(self, request: CIBRequest) -> CIBDocument:
        apply_request(self.read(), request, api_env.schema_check)  # refused here first
        request_id = self.world.cib_write(self.node, request, "operator")
        answered = self.world.run_for(10_000, lambda: request_id in self.replies)
        assert answered, "the simulated cluster did not answer a CIB write"
        reply = self.replies.pop(request_id)
        if not reply.ok:  # as LiveCluster raises the daemon's refusal
            raise HaError(reply.problems)
        return self.read()

    def attrd_call(self, request: AttrUpdate | AttrdQuery) -> Any:
        """attrd_updater's request to the operator's node, as haclusterd's socket takes it."""
        self.world.counter += 1
        request_id = self.world.counter
        self.world.inject(self.node, ClientRequest(request_id, request))
        answered = self.world.run_for(10_000, lambda: request_id in self.replies)
        assert answered, "the simulated cluster did not answer an attrd request"
        reply = self.replies.pop(request_id)
        if not reply.ok:
            raise HaError(reply.problems)
        return reply.body

    def now_s(self) -> int:
        return (WALL_OFFSET_MS + self.world.now_ms) // 1000


@contextlib.contextmanager
def operator_on(cluster: SimCluster) -> Iterator[None]:
    """The CLIs' environment() answers with the simulated cluster while a command runs."""
    saved = api_env.environment
    api_env.environment = lambda *_a, **_k: cluster  # type: ignore[assignment]
    try:
        yield
    finally:
        api_env.environment = saved


def base(rsc: str) -> str:
    return rsc.split(":")[0]


class Scenario:
    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.world: World | None = None
        self.cluster: SimCluster | None = None
        self.out: list[str] = []
        self.mark_at = 0
        self.top: dict[str, str] = {}  # top-level id -> primitive id
        self.snapshots: list[str] = []  # CIB text before each operator command
        self.scheduled: list[RunScheduler] = []  # every input the DC's scheduler got

    @property
    def w(self) -> World:
        assert self.world is not None
        return self.world

    @property
    def env(self) -> SimCluster:
        assert self.cluster is not None
        return self.cluster

    def run(self, commands: list[str]) -> list[str]:
        for line in commands:
            self.out.append(f"> {line}")
            word, *args = shlex.split(line)
            handler = getattr(self, f"do_{word}", None)
            assert handler is not None, f"unknown command {word!r}"
            handler(args)
        assert not self.w.checker.violations, self.w.checker.violations[:5]
        return self.out

    # ------------------------------------------------------------------ the cluster

    def do_cluster(self, args: list[str]) -> None:
        ids = [NodeId(n) for n in (1, 2, 3)]
        self.world = World(self.seed, ids, params_for_token(1000), crm=True,
                           name_prefix="node-")
        self.cluster = SimCluster(self.world)
        self.world.listeners.append(self._hear)
        assert self.w.run_for(10_000, self.w.is_converged), "the ring did not form"
        conf = configuration_xml()
        self.env.submit(CIBRequest("replace", conf, "configuration"))
        for clone in etree.fromstring(conf).iter("clone"):
            self.top[str(clone.get("id"))] = str(clone.find("primitive").get("id"))
        for prim in etree.fromstring(conf).find("resources").findall("primitive"):
            self.top[str(prim.get("id"))] = str(prim.get("id"))
        if "empty" not in args:
            self.do_settle(["120000"], quiet=True)
            self.do_wait(["vip__public", "on", "node-1", "60000"], quiet=True)
            self.do_settle(["60000"], quiet=True)
            self.status()

    def _hear(self, _node: NodeId, item: Any) -> None:
        if isinstance(item, RunScheduler):
            self.scheduled.append(item)

    def do_crash(self, args: list[str]) -> None:
        self.w.crash(self.w.node_id_of(args[0]))

    def do_start(self, args: list[str]) -> None:
        self.w.start(self.w.node_id_of(args[0]))

    def do_run(self, args: list[str]) -> None:
        self.w.run_for(int(args[0]))

    def do_settle(self, args: list[str], quiet: bool = False) -> None:
        limit = int(args[0]) if args else 120_000
        settled = self.w.run_for(limit, self.is_settled)
        assert settled, f"not settled after {limit} ms"
        if not quiet:  # how long it took is no fact of the scenario: timings vary
            self.out.append("  settled")

    def is_settled(self) -> bool:
        if self.w.now_ms % 250:  # ask the scheduler now and then, not after every event
            return False
        for node in self.w.nodes.values():
            crm = node.status().controller
            if crm is None or crm.pending_ops or crm.dc is None or not crm.joined:
                return False
            if crm.is_dc and crm.transition is not None:
                return False
        # The scheduler as the DC runs it: with the DC's quorum (the CIB's have-quorum
        # stays "1" in a partition that lost quorum: the DC's write of it needs quorum).
        dc = next(n for n in self.w.nodes.values() if n.status().controller.is_dc)
        root = self.env.read().copy_root()
        root.set("have-quorum", "1" if dc.status().quorum.quorate else "0")
        return not [a for a in schedule(root, self.env.now_s()).executed()
                    if a.runnable and not a.pseudo]

    def do_wait(self, args: list[str], quiet: bool = False) -> None:
        rsc, where = args[0], args[2]
        limit = int(args[3]) if len(args) > 3 else 60_000
        want = () if where == "nowhere" else tuple(sorted(where.split(",")))
        ok = self.w.run_for(limit, lambda: self.where(rsc) == want)
        assert ok, f"{rsc} not on {where} after {limit} ms but on {self.where(rsc)}"
        if not quiet:
            self.out.append(f"  {rsc} on {where} within {limit} ms")

    # ------------------------------------------------------------------ operator actions

    def cli(self, name: str, args: list[str]) -> None:
        self.snapshots.append(self.env.read().to_bytes().decode())
        stdout, stderr = io.StringIO(), io.StringIO()
        with operator_on(self.env), contextlib.redirect_stdout(stdout), \
                contextlib.redirect_stderr(stderr):
            rc = CLIS[name](args)
        self.last_rc = rc
        self.out.append(f"  rc={rc}")
        self.out += [f"  | {line}" for line in stdout.getvalue().splitlines()]
        self.out += [f"  ! {line}" for line in stderr.getvalue().splitlines()]

    def do_pcs(self, args: list[str]) -> None:
        self.cli("pcs", args)

    def do_crm_resource(self, args: list[str]) -> None:
        self.cli("crm_resource", args)

    def do_gateway(self, args: list[str]) -> None:
        if args[1] == "down":
            self.w.agents.unreachable.add(args[0])
        else:
            self.w.agents.unreachable.discard(args[0])

    def do_failop(self, args: list[str]) -> None:
        node, rsc, action = args[0], self.primitive(args[1]), args[2]
        rc = int(args[3]) if len(args) > 3 else 1
        times = int(args[4]) if len(args) > 4 else 1
        instance = self.instance_on(node, rsc) or rsc
        interval = -1 if action != "monitor" else self.recurring_ms(rsc)
        self.w.agents.script(Failure(node, instance, action, rc, times=times,
                                     interval_ms=interval))

    def do_die(self, args: list[str]) -> None:
        node = args[2]
        instance = self.instance_on(node, self.primitive(args[0]))
        assert instance is not None, f"{args[0]} does not run on {node}"
        self.w.agents.fail_resource(node, instance)

    # ------------------------------------------------------------------ observations

    def do_mark(self, _args: list[str]) -> None:
        self.mark_at = len(self.w.agents.log)

    def runs(self) -> list[tuple[str, str, str, int]]:
        """(action, primitive, node, rc) of the start/stop runs since the mark."""
        return [(r.action, base(r.rsc), r.node, r.rc) for r in self.w.agents.log[self.mark_at:]]

    def do_moves(self, _args: list[str]) -> None:
        """Stops, then starts, each sorted: runs in parallel end in any order (`expect
        order` states the orders that matter)."""
        runs = sorted(self.runs(), key=lambda r: (r[0] != "stop", r[1], r[2]))
        self.out += [f"  {a} {r} on {n}" + (f" rc={rc}" if rc else "") for a, r, n, rc in runs]
        if not runs:
            self.out.append("  (nothing started or stopped)")

    def do_status(self, _args: list[str]) -> None:
        self.status()

    def status(self) -> None:
        for top in self.top:
            self.out.append(f"  {top}: {' '.join(self.where(top)) or 'stopped'}")

    def do_expect(self, args: list[str]) -> None:
        kind, rest = args[0], args[1:]
        if kind == "running":
            want = () if rest[2] == "nowhere" else tuple(sorted(rest[2].split(",")))
            got = self.where(rest[0])
            assert got == want, f"expected {rest[0]} on {want}, it runs on {got}"
        elif kind == "only":
            allowed = [self.target(t) for t in rest]
            for action, rsc, node, _ in self.runs():
                assert any(r == rsc and n in ("", node) for r, n in allowed), (
                    f"unexpected {action} of {rsc} on {node}; allowed only {rest}")
        elif kind == "none":
            touched = {rsc for _, rsc, _, _ in self.runs()}
            moved = sorted(touched & {self.primitive(r) for r in rest})
            assert not moved, f"{moved} started or stopped"
        elif kind == "order":
            self.expect_order(rest[0], rest[2])
        elif kind == "constraint":
            self.expect_constraint(rest[0], dict(pair.split("=", 1) for pair in rest[1:]))
        elif kind == "failcount":
            rsc, node = rest[0].split("@")
            got = self.failcount(rsc, node)
            assert got == int(rest[1]), f"fail count of {rsc} on {node} is {got}"
        else:
            raise AssertionError(f"unknown expectation {kind!r}")
        self.out.append(f"  ok: {' '.join(args)}")

    def expect_constraint(self, cid: str, attrs: dict[str, str]) -> None:
        """`attrs` of rsc_location `cid`; `absent=1` when there must be none."""
        found = self.env.read().find_by_id(cid, "rsc_location")
        if attrs.pop("absent", None):
            assert found is None, f"{cid} is still in the CIB"
            return
        assert found is not None, f"no rsc_location {cid} in the CIB"
        got = {k: found.get(k) for k in attrs}
        assert got == attrs, f"{cid} has {got}, expected {attrs}"

    def expect_order(self, first: str, then: str) -> None:
        """[ACTION:]RSC[@NODE] (ACTION start unless given): every such run of `first`
        since the mark ended before any such run of `then` began."""
        log = self.w.agents.log[self.mark_at:]

        def runs(text: str) -> list[LoggedRun]:
            action, _, target = text.rpartition(":") if ":" in text.split("@")[0] \
                else ("start", "", text)
            rsc, node = self.target(target)
            return [r for r in log if r.action == action and base(r.rsc) == rsc
                    and node in ("", r.node)]

        before, after = runs(first), runs(then)
        assert before and after, f"no run of {first} or {then} since the mark"
        assert max(r.at_ms for r in before) <= min(r.began_ms for r in after), (
            f"{then} began before {first} ended")

    def failcount(self, rsc: str, node: str) -> int:
        prim = self.primitive(rsc)
        total = 0
        for pair in self.env.read().root.xpath(
                "//node_state[@uname=$n]/transient_attributes//nvpair",
                                          n=node):
            name = str(pair.get("name", ""))
            if name.startswith("fail-count-") and base(name[11:].split("#")[0]) == prim:
                total += int(pair.get("value", "0"))
        return total

    # ------------------------------------------------------------------ naming

    def primitive(self, rid: str) -> str:
        return self.top.get(rid, rid)

    def target(self, text: str) -> tuple[str, str]:
        rsc, _, node = text.partition("@")
        return self.primitive(rsc), node

    def where(self, rid: str) -> tuple[str, ...]:
        prim = self.primitive(rid)
        return tuple(sorted({node for node in NODES
                             if self.instance_on(node, prim) is not None}))

    def instance_on(self, node: str, prim: str) -> str | None:
        for (where, rsc) in sorted(self.w.agents.states()):
            if where == node and base(rsc) == prim:
                return rsc
        return None

    def recurring_ms(self, prim: str) -> int:
        root = self.env.read().root
        for op in root.iter("op"):
            parent = op.getparent().getparent()
            if parent.get("id") == prim and op.get("name") == "monitor":
                return int(str(op.get("interval", "0")).rstrip("s")) * 1000
        return -1
