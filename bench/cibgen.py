"""Random, valid Pacemaker CIBs from a seed, for the differential test and the benchmark.

Owns the generator only: `generate(seed, nodes=, resources=, mix=)` returns the CIB text and
the feature tags it used, so mismatches can be grouped by feature. Every CIB must pass the
real `crm_verify -x` (pacemaker-3.7 schema, crm_feature_set 3.16.1) and carries a status
section shaped like the ones Pacemaker 2.1 writes (last_0 / monitor_<ms> / last_failure_0
records, op-digests per the recipe in conformance/scheduler/README.md, fail-count attributes).
Must never do I/O or read the clock: same seed, same text. Importable from tests and bench
via `sys.path.insert(0, "<repo>/bench")`; `python bench/cibgen.py SEED` prints one CIB.
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import dataclass, field, replace
from types import MappingProxyType

FEATURE_SET = "3.16.1"
VALIDATE_WITH = "pacemaker-3.7"
UUID = "6b2d7f4c-0000-4000-8000-00000000c1b0"
BASE_TIME_S = 1700000000
MONITOR_TIMEOUT_MS = 20000
ZONES = ("a", "b", "c")


@dataclass(frozen=True, slots=True)
class Mix:
    """Probabilities (0..1) of each feature; one knob per thing a scheduler must get right."""

    node_standby: float = 0.1
    node_offline: float = 0.1
    node_unclean: float = 0.05
    node_unseen: float = 0.0
    stonith: float = 0.5
    no_quorum: float = 0.05
    group: float = 0.15
    clone: float = 0.1
    promotable: float = 0.05
    ipaddr: float = 0.3
    monitor: float = 0.7
    target_stopped: float = 0.05
    unmanaged: float = 0.0
    unique_clone: float = 0.0  # of clones: globally-unique=true, instances "child:N"
    clone_group: float = 0.0  # of plain clones: a cloned group instead of a primitive
    on_fail: float = 0.0  # of primitives: an on-fail policy on the monitor
    utilization: float = 0.0  # of CIBs: placement-strategy with node/resource utilization
    resource_sets: float = 0.0  # of CIBs: one ordered set and one colocated set
    asymmetric: float = 0.0  # of CIBs: symmetric-cluster=false, every resource opted in
    rsc_stickiness: float = 0.1
    migration_threshold: float = 0.1
    default_stickiness: float = 0.5
    location: float = 0.3
    location_rule: float = 0.4
    colocation: float = 0.15
    order: float = 0.15
    running: float = 0.6
    failed_monitor: float = 0.05
    failed_start: float = 0.03
    failed_stop: float = 0.0
    multi_active: float = 0.0
    probes: float = 1.0
    min_nodes: int = 2
    max_nodes: int = 5
    min_resources: int = 1
    max_resources: int = 8


MIXES = MappingProxyType({
    "default": Mix(),
    "primitives": Mix(group=0, clone=0, promotable=0, location=0, colocation=0, order=0,
                      failed_monitor=0, failed_start=0, node_unclean=0, no_quorum=0),
    "location": Mix(group=0, clone=0, promotable=0, colocation=0, order=0, location=0.8,
                    failed_monitor=0, failed_start=0, node_unclean=0, no_quorum=0),
    "groups": Mix(group=0.6, clone=0, promotable=0, colocation=0, order=0, failed_monitor=0,
                  failed_start=0, node_unclean=0, no_quorum=0),
    "clones": Mix(group=0, clone=0.6, promotable=0, failed_monitor=0, failed_start=0,
                  node_unclean=0, no_quorum=0, colocation=0, order=0),
    "promotable": Mix(group=0, clone=0, promotable=0.6, failed_monitor=0, failed_start=0,
                      node_unclean=0, no_quorum=0, colocation=0, order=0),
    "constraints": Mix(location=0.6, colocation=0.5, order=0.5, failed_monitor=0,
                       failed_start=0, node_unclean=0, no_quorum=0),
    "failures": Mix(failed_monitor=0.25, failed_start=0.15, failed_stop=0.05,
                    migration_threshold=0.4, running=0.8),
    "nodes": Mix(node_standby=0.25, node_offline=0.2, node_unclean=0.2, node_unseen=0.05,
                 no_quorum=0.2, running=0.8),
    "advanced": Mix(unique_clone=0.5, clone_group=0.4, on_fail=0.3, utilization=0.5,
                    resource_sets=0.5, clone=0.25, unmanaged=0.05, failed_monitor=0.1,
                    asymmetric=0.3),
    "bench": Mix(node_standby=0.0, node_offline=0.0, node_unclean=0.0, stonith=0.0,
                 no_quorum=0.0, group=0.05, clone=0.02, promotable=0.01, location=0.2,
                 colocation=0.05, order=0.05, running=0.95, failed_monitor=0.01,
                 failed_start=0.0, target_stopped=0.0, monitor=1.0),
})


@dataclass(frozen=True, slots=True)
class Generated:
    seed: int
    xml: str
    features: tuple[str, ...]
    nodes: int
    resources: int


@dataclass(slots=True)
class NodeSpec:
    nid: str
    uname: str
    state: str  # online | offline | unclean | unseen
    standby: bool
    zone: str
    ram: int
    lrm: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Prim:
    rid: str
    agent: tuple[str, str, str]  # class, provider, type
    params: tuple[tuple[str, str], ...]
    monitors: tuple[tuple[int, str], ...]  # (interval_ms, role or "")
    on_fail: str = ""  # of the first monitor
    utilization: tuple[tuple[str, str], ...] = ()


def digest_of(params: dict[str, str]) -> str:
    """Pacemaker 2.1's op-digest: MD5 of the sorted parameter element as text."""
    text = " <parameters" + "".join(f' {k}="{v}"' for k, v in sorted(params.items())) + "/>\n"
    return hashlib.md5(text.encode()).hexdigest()


