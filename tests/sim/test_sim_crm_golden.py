"""Cluster-manager scenarios as scripts with expected traces (raft testdata style): each
file in golden_crm/ holds commands, a line `----`, then the trace they must produce. Set
HACLUSTER_UPDATE_GOLDEN=1 to rewrite the traces; review the diff before committing.

Commands: `nodes 1 2 3`, `property NAME=VALUE ...`, `resource ID [monitor=10s]
[META=VALUE ...]`, `run MS`, `wait ID on N[,M]|elsewhere|nowhere [MS]` (runs until the
resource runs as said; prints how long that took), `crash N` (the machine dies), `kill N` (only its daemon), `start N`, `shutdown N`,
`partition 1 | 2 3`, `heal`, `die ID on N` (the resource stops by itself), `failop N ID
ACTION [RC]` (its next run fails), `standby N on|off`, `nodeattr N NAME=VALUE` (a permanent
node attribute), `meta ID NAME=VALUE` (a resource meta-attribute), `monitoring ID` (the
nodes that ran a recurring monitor of ID since the last `monitoring`), `status`.
After every event: a resource never starts on a second node while the network is whole.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hacluster.cib import CIBRequest
from hacluster.common import NodeId
from hacluster.sim import World
from hacluster.sim.agents import Failure
from hacluster.totem import params_for_token

GOLDEN = Path(__file__).parent / "golden_crm"


class Script:
    def __init__(self) -> None:
        self.world: World | None = None
        self.ids: list[NodeId] = []
        self.out: list[str] = []
        self.resources: list[str] = []
        self.props: dict[str, str] = {}
        self.partitioned = False
        self.active: dict[str, set[str]] = {}
        self.monitor_mark: dict[str, int] = {}

    def check(self, _node: NodeId, _item: object) -> None:
        """A resource never starts on a second node while the network is whole (a partition
        without fencing may leave two copies; the heal must then only ever reduce them)."""
        assert self.world is not None
        for rsc in self.resources:
            active = set(self.world.agents.active(rsc))
            grown = active - self.active.get(rsc, set())
            if grown and len(active) > 1 and not self.partitioned:
                self.world.checker.fail(self.world.now_ms, f"{rsc} active on {sorted(active)}")
            self.active[rsc] = active

    def run(self, commands: list[str]) -> list[str]:
        for line in commands:
            word, *args = line.split()
            if word == "nodes":
                self.ids = [NodeId(int(a)) for a in args]
                self.world = World(1, self.ids, params_for_token(1000), crm=True)
                self.world.listeners.append(self.check)
                self.world.run_for(5000, lambda: self.world is not None
                                   and self.world.is_converged())
                continue
            self.out.append(f"> {line}")
            self.check(NodeId(0), None)  # what the last event did (agents act on RunAgent)
            self.apply(word, args)
        assert self.world is not None
        assert not self.world.checker.violations, self.world.checker.violations[:5]
        return self.out

    @property
    def w(self) -> World:
        assert self.world is not None
        return self.world

    def write(self, request: CIBRequest) -> None:
        writer = min(self.w.nodes)
        self.w.cib_write(writer, request)

    def apply(self, word: str, args: list[str]) -> None:
        nums = [NodeId(int(a)) for a in args if a.isdigit()]
        match word:
            case "property":
                self.props.update(a.split("=", 1) for a in args)
                pairs = "".join(f'<nvpair id="opt-{k}" name="{k}" value="{v}"/>'
                                for k, v in sorted(self.props.items()))
                self.write(CIBRequest("replace", '<crm_config><cluster_property_set '
                                      f'id="cib-bootstrap-options">{pairs}'
                                      '</cluster_property_set></crm_config>', "crm_config"))
            case "resource":
                self.write(CIBRequest("create", resource_xml(args[0], args[1:]), "resources"))
                self.resources.append(args[0])
            case "run":
                self.w.run_for(int(args[0]))
            case "wait":
                self.wait(args)
            case "crash":
                self.w.crash(nums[0])
            case "kill":  # the daemon dies; the machine and its resources keep running
                self.w.crash(nums[0], power_off=False)
                self.partitioned = True  # unfenced: a second copy may start elsewhere
            case "start":
                self.w.start(nums[0])
                self.partitioned = bool(self.w.network.blocked)
            case "shutdown":
                self.w.shutdown(nums[0])
            case "partition":
                groups = " ".join(args).split("|")
                self.w.network.partition([[NodeId(int(x)) for x in g.split()] for g in groups])
                self.partitioned = True
            case "heal":
                self.w.network.heal()
                self.partitioned = False
            case "die":
                self.w.agents.fail_resource(f"node{args[2]}", args[0])
            case "failop":
                rc = int(args[3]) if len(args) > 3 else 1
                self.w.agents.script(Failure(f"node{args[0]}", args[1], args[2], rc))
            case "standby":
                node = nums[0]
                self.write(CIBRequest("modify", (
                    f'<node id="{node}" uname="node{node}"><instance_attributes '
                    f'id="nodes-{node}"><nvpair id="nodes-{node}-standby" name="standby" '
                    f'value="{args[1]}"/></instance_attributes></node>'), "nodes"))
            case "nodeattr":
                name, value = args[1].split("=", 1)
                self.write(CIBRequest("modify", (
                    f'<node id="{nums[0]}" uname="node{nums[0]}"><instance_attributes '
                    f'id="nodes-{nums[0]}"><nvpair id="nodes-{nums[0]}-{name}" name="{name}" '
                    f'value="{value}"/></instance_attributes></node>'), "nodes"))
            case "meta":
                name, value = args[1].split("=", 1)
                self.write(CIBRequest("modify", (
                    f'<primitive id="{args[0]}"><meta_attributes id="{args[0]}-meta"><nvpair '
                    f'id="{args[0]}-m-{name}" name="{name}" value="{value}"/>'
                    '</meta_attributes></primitive>'), "resources"))
            case "monitoring":
                self.monitoring(args[0])
            case "status":
                self.status()
            case _:
                raise AssertionError(f"unknown command {word!r}")

    def wait(self, args: list[str]) -> None:
        rsc, where = args[0], args[2]
        limit = int(args[3]) if len(args) > 3 else 30_000
        before = self.w.agents.active(rsc)

        def done() -> bool:
            now = self.w.agents.active(rsc)
            if where == "nowhere":
                return not now
            if where == "elsewhere":
                return len(now) == 1 and now != before
            return now == tuple(f"node{n}" for n in where.split(","))

        start = self.w.now_ms
        ok = self.w.run_for(limit, done)
        took = self.w.now_ms - start
        self.out.append(f"  {rsc} on {','.join(self.w.agents.active(rsc)) or 'nothing'}"
                        f" after {took} ms" if ok else f"  TIMEOUT after {limit} ms")

    def monitoring(self, rsc: str) -> None:
        runs = self.w.agents.monitored
        since = self.monitor_mark.get(rsc, 0)
        nodes = sorted({node for at, node, name in runs[since:] if name == rsc})
        self.monitor_mark[rsc] = len(runs)
        self.out.append(f"  monitoring {rsc}: {' '.join(nodes) or 'nowhere'}")

    def status(self) -> None:
        dcs = sorted({f"{n.status().controller.dc}" for n in self.w.nodes.values()
                      if n.status().controller is not None})
        self.out.append(f"  dc: {' '.join(dcs)}")
        for rsc in self.resources:
            self.out.append(f"  {rsc}: {' '.join(self.w.agents.active(rsc)) or 'stopped'}")
        writer = self.w.nodes[min(self.w.nodes)]
        assert writer.cib is not None
        for pair in writer.cib.replica.doc.xpath("//transient_attributes//nvpair"):
            name = pair.get("name", "")
            if name.startswith("fail-count-"):
                node = pair.getparent().getparent().getparent().get("uname")
                self.out.append(f"  {name}@{node}={pair.get('value')}")


def resource_xml(rsc: str, args: list[str]) -> str:
    opts = dict(a.split("=", 1) for a in args)
    monitor = opts.pop("monitor", "10s")
    meta = "".join(f'<nvpair id="{rsc}-m-{k}" name="{k}" value="{v}"/>'
                   for k, v in sorted(opts.items()))
    block = f'<meta_attributes id="{rsc}-meta">{meta}</meta_attributes>' if meta else ""
    return (f'<primitive id="{rsc}" class="ocf" provider="heartbeat" type="Dummy">{block}'
            f'<operations><op id="{rsc}-monitor" name="monitor" interval="{monitor}"/>'
            '</operations></primitive>')


def cases() -> list[Path]:
    return sorted(GOLDEN.glob("*.txt"))


@pytest.mark.parametrize("path", cases(), ids=[p.stem for p in cases()])
def test_crm_script_gives_its_expected_trace(path: Path) -> None:
    text = path.read_text()
    commands_text, _, expected = text.partition("----\n")
    commands = [c for c in commands_text.splitlines() if c.strip() and not c.startswith("#")]
    got = Script().run(commands)
    if os.environ.get("HACLUSTER_UPDATE_GOLDEN"):
        path.write_text(commands_text + "----\n" + "\n".join(got) + "\n")
        return
    assert "\n".join(got) + "\n" == expected