class Builder:
    """Accumulates one CIB; all randomness comes from the seeded `rng`."""

    def __init__(self, seed: int, n_nodes: int, n_resources: int, mix: Mix) -> None:
        self.rng = random.Random(seed)
        self.mix = mix
        self.n_resources = n_resources
        self.features: set[str] = set()
        self.resources_xml: list[str] = []
        self.constraints_xml: list[str] = []
        self.top_ids: list[tuple[str, str]] = []  # (id, kind)
        self.call_ids: dict[str, int] = {}
        self.stonith = self.chance(mix.stonith)
        self.utilization = self.chance(mix.utilization)
        self.asymmetric = self.chance(mix.asymmetric)
        self.nodes = [self.make_node(i) for i in range(1, n_nodes + 1)]
        self.ip_next = 1

    def chance(self, p: float) -> bool:
        return p > 0 and self.rng.random() < p

    def tag(self, name: str) -> None:
        self.features.add(name)

    def make_node(self, i: int) -> NodeSpec:
        m = self.mix
        state = "online"
        roll = self.rng.random()
        if roll < m.node_offline:
            state = "offline"
        elif roll < m.node_offline + m.node_unclean:
            state = "unclean"
        elif roll < m.node_offline + m.node_unclean + m.node_unseen:
            state = "unseen"
        standby = self.chance(m.node_standby)
        return NodeSpec(str(i), f"node{i}", state, standby, self.rng.choice(ZONES),
                        self.rng.choice((2048, 4096, 8192)))

    # --- operation history -------------------------------------------------------------

    def next_call(self, node: NodeSpec) -> int:
        n = self.call_ids.get(node.nid, 1) + 1
        self.call_ids[node.nid] = n
        return n

    def op(self, node: NodeSpec, prim: Prim, rec_id: str, task: str, interval_ms: int,
           rc: int, target_rc: int, op_status: int = 0, same_call: bool = False) -> str:
        # last_failure_0 repeats the call that failed, so it reuses that call-id.
        call = self.call_ids.get(node.nid, 1) if same_call else self.next_call(node)
        params = dict(prim.params)
        if interval_ms:
            params["CRM_meta_timeout"] = str(MONITOR_TIMEOUT_MS)
        key = f"{call}:{self.rng.randint(1, 40)}:{target_rc}:{UUID}"
        t = BASE_TIME_S + call * 7
        return (f'<lrm_rsc_op id="{prim.rid}_{rec_id}" operation_key="{prim.rid}_{task}_'
                f'{interval_ms}" operation="{task}" crm-debug-origin="do_update_resource" '
                f'crm_feature_set="{FEATURE_SET}" transition-key="{key}" '
                f'transition-magic="{op_status}:{rc};{key}" exit-reason="" '
                f'on_node="{node.uname}" call-id="{call}" rc-code="{rc}" '
                f'op-status="{op_status}" interval="{interval_ms}" last-rc-change="{t}" '
                f'exec-time="{self.rng.randint(5, 90)}" queue-time="0" '
                f'op-digest="{digest_of(params)}"/>')

    def record(self, node: NodeSpec, prim: Prim, ops: list[str]) -> None:
        cls, prov, typ = prim.agent
        pattr = f' provider="{prov}"' if prov else ""
        node.lrm.append(f'<lrm_resource id="{prim.rid}" class="{cls}"{pattr} type="{typ}">'
                        + "".join(ops) + "</lrm_resource>")

    def probe_only(self, node: NodeSpec, prim: Prim) -> None:
        if node.state == "online" and self.chance(self.mix.probes):
            self.record(node, prim, [self.op(node, prim, "last_0", "monitor", 0, 7, 7)])

    def history(self, prim: Prim, placed: dict[str, str]) -> None:
        """Write `prim`'s operation history on every node; `placed` maps uname -> state
        (Started, Promoted, Unpromoted, failed_monitor, failed_start, failed_stop)."""
        for node in self.nodes:
            st = placed.get(node.uname)
            if st is None or node.state == "unseen":
                self.probe_only(node, prim)
                continue
            if node.state == "offline" and not self.chance(0.3):
                continue  # a cleanly stopped node usually has an empty lrm
            self.record(node, prim, self.active_ops(node, prim, st))

    def active_ops(self, node: NodeSpec, prim: Prim, st: str) -> list[str]:
        ops: list[str] = []
        if st == "failed_start":
            ops.append(self.op(node, prim, "last_0", "start", 0, 1, 0))
            ops.append(self.op(node, prim, "last_failure_0", "start", 0, 1, 0, same_call=True))
            self.fail(node, prim, "start_0", "INFINITY")
            return ops
        if st == "failed_stop":
            ops.append(self.op(node, prim, "last_0", "stop", 0, 1, 0))
            ops.append(self.op(node, prim, "last_failure_0", "stop", 0, 1, 0, same_call=True))
            self.fail(node, prim, "stop_0", "INFINITY")
            return ops
        task = "promote" if st == "Promoted" else "start"
        ops.append(self.op(node, prim, "last_0", task, 0, 0, 0))
        failing = st == "failed_monitor" and bool(prim.monitors)
        for k, (interval, role) in enumerate(prim.monitors):
            if role and role != ("Promoted" if st == "Promoted" else "Unpromoted"):
                continue
            target = 8 if st == "Promoted" else 0
            # A failed recurring monitor updates its own record and adds last_failure_0.
            rc = 7 if failing and k == 0 else target
            ops.append(self.op(node, prim, f"monitor_{interval}", "monitor", interval, rc,
                               target))
            if rc != target:
                ops.append(self.op(node, prim, "last_failure_0", "monitor", interval, rc,
                                   target, same_call=True))
                self.fail(node, prim, f"monitor_{interval}", "1")
        return ops

    def fail(self, node: NodeSpec, prim: Prim, op_key: str, count: str) -> None:
        node.attrs[f"fail-count-{prim.rid}#{op_key}"] = count
        node.attrs[f"last-failure-{prim.rid}#{op_key}"] = str(BASE_TIME_S + 100)

    # --- configuration ------------------------------------------------------------------

    def make_prim(self, rid: str, kind: str, meta: dict[str, str] | None = None) -> tuple[Prim, str]:
        params: tuple[tuple[str, str], ...] = ()
        if kind == "ipaddr":
            params = (("ip", f"127.0.{self.ip_next // 250}.{self.ip_next % 250 + 1}"),
                      ("cidr_netmask", "32"))
            self.ip_next += 1
            agent = ("ocf", "heartbeat", "IPaddr2")
        elif kind == "stateful":
            agent = ("ocf", "pacemaker", "Stateful")
        elif kind == "stonith":
            agent = ("stonith", "", "fence_dummy")
        else:
            agent = ("ocf", "pacemaker", "Dummy")
        monitors: tuple[tuple[int, str], ...] = ()
        if kind == "stateful":
            monitors = ((10000, "Promoted"), (11000, "Unpromoted"))
        elif kind == "stonith" or self.chance(self.mix.monitor):
            monitors = ((60000 if kind == "stonith" else 10000, ""),)
        on_fail = ""
        if monitors and kind in ("dummy", "ipaddr") and self.chance(self.mix.on_fail):
            on_fail = self.rng.choice(("ignore", "block", "stop", "restart", "standby"))
            self.tag("on_fail")
        util: tuple[tuple[str, str], ...] = ()
        if self.utilization and kind != "stonith":
            util = (("cpu", str(self.rng.randint(1, 2))),
                    ("memory", str(self.rng.choice((512, 1024, 2048)))))
        prim = Prim(rid, agent, params, monitors, on_fail, util)
        return prim, self.prim_xml(prim, meta or {})

    def prim_xml(self, prim: Prim, meta: dict[str, str]) -> str:
        cls, prov, typ = prim.agent
        pattr = f' provider="{prov}"' if prov else ""
        out = [f'<primitive id="{prim.rid}" class="{cls}"{pattr} type="{typ}">']
        if prim.params:
            out.append(nvset("instance_attributes", f"{prim.rid}-instance_attributes",
                             dict(prim.params)))
        if meta:
            out.append(nvset("meta_attributes", f"{prim.rid}-meta_attributes", meta))
        ops = []
        if prim.utilization:
            out.append(nvset("utilization", f"{prim.rid}-utilization", dict(prim.utilization)))
        for k, (interval, role) in enumerate(prim.monitors):
            rattr = f' role="{role}"' if role else ""
            if k == 0 and prim.on_fail:
                rattr += f' on-fail="{prim.on_fail}"'
            ops.append(f'<op id="{prim.rid}-monitor-interval-{interval // 1000}s" '
                       f'name="monitor" interval="{interval // 1000}s" '
                       f'timeout="{MONITOR_TIMEOUT_MS // 1000}s"{rattr}/>')
        ops.append(f'<op id="{prim.rid}-start-interval-0s" name="start" interval="0s" '
                   'timeout="20s"/>')
        ops.append(f'<op id="{prim.rid}-stop-interval-0s" name="stop" interval="0s" '
                   'timeout="20s"/>')
        out.append("<operations>" + "".join(ops) + "</operations>")
        out.append("</primitive>")
        return "".join(out)

    def rsc_meta(self) -> dict[str, str]:
        meta: dict[str, str] = {}
        if self.chance(self.mix.target_stopped):
            meta["target-role"] = "Stopped"
            self.tag("target_role")
        if self.chance(self.mix.unmanaged):
            meta["is-managed"] = "false"
            self.tag("unmanaged")
        if self.chance(self.mix.rsc_stickiness):
            meta["resource-stickiness"] = self.rng.choice(("0", "50", "200", "INFINITY"))
            self.tag("stickiness")
        if self.chance(self.mix.migration_threshold):
            meta["migration-threshold"] = self.rng.choice(("1", "2", "3"))
            self.tag("migration_threshold")
        return meta

    def host_candidates(self) -> list[NodeSpec]:
        seen = [n for n in self.nodes if n.state != "unseen"]
        online = [n for n in seen if n.state == "online"]
        if online and not self.chance(0.15):
            return online
        return seen

    def pick_state(self) -> str:
        m = self.mix
        roll = self.rng.random()
        for state, p in (("failed_monitor", m.failed_monitor), ("failed_start", m.failed_start),
                         ("failed_stop", m.failed_stop), ("multi_active", m.multi_active),
                         ("Started", m.running)):
            if roll < p:
                return state
            roll -= p
        return "Stopped"

    def place_single(self) -> dict[str, str]:
        state = self.pick_state()
        hosts = self.host_candidates()
        if state == "Stopped" or not hosts:
            return {}
        if state != "Started":
            self.tag(state)
        if state == "multi_active":
            chosen = self.rng.sample(hosts, min(2, len(hosts)))
            return {n.uname: "Started" for n in chosen}
        return {self.rng.choice(hosts).uname: state}

    def add_primitive(self, rid: str) -> None:
        kind = "ipaddr" if self.chance(self.mix.ipaddr) else "dummy"
        prim, xml = self.make_prim(rid, kind, self.rsc_meta())
        self.resources_xml.append(xml)
        self.history(prim, self.place_single())
        self.top_ids.append((rid, "primitive"))

    def add_group(self, gid: str, size: int) -> None:
        self.tag("group")
        placed = self.place_single()
        members = []
        started = self.rng.randint(1, size) if placed else 0
        for k in range(size):
            prim, xml = self.make_prim(f"{gid}-r{k}", "dummy")
            members.append(xml)
            state: dict[str, str] = {}
            if k < started:  # a group starts in order: a prefix of members is active
                state = dict(placed) if k == started - 1 else {u: "Started" for u in placed}
            self.history(prim, state)
        meta = self.rsc_meta()
        mxml = nvset("meta_attributes", f"{gid}-meta_attributes", meta) if meta else ""
        self.resources_xml.append(f'<group id="{gid}">{"".join(members)}{mxml}</group>')
        self.top_ids.append((gid, "group"))

    def add_clone(self, cid: str, promotable: bool) -> None:
        if self.chance(self.mix.unique_clone):
            self.add_unique_clone(cid, promotable)
            return
        if not promotable and self.chance(self.mix.clone_group):
            self.add_cloned_group(cid)
            return
        self.tag("promotable" if promotable else "clone")
        child = f"{cid}-child"
        prim, xml = self.make_prim(child, "stateful" if promotable else "dummy")
        meta: dict[str, str] = {}
        if promotable:
            meta.update({"promotable": "true", "promoted-max": "1", "promoted-node-max": "1"})
        clone_max = len(self.nodes)
        if self.chance(0.3):
            clone_max = self.rng.randint(1, max(1, len(self.nodes) - 1))
            meta["clone-max"] = str(clone_max)
        if self.chance(0.3):
            meta["interleave"] = "true"
        meta.update(self.rsc_meta())
        self.resources_xml.append(f'<clone id="{cid}">{xml}'
                                  + nvset("meta_attributes", f"{cid}-meta_attributes", meta)
                                  + "</clone>")
        hosts = self.host_candidates()
        running = [n for n in hosts if self.chance(self.mix.running)][:clone_max]
        placed = {n.uname: "Unpromoted" if promotable else "Started" for n in running}
        if promotable and running:
            placed[self.rng.choice(running).uname] = "Promoted"
            for n in running:  # promotion scores, as the agent would set them
                n.attrs[f"master-{child}"] = self.rng.choice(("5", "10"))
        for uname in list(placed):
            state = self.pick_state()
            if state.startswith("failed_"):
                placed[uname] = state
                self.tag(state)
        self.history(prim, placed)
        self.top_ids.append((cid, "promotable" if promotable else "clone"))

    def add_unique_clone(self, cid: str, promotable: bool) -> None:
        """globally-unique=true: each instance has its own id ("child:N") in the status."""
        self.tag("unique_clone")
        child = f"{cid}-child"
        prim, xml = self.make_prim(child, "stateful" if promotable else "dummy")
        clone_max = self.rng.randint(1, len(self.nodes) + 1)
        # clone-node-max stays 1: interleaving clones must agree on instances per node
        meta = {"globally-unique": "true", "clone-max": str(clone_max)}
        if promotable:
            meta.update({"promotable": "true", "promoted-max": "1"})
        self.resources_xml.append(f'<clone id="{cid}">{xml}'
                                  + nvset("meta_attributes", f"{cid}-meta_attributes", meta)
                                  + "</clone>")
        hosts = self.host_candidates()
        for i in range(clone_max):
            inst = replace(prim, rid=f"{child}:{i}")
            placed: dict[str, str] = {}
            if hosts and self.chance(self.mix.running):
                node = self.rng.choice(hosts)
                placed[node.uname] = "Unpromoted" if promotable else "Started"
                if promotable:
                    node.attrs[f"master-{inst.rid}"] = self.rng.choice(("5", "10"))
            self.history(inst, placed)
        self.top_ids.append((cid, "promotable" if promotable else "clone"))

    def add_cloned_group(self, cid: str) -> None:
        """An anonymous clone of a two-member group, members active together per node."""
        self.tag("clone_group")
        gid = f"{cid}-group"
        members = [self.make_prim(f"{gid}-r{k}", "dummy") for k in range(2)]
        meta = {"interleave": "true"} if self.chance(0.5) else {}
        mxml = nvset("meta_attributes", f"{cid}-meta_attributes", meta) if meta else ""
        self.resources_xml.append(f'<clone id="{cid}"><group id="{gid}">'
                                  + "".join(x for _, x in members) + f"</group>{mxml}</clone>")
        running = [n for n in self.host_candidates() if self.chance(self.mix.running)]
        for k, (prim, _) in enumerate(members):
            placed = {n.uname: "Started" for n in running}
            if k == 1 and running and self.chance(self.mix.failed_monitor * 2):
                placed[running[0].uname] = "failed_monitor"
                self.tag("failed_monitor")
            self.history(prim, placed)
        self.top_ids.append((cid, "clone"))

    def add_stonith(self) -> None:
        self.tag("stonith_device")
        prim, xml = self.make_prim("fencing", "stonith")
        self.resources_xml.append(xml)
        online = [n for n in self.nodes if n.state == "online"]
        self.history(prim, {online[0].uname: "Started"} if online else {})

    # --- constraints --------------------------------------------------------------------

    def add_location(self, rid: str, kind: str) -> None:
        cid = f"location-{rid}"
        if not self.chance(self.mix.location_rule):
            self.tag("location")
            node = self.rng.choice(self.nodes).uname
            score = self.rng.choice(("-INFINITY", "-100", "50", "100", "200", "INFINITY"))
            self.constraints_xml.append(
                f'<rsc_location id="{cid}" rsc="{rid}" node="{node}" score="{score}"/>')
            return
        self.tag("location_rules")
        score = self.rng.choice(("-INFINITY", "-50", "100", "INFINITY"))
        choice = self.rng.randrange(3)
        if choice == 0:
            expr = f'attribute="zone" operation="eq" value="{self.rng.choice(ZONES)}"'
        elif choice == 1:
            expr = 'attribute="ram" operation="gt" type="number" value="4096"'
        else:
            expr = f'attribute="#uname" operation="ne" value="{self.rng.choice(self.nodes).uname}"'
        role = ' role="Promoted"' if kind == "promotable" and self.chance(0.5) else ""
        self.constraints_xml.append(
            f'<rsc_location id="{cid}" rsc="{rid}"><rule id="{cid}-rule" score="{score}"'
            f'{role}><expression id="{cid}-rule-expr" {expr}/></rule></rsc_location>')

    def add_set_constraints(self, tops: list[tuple[str, str]]) -> None:
        """One ordered set and one colocated set over three top-level resources."""
        if len(tops) < 3 or not self.chance(self.mix.resource_sets):
            return
        self.tag("resource_sets")
        ids = [t[0] for t in sorted(self.rng.sample(tops, 3), key=tops.index)]
        refs = "".join(f'<resource_ref id="{r}"/>' for r in ids)
        self.constraints_xml.append(
            f'<rsc_order id="order-set" kind="Mandatory"><resource_set id="order-set-0">'
            f"{refs}</resource_set></rsc_order>")
        refs = "".join(f'<resource_ref id="{r}"/>' for r in reversed(ids))
        self.constraints_xml.append(
            f'<rsc_colocation id="colocation-set" score="INFINITY">'
            f'<resource_set id="colocation-set-0">{refs}</resource_set></rsc_colocation>')

    def add_pair_constraints(self) -> None:
        tops = [t for t in self.top_ids if t[0] != "fencing"]
        self.add_set_constraints(tops)
        for j in range(1, len(tops)):
            i = self.rng.randrange(j)
            (first, fkind), (then, _) = tops[i], tops[j]
            if self.chance(self.mix.colocation):
                self.tag("colocation")
                score = self.rng.choice(("INFINITY", "INFINITY", "-INFINITY", "100", "-100"))
                role = ' with-rsc-role="Promoted"' if fkind == "promotable" else ""
                self.constraints_xml.append(
                    f'<rsc_colocation id="colocation-{then}-{first}" rsc="{then}" '
                    f'with-rsc="{first}" score="{score}"{role}/>')
            if self.chance(self.mix.order):
                self.tag("ordering")
                kind = self.rng.choice(("Mandatory", "Mandatory", "Optional"))
                sym = ' symmetrical="false"' if self.chance(0.2) else ""
                action = ' first-action="promote"' if fkind == "promotable" else ""
                self.constraints_xml.append(
                    f'<rsc_order id="order-{first}-{then}" first="{first}" then="{then}" '
                    f'kind="{kind}"{sym}{action}/>')

    # --- the document -------------------------------------------------------------------

    def build(self) -> str:
        if self.stonith:
            self.add_stonith()
        m = self.mix
        for k in range(1, self.n_resources + 1):
            roll = self.rng.random()
            if roll < m.promotable:
                self.add_clone(f"ms{k}", promotable=True)
            elif roll < m.promotable + m.clone:
                self.add_clone(f"clone{k}", promotable=False)
            elif roll < m.promotable + m.clone + m.group:
                self.add_group(f"grp{k}", self.rng.randint(2, 3))
            else:
                self.add_primitive(f"rsc{k}")
        for rid, kind in list(self.top_ids):
            if rid != "fencing" and self.chance(m.location):
                self.add_location(rid, kind)
            if self.asymmetric:  # opt in everywhere but one node
                node = self.rng.choice(self.nodes).uname
                self.constraints_xml.append(
                    f'<rsc_location id="allow-{rid}" rsc="{rid}"><rule id="allow-{rid}-rule" '
                    f'score="100"><expression id="allow-{rid}-expr" attribute="#uname" '
                    f'operation="ne" value="{node}"/></rule></rsc_location>')
        self.add_pair_constraints()
        return self.document()

    def crm_config(self) -> tuple[str, bool]:
        quorate = not self.chance(self.mix.no_quorum)
        props = {"stonith-enabled": "true" if self.stonith else "false",
                 "cluster-infrastructure": "corosync", "cluster-name": "gencluster",
                 "have-watchdog": "false",
                 "symmetric-cluster": "false" if self.asymmetric else "true"}
        if self.asymmetric:
            self.tag("asymmetric")
        if not quorate:
            self.tag("no_quorum")
            props["no-quorum-policy"] = self.rng.choice(("stop", "freeze", "ignore"))
        elif self.chance(0.3):
            props["no-quorum-policy"] = "ignore"
        if self.utilization:
            self.tag("utilization")
            props["placement-strategy"] = self.rng.choice(("utilization", "balanced",
                                                           "minimal"))
        xml = ("<crm_config>" + nvset("cluster_property_set", "cib-bootstrap-options", props)
               + "</crm_config>")
        return xml, quorate

    def nodes_xml(self) -> str:
        out = []
        for n in self.nodes:
            attrs = {"zone": n.zone, "ram": str(n.ram)}
            if n.standby:
                attrs["standby"] = "on"
                self.tag("standby")
            util = ""
            if self.utilization:
                util = nvset("utilization", f"nodes-{n.nid}-utilization",
                             {"cpu": str(self.rng.choice((2, 4, 8))),
                              "memory": str(self.rng.choice((2048, 4096, 8192)))})
            out.append(f'<node id="{n.nid}" uname="{n.uname}">'
                       + nvset("instance_attributes", f"nodes-{n.nid}", attrs) + util
                       + "</node>")
        return "<nodes>" + "".join(out) + "</nodes>"

    def node_state_xml(self, n: NodeSpec) -> str:
        if n.state == "unseen":
            self.tag("node_unseen")
            return ""
        if n.state == "online":
            flags = 'in_ccm="true" crmd="online" join="member" expected="member"'
        elif n.state == "offline":
            self.tag("node_offline")
            flags = 'in_ccm="false" crmd="offline" join="down" expected="down"'
        else:
            self.tag("node_unclean")
            flags = 'in_ccm="false" crmd="offline" join="member" expected="member"'
        attrs = {"#feature-set": FEATURE_SET, **n.attrs} if n.state == "online" else dict(n.attrs)
        transient = ""
        if attrs:
            transient = (f'<transient_attributes id="{n.nid}">'
                         + nvset("instance_attributes", f"status-{n.nid}", attrs)
                         + "</transient_attributes>")
        return (f'<node_state id="{n.nid}" uname="{n.uname}" {flags} '
                f'crm-debug-origin="do_update_resource">{transient}<lrm id="{n.nid}">'
                f'<lrm_resources>{"".join(n.lrm)}</lrm_resources></lrm></node_state>')

    def document(self) -> str:
        config, quorate = self.crm_config()
        nodes = self.nodes_xml()
        online = [n for n in self.nodes if n.state == "online"]
        dc = f' dc-uuid="{online[0].nid}"' if online else ""
        defaults = ""
        if self.chance(self.mix.default_stickiness):
            self.tag("stickiness")
            value = self.rng.choice(("1", "100", "INFINITY"))
            defaults = ("<rsc_defaults>" + nvset("meta_attributes", "rsc-options",
                                                 {"resource-stickiness": value})
                        + "</rsc_defaults>")
        status = "".join(self.node_state_xml(n) for n in self.nodes)
        return (f'<cib crm_feature_set="{FEATURE_SET}" validate-with="{VALIDATE_WITH}" '
                f'epoch="{self.rng.randint(10, 500)}" num_updates="0" admin_epoch="0" '
                f'cib-last-written="Tue Nov 14 22:13:20 2023" update-origin="node1" '
                f'update-client="cibadmin" have-quorum="{1 if quorate else 0}"{dc}>\n'
                f"<configuration>{config}\n{nodes}\n"
                f"<resources>{''.join(self.resources_xml)}</resources>\n"
                f"<constraints>{''.join(self.constraints_xml)}</constraints>{defaults}"
                f"</configuration>\n<status>{status}</status>\n</cib>\n")


def nvset(tag: str, set_id: str, values: dict[str, str]) -> str:
    pairs = "".join(f'<nvpair id="{set_id}-{name.lstrip("#")}" name="{name}" value="{value}"/>'
                    for name, value in values.items())
    return f'<{tag} id="{set_id}">{pairs}</{tag}>'


def generate(seed: int, nodes: int | None = None, resources: int | None = None,
             mix: Mix | str = "default") -> Generated:
    """One CIB for `seed`; sizes default to a seeded draw within the mix's bounds."""
    m = MIXES[mix] if isinstance(mix, str) else mix
    sizer = random.Random(seed * 7919 + 1)
    n = nodes if nodes is not None else sizer.randint(m.min_nodes, m.max_nodes)
    r = resources if resources is not None else sizer.randint(m.min_resources, m.max_resources)
    b = Builder(seed, n, r, m)
    xml = b.build()
    return Generated(seed, xml, tuple(sorted(b.features)), n, r)


def with_overrides(mix: Mix, spec: str) -> Mix:
    """`"running=0.9,group=0"` -> a copy of `mix` with those knobs changed."""
    if not spec:
        return mix
    changes: dict[str, float | int] = {}
    for item in spec.split(","):
        name, _, value = item.partition("=")
        current = getattr(mix, name.strip())
        changes[name.strip()] = type(current)(value)
    return replace(mix, **changes)  # type: ignore[arg-type]


if __name__ == "__main__":
    args = sys.argv[1:]
    g = generate(int(args[0]) if args else 1, mix=args[1] if len(args) > 1 else "default")
    sys.stdout.write(g.xml)
