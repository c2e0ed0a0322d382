"""A second, independent random CIB generator for the scheduler differential, written from
Pacemaker Explained's feature list rather than from the shared corpus or bench/cibgen.py.

Owns generating only: `generate(seed, mix)` returns one CIB text (valid for the real
crm_simulate 2.1.5) and the feature tags it drew. Each mix stresses one documented area:

  promotable   promotable clones (promoted-max, promoted-node-max, promotion scores as
               master-* node attributes), failed monitors/promotes, colocations by role
  quorum       quorum loss under every no-quorum-policy, with and without fencing devices
  onfail       failed operations with every on-fail (ignore, block, stop, restart, fence,
               standby, demote), per-operation fail counts, migration-threshold
  sets         ordered sets (sequential, require-all=false) and colocation sets with clones
  interleave   clone-to-clone orders and colocations, interleave true/false
  unfencing    fencing devices that provide unfencing, resources requiring it
  health       node-health-strategy with #health-* attributes
  rules        location rules with value-source=param|meta, date and attribute expressions
  orphans      operation history of resources that are no longer configured
  discovery    resource-discovery=never|exclusive locations, probes
  utilization  placement-strategy with capacities, utilization and colocation chains
  migration    allow-migrate resources (primitives, groups, clones) made to move by
               locations, standby or lost nodes and failures, with orders and colocations
               to resources that cannot migrate
  tickets      rsc_ticket (plain and with sets, rsc-role) with every loss-policy, tickets
               granted, revoked, never granted or in standby

Must never read the clock or global randomness: everything comes from `random.Random(seed)`.
    python bench/cibgen2.py SEED MIX > cib.xml
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import dataclass, field

MIXES = ("promotable", "quorum", "onfail", "sets", "interleave", "unfencing", "health",
         "rules", "orphans", "discovery", "utilization", "tickets", "migration")
FEATURE_SET = "3.16.1"
UUID = "5e3e9d6a-8c1e-4c0b-9d1f-2b7a5d0c4e11"
START_S = 1_700_000_000
ON_FAIL = ("ignore", "block", "stop", "restart", "fence", "standby")


@dataclass(frozen=True, slots=True)
class Generated:
    seed: int
    mix: str
    xml: str
    features: tuple[str, ...]


def op_digest(params: dict[str, str]) -> str:
    """Explained, "operation digests": MD5 over the sorted parameters as one XML element."""
    text = " <parameters" + "".join(f' {k}="{v}"' for k, v in sorted(params.items())) + "/>\n"
    return hashlib.md5(text.encode()).hexdigest()


def nv(tag: str, set_id: str, values: dict[str, str]) -> str:
    body = "".join(f'<nvpair id="{set_id}-{k.strip("#")}" name="{k}" value="{v}"/>'
                   for k, v in values.items())
    return f'<{tag} id="{set_id}">{body}</{tag}>'


@dataclass(slots=True)
class Node:
    name: str
    state: str = "online"  # online | offline | unclean
    standby: bool = False
    attrs: dict[str, str] = field(default_factory=dict)  # transient (status) attributes
    config_attrs: dict[str, str] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    lrm: list[str] = field(default_factory=list)
    calls: int = 0


@dataclass(slots=True)
class Prim:
    rid: str
    agent: str = "Dummy"  # ocf:pacemaker:<agent> or stonith:<agent>
    params: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    monitor_s: int = 10
    promotable: bool = False
    on_fail: str = ""
    utilization: dict[str, int] = field(default_factory=dict)

    def xml(self) -> str:
        if self.agent.startswith("fence_"):
            head = f'<primitive id="{self.rid}" class="stonith" type="{self.agent}">'
        else:
            head = (f'<primitive id="{self.rid}" class="ocf" provider="pacemaker" '
                    f'type="{self.agent}">')
        ops = f'<op id="{self.rid}-mon" name="monitor" interval="{self.monitor_s}s" ' \
              f'timeout="20s"{self.on_fail_attr()}/>'
        if self.promotable:
            ops += (f'<op id="{self.rid}-mon-p" name="monitor" interval="{self.monitor_s + 1}s"'
                    f' timeout="20s" role="Promoted"{self.on_fail_attr()}/>')
        body = f"<operations>{ops}</operations>"
        if self.params:
            body = nv("instance_attributes", f"{self.rid}-params", self.params) + body
        if self.meta:
            body += nv("meta_attributes", f"{self.rid}-meta", self.meta)
        if self.utilization:
            body += nv("utilization", f"{self.rid}-util",
                       {k: str(v) for k, v in self.utilization.items()})
        return head + body + "</primitive>"

    def on_fail_attr(self) -> str:
        return f' on-fail="{self.on_fail}"' if self.on_fail else ""


class Builder:
    """One CIB under construction; every choice comes from the seeded `rng`."""

    def __init__(self, seed: int, mix: str) -> None:
        self.rng = random.Random(f"{mix}:{seed}")
        self.mix = mix
        self.features: set[str] = set()
        self.props: dict[str, str] = {"stonith-enabled": "false", "have-watchdog": "false",
                                      "cluster-infrastructure": "corosync"}
        self.quorum = True
        n = self.rng.randint(2, 4)
        self.nodes = [Node(f"node{i}") for i in range(1, n + 1)]
        self.resources: list[str] = []
        self.constraints: list[str] = []
        self.tops: list[tuple[str, str]] = []  # (id, kind)
        self.uid = 0
        self.tickets: dict[str, dict[str, str]] = {}  # ticket -> ticket_state attributes

    # --- small helpers ---------------------------------------------------------------

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def tag(self, name: str) -> None:
        self.features.add(name)

    def cid(self, prefix: str) -> str:
        self.uid += 1
        return f"{prefix}{self.uid}"

    def online(self) -> list[Node]:
        return [n for n in self.nodes if n.state == "online"]

    def op(self, node: Node, prim: Prim, rec: str, task: str, interval_ms: int, rc: int,
           target: int, key_rid: str) -> str:
        node.calls += 1
        params = dict(prim.params)
        if interval_ms:
            params["CRM_meta_timeout"] = "20000"
        key = f"{node.calls}:{self.rng.randint(1, 30)}:{target}:{UUID}"
        return (f'<lrm_rsc_op id="{key_rid}_{rec}" operation_key="{key_rid}_{task}_'
                f'{interval_ms}" operation="{task}" crm-debug-origin="do_update_resource" '
                f'crm_feature_set="{FEATURE_SET}" transition-key="{key}" '
                f'transition-magic="0:{rc};{key}" exit-reason="" on_node="{node.name}" '
                f'call-id="{node.calls}" rc-code="{rc}" op-status="0" interval="{interval_ms}"'
                f' last-rc-change="{START_S + node.calls}" exec-time="10" queue-time="0" '
                f'op-digest="{op_digest(params)}"/>')

    def history(self, node: Node, prim: Prim, state: str, rid: str | None = None) -> None:
        """Operation history of `prim` (status id `rid`) on `node`: stopped (probed),
        Started, Promoted, Unpromoted, or failed_<task> after it ran."""
        rid = rid or prim.rid
        mon = prim.monitor_s * 1000
        ops: list[str] = []
        if state == "stopped":
            ops.append(self.op(node, prim, "last_0", "monitor", 0, 7, 7, rid))
        elif state in ("Started", "Unpromoted"):
            ops.append(self.op(node, prim, "last_0", "start", 0, 0, 0, rid))
            ops.append(self.op(node, prim, f"monitor_{mon}", "monitor", mon, 0, 0, rid))
        elif state == "Promoted":
            pmon = mon + 1000
            ops.append(self.op(node, prim, "last_0", "promote", 0, 0, 0, rid))
            ops.append(self.op(node, prim, f"monitor_{pmon}", "monitor", pmon, 8, 8, rid))
        elif state.startswith("failed_"):
            task = state[len("failed_"):]
            interval = mon if task == "monitor" else 0
            if task == "monitor":
                ops.append(self.op(node, prim, "last_0", "start", 0, 0, 0, rid))
            else:
                ops.append(self.op(node, prim, "last_0", task, 0, 1, 0, rid))
            ops.append(self.op(node, prim, "last_failure_0", task, interval, 1, 0, rid))
            count = "INFINITY" if task in ("start", "stop") else str(self.rng.randint(1, 3))
            node.attrs[f"fail-count-{rid}#{task}_{interval}"] = count
            node.attrs[f"last-failure-{rid}#{task}_{interval}"] = str(START_S)
            self.tag(f"failed_{task}")
        agent = (f'class="stonith" type="{prim.agent}"' if prim.agent.startswith("fence_")
                 else f'class="ocf" provider="pacemaker" type="{prim.agent}"')
        node.lrm.append(f'<lrm_resource id="{rid}" {agent}>{"".join(ops)}</lrm_resource>')

    def place(self, prim: Prim, where: dict[str, str], rid: str | None = None) -> None:
        """History on every online node: `where` maps node -> state, others are probed."""
        for node in self.nodes:
            if node.name in where:
                if node.state != "offline":
                    self.history(node, prim, where[node.name], rid)
            elif node.state == "online" and self.chance(0.8):
                self.history(node, prim, "stopped", rid)

    # --- resources ----------------------------------------------------------------------

    def primitive(self, on_fail_choices: tuple[str, ...] = ()) -> Prim:
        prim = Prim(self.cid("rsc"))
        if on_fail_choices and self.chance(0.6):
            prim.on_fail = self.rng.choice(on_fail_choices)
            self.tag(f"on_fail_{prim.on_fail}")
        if self.chance(0.2):
            prim.meta["resource-stickiness"] = self.rng.choice(("0", "50", "INFINITY"))
        if self.chance(0.1):
            prim.meta["target-role"] = "Stopped"
            self.tag("target_stopped")
        if self.chance(0.15):
            prim.meta["migration-threshold"] = str(self.rng.randint(1, 3))
            self.tag("migration_threshold")
        return prim

    def add_primitive(self, on_fail_choices: tuple[str, ...] = (), fail_p: float = 0.0,
                      meta: dict[str, str] | None = None) -> Prim:
        prim = self.primitive(on_fail_choices)
        prim.meta.update(meta or {})
        self.resources.append(prim.xml())
        self.tops.append((prim.rid, "primitive"))
        hosts = self.online() + [n for n in self.nodes if n.state == "unclean"]
        where: dict[str, str] = {}
        if hosts and self.chance(0.6):
            node = self.rng.choice(hosts)
            where[node.name] = "Started"
            if self.chance(fail_p):
                where[node.name] = self.rng.choice(
                    ("failed_monitor", "failed_monitor", "failed_start", "failed_stop"))
        self.place(prim, where)
        return prim

    def add_group(self) -> str:
        gid = self.cid("grp")
        members = [self.primitive() for _ in range(self.rng.randint(2, 3))]
        for m in members:
            m.meta.pop("target-role", None)
        self.resources.append(f'<group id="{gid}">' + "".join(m.xml() for m in members)
                              + "</group>")
        self.tops.append((gid, "group"))
        hosts = self.online()
        node = self.rng.choice(hosts) if hosts and self.chance(0.6) else None
        upto = self.rng.randint(1, len(members))
        for i, m in enumerate(members):
            self.place(m, {node.name: "Started"} if node and i < upto else {})
        self.tag("group")
        return gid

    def add_clone(self, promotable: bool = False, interleave: bool | None = None,
                  fail_p: float = 0.0) -> str:
        """An anonymous clone (instances share the primitive's id in the status)."""
        cid = self.cid("ms" if promotable else "cl")
        prim = self.primitive()
        prim.meta.pop("target-role", None)
        prim.meta.pop("migration-threshold", None)
        prim.agent = "Stateful" if promotable else "Dummy"
        prim.promotable = promotable
        if promotable and self.chance(0.3):
            prim.on_fail = self.rng.choice(("demote", "restart", "stop"))
            self.tag(f"on_fail_{prim.on_fail}")
        meta: dict[str, str] = {}
        n = len(self.nodes)
        if self.chance(0.4):
            meta["clone-max"] = str(self.rng.randint(1, n))
        if promotable:
            meta["promotable"] = "true"
            if self.chance(0.3):
                meta["promoted-max"] = str(self.rng.randint(1, 2))
                self.tag("promoted_max")
            if self.chance(0.15):
                meta["promoted-node-max"] = "1"
        if interleave is not None:
            meta["interleave"] = "true" if interleave else "false"
            self.tag(f"interleave_{str(interleave).lower()}")
        if self.chance(0.1):
            meta["target-role"] = self.rng.choice(("Stopped", "Unpromoted") if promotable
                                                  else ("Stopped",))
            self.tag("clone_target_role")
        self.resources.append(f'<clone id="{cid}">{prim.xml()}'
                              + (nv("meta_attributes", f"{cid}-meta", meta) if meta else "")
                              + "</clone>")
        self.tops.append((cid, "promotable" if promotable else "clone"))
        limit = int(meta.get("clone-max", n))
        promoted = 0
        for node in self.nodes:
            state = "stopped"
            if node.state != "offline" and limit > 0 and self.chance(0.7):
                limit -= 1
                state = "Unpromoted" if promotable else "Started"
                if promotable and promoted == 0 and self.chance(0.6):
                    state, promoted = "Promoted", 1
                if self.chance(fail_p):
                    state = self.rng.choice(("failed_monitor", "failed_start", "failed_stop")
                                            + (("failed_promote",) if promotable else ()))
            if promotable and node.state == "online" and self.chance(0.8):
                node.attrs[f"master-{prim.rid}"] = str(self.rng.choice((1, 5, 10, 100)))
            if state != "stopped" or (node.state == "online" and self.chance(0.8)):
                if node.state != "offline":
                    self.history(node, prim, state)
        self.tag("promotable" if promotable else "clone")
        return cid

    def add_fencing(self, unfencing: bool = False) -> None:
        prim = Prim("fencing", agent="fence_xvm", monitor_s=60,
                    params={"pcmk_host_list": " ".join(n.name for n in self.nodes)})
        if unfencing:
            prim.meta["provides"] = "unfencing"
            self.tag("provides_unfencing")
        self.resources.insert(0, prim.xml())
        hosts = self.online()
        self.place(prim, {hosts[0].name: "Started"} if hosts and self.chance(0.7) else {})
        self.props["stonith-enabled"] = "true"
        self.tag("fencing_device")

    # --- constraints --------------------------------------------------------------------

    def location(self, rid: str, score: str | None = None, node: str | None = None,
                 extra: str = "") -> None:
        node = node or self.rng.choice(self.nodes).name
        score = score or self.rng.choice(("50", "100", "INFINITY", "-INFINITY", "-100"))
        self.constraints.append(f'<rsc_location id="{self.cid("loc")}" rsc="{rid}" '
                                f'node="{node}" score="{score}"{extra}/>')

    def colocation(self, dep: str, prim: str, extra: str = "") -> None:
        score = self.rng.choice(("INFINITY", "INFINITY", "100", "-INFINITY", "500"))
        self.constraints.append(f'<rsc_colocation id="{self.cid("col")}" rsc="{dep}" '
                                f'with-rsc="{prim}" score="{score}"{extra}/>')
        self.tag("colocation")

    def order(self, first: str, then: str, extra: str = "") -> None:
        self.constraints.append(f'<rsc_order id="{self.cid("ord")}" first="{first}" '
                                f'then="{then}"{extra}/>')
        self.tag("order")

    # --- the document -------------------------------------------------------------------

    def nodes_xml(self) -> str:
        out = []
        for n in self.nodes:
            attrs = dict(n.config_attrs)
            if n.standby:
                attrs["standby"] = "on"
            body = nv("instance_attributes", f"{n.name}-attrs", attrs) if attrs else ""
            if n.capacity:
                body += nv("utilization", f"{n.name}-cap",
                           {k: str(v) for k, v in n.capacity.items()})
            out.append(f'<node id="{n.name}" uname="{n.name}">{body}</node>')
        return "".join(out)

    def status_xml(self) -> str:
        out = []
        for n in self.nodes:
            if n.state == "online":
                flags = 'in_ccm="true" crmd="online" join="member" expected="member"'
            elif n.state == "offline":
                flags = 'in_ccm="false" crmd="offline" join="down" expected="down"'
            else:
                flags = 'in_ccm="false" crmd="offline" join="member" expected="member"'
            attrs = dict(n.attrs)
            if n.state == "online":
                attrs["#feature-set"] = FEATURE_SET
            transient = (f'<transient_attributes id="{n.name}">'
                         + nv("instance_attributes", f"status-{n.name}", attrs)
                         + "</transient_attributes>") if attrs else ""
            out.append(f'<node_state id="{n.name}" uname="{n.name}" {flags} '
                       f'crm-debug-origin="do_update_resource">{transient}<lrm id="{n.name}">'
                       f'<lrm_resources>{"".join(n.lrm)}</lrm_resources></lrm></node_state>')
        if self.tickets:
            out.append("<tickets>" + "".join(
                f'<ticket_state id="{t}"' + "".join(f' {k}="{v}"' for k, v in a.items()) + "/>"
                for t, a in self.tickets.items()) + "</tickets>")
        return "".join(out)

    def document(self) -> str:
        dc = self.online()[0].name if self.online() else self.nodes[0].name
        props = nv("cluster_property_set", "cib-bootstrap-options", self.props)
        return (f'<cib crm_feature_set="{FEATURE_SET}" validate-with="pacemaker-3.7" '
                f'epoch="10" num_updates="0" admin_epoch="0" have-quorum='
                f'"{1 if self.quorum else 0}" dc-uuid="{dc}">\n<configuration>'
                f"<crm_config>{props}</crm_config>\n<nodes>{self.nodes_xml()}</nodes>\n"
                f"<resources>{''.join(self.resources)}</resources>\n"
                f"<constraints>{''.join(self.constraints)}</constraints>\n</configuration>\n"
                f"<status>{self.status_xml()}</status>\n</cib>\n")


# --- the mixes ------------------------------------------------------------------------


def nodes_vary(b: Builder, offline_p: float = 0.15, unclean_p: float = 0.0,
               standby_p: float = 0.1) -> None:
    """Some nodes down, standby or lost (never all of them)."""
    for node in b.nodes[1:]:
        roll = b.rng.random()
        if roll < unclean_p:
            node.state = "unclean"
            b.tag("node_unclean")
        elif roll < unclean_p + offline_p:
            node.state = "offline"
            b.tag("node_offline")
        elif b.chance(standby_p):
            node.standby = True
            b.tag("standby")


def mix_promotable(b: Builder) -> None:
    nodes_vary(b, unclean_p=0.1)
    if b.chance(0.5):
        b.add_fencing()
    clones = [b.add_clone(promotable=True, fail_p=0.25) for _ in range(b.rng.randint(1, 2))]
    others = [b.add_primitive().rid for _ in range(b.rng.randint(1, 3))]
    for rid in others:
        if b.chance(0.7):
            role = b.rng.choice(("Promoted", "Unpromoted", "Started"))
            b.colocation(rid, b.rng.choice(clones), f' with-rsc-role="{role}"')
            b.tag(f"with_role_{role}")
        if b.chance(0.4):
            b.order(b.rng.choice(clones), rid, ' first-action="promote" then-action="start"')
    if len(clones) == 2 and b.chance(0.5):
        b.colocation(clones[1], clones[0], ' rsc-role="Promoted" with-rsc-role="Promoted"')
    for cid in clones:
        if b.chance(0.4):
            node = b.rng.choice(b.nodes).name
            score = b.rng.choice(("100", "INFINITY", "-INFINITY"))
            b.constraints.append(f'<rsc_location id="{b.cid("loc")}" rsc="{cid}" role='
                                 f'"Promoted" node="{node}" score="{score}"/>')
            b.tag("location_role")


def mix_quorum(b: Builder) -> None:
    nodes_vary(b, offline_p=0.3, unclean_p=0.3)
    b.quorum = b.chance(0.3)
    policy = b.rng.choice(("stop", "freeze", "ignore", "demote"))
    b.props["no-quorum-policy"] = policy
    b.tag(f"no_quorum_{policy}" if not b.quorum else "quorate")
    if b.chance(0.6):
        b.add_fencing()
    elif b.chance(0.5):
        b.props["stonith-enabled"] = "true"  # fencing enabled, no device
        b.tag("stonith_without_device")
    for _ in range(b.rng.randint(2, 4)):
        roll = b.rng.random()
        if roll < 0.5:
            b.add_primitive(fail_p=0.2)
        elif roll < 0.75:
            b.add_clone(promotable=b.chance(0.5))
        else:
            b.add_group()


def mix_onfail(b: Builder) -> None:
    nodes_vary(b)
    if b.chance(0.6):
        b.add_fencing()
    for _ in range(b.rng.randint(2, 5)):
        b.add_primitive(ON_FAIL, fail_p=0.7)
    if b.chance(0.3):
        b.add_clone(promotable=True, fail_p=0.5)


def mix_sets(b: Builder) -> None:
    nodes_vary(b)
    ids = [b.add_primitive(fail_p=0.05).rid for _ in range(b.rng.randint(2, 4))]
    ids += [b.add_clone() for _ in range(b.rng.randint(1, 2))]
    b.rng.shuffle(ids)
    cut = b.rng.randint(1, len(ids) - 1)
    sets = []
    for part in (ids[:cut], ids[cut:]):
        attrs = ""
        if b.chance(0.4):
            attrs += ' sequential="false"'
            b.tag("set_sequential_false")
        if b.chance(0.3):
            attrs += ' require-all="false"'
            b.tag("set_require_all_false")
        refs = "".join(f'<resource_ref id="{r}"/>' for r in part)
        sets.append(f'<resource_set id="{b.cid("set")}"{attrs}>{refs}</resource_set>')
    kind = b.rng.choice(("", ' kind="Optional"', ' symmetrical="false"'))
    b.constraints.append(f'<rsc_order id="{b.cid("oset")}"{kind}>{"".join(sets)}</rsc_order>')
    b.tag("order_set")
    if b.chance(0.5):
        refs = "".join(f'<resource_ref id="{r}"/>' for r in b.rng.sample(ids, 2))
        seq = ' sequential="false"' if b.chance(0.3) else ""
        b.constraints.append(f'<rsc_colocation id="{b.cid("cset")}" score="INFINITY">'
                             f'<resource_set id="{b.cid("set")}"{seq}>{refs}</resource_set>'
                             "</rsc_colocation>")
        b.tag("colocation_set")


def mix_interleave(b: Builder) -> None:
    nodes_vary(b, offline_p=0.25)
    first = b.add_clone(interleave=b.chance(0.5), fail_p=0.1)
    then = b.add_clone(interleave=b.chance(0.6), fail_p=0.1)
    b.order(first, then, b.rng.choice(("", ' kind="Optional"')))
    if b.chance(0.7):
        b.colocation(then, first)
    if b.chance(0.4):
        third = b.add_clone(promotable=b.chance(0.4), interleave=b.chance(0.5))
        b.order(then, third)
    if b.chance(0.4):
        b.location(first, "-INFINITY")


def mix_unfencing(b: Builder) -> None:
    nodes_vary(b, offline_p=0.2, unclean_p=0.2)
    b.add_fencing(unfencing=True)
    for node in b.nodes:
        if node.state == "online" and b.chance(0.5):
            node.attrs["#node-unfenced"] = str(START_S)
            b.tag("already_unfenced")
    for _ in range(b.rng.randint(1, 3)):
        meta = {"requires": "unfencing"} if b.chance(0.5) else {}
        if meta:
            b.tag("requires_unfencing")
        b.add_primitive(meta=meta)
    if b.chance(0.4):
        b.add_clone()


def mix_health(b: Builder) -> None:
    nodes_vary(b, offline_p=0.1)
    strategy = b.rng.choice(("migrate-on-red", "only-green", "progressive", "custom"))
    b.props["node-health-strategy"] = strategy
    b.tag(f"health_{strategy}")
    if strategy in ("progressive", "custom"):
        b.props["node-health-yellow"] = str(b.rng.choice((-10, -100, -1000)))
        b.props["node-health-red"] = b.rng.choice(("-INFINITY", "-500"))
        if strategy == "progressive":
            b.props["node-health-base"] = str(b.rng.choice((0, 50)))
    for node in b.nodes:
        if b.chance(0.6):
            node.attrs[f"#health-{b.rng.choice(('disk', 'cpu'))}"] = b.rng.choice(
                ("red", "yellow", "green"))
    for _ in range(b.rng.randint(2, 4)):
        meta = {"allow-unhealthy-nodes": "true"} if b.chance(0.2) else {}
        if meta:
            b.tag("allow_unhealthy")
        b.add_primitive(meta=meta)
    if b.chance(0.4):
        b.add_clone()


def mix_rules(b: Builder) -> None:
    nodes_vary(b)
    sites = ("east", "west")
    for node in b.nodes:
        node.config_attrs["site"] = b.rng.choice(sites)
        node.config_attrs["rank"] = str(b.rng.randint(1, 5))
    for _ in range(b.rng.randint(2, 4)):
        prim = b.primitive()
        prim.params["site"] = b.rng.choice(sites)
        b.resources.append(prim.xml())
        b.tops.append((prim.rid, "primitive"))
        hosts = b.online()
        b.place(prim, {b.rng.choice(hosts).name: "Started"} if hosts and b.chance(0.5) else {})
        source = b.rng.choice(("param", "literal", "number"))
        if source == "param":
            expr = 'attribute="site" operation="eq" value="site" value-source="param"'
            b.tag("value_source_param")
        elif source == "number":
            expr = (f'attribute="rank" operation="{b.rng.choice(("gt", "lte"))}" '
                    f'value="{b.rng.randint(1, 5)}" type="number"')
            b.tag("rule_number")
        else:
            expr = f'attribute="site" operation="eq" value="{b.rng.choice(sites)}"'
            b.tag("rule_attribute")
        score = b.rng.choice(("100", "INFINITY", "-INFINITY", "200"))
        lid = b.cid("rl")
        b.constraints.append(f'<rsc_location id="{lid}" rsc="{prim.rid}"><rule id="{lid}-r" '
                             f'score="{score}"><expression id="{lid}-e" {expr}/></rule>'
                             "</rsc_location>")


def mix_orphans(b: Builder) -> None:
    nodes_vary(b)
    if b.chance(0.4):
        b.add_fencing()
    for _ in range(b.rng.randint(1, 3)):
        b.add_primitive(fail_p=0.1)
    for k in range(b.rng.randint(1, 3)):
        ghost = Prim(f"gone{k}")
        hosts = b.online()
        if not hosts:
            break
        state = b.rng.choice(("Started", "Started", "failed_monitor", "stopped"))
        b.history(b.rng.choice(hosts), ghost, state)
        b.tag("orphan")
    if b.chance(0.3):
        clone_id = b.add_clone()
        b.tag("clone_with_orphan_history")
        hosts = b.online()
        if hosts:
            b.history(hosts[0], Prim(f"gone-{clone_id}"), "Started")


def mix_discovery(b: Builder) -> None:
    nodes_vary(b, standby_p=0.0)
    ids = [b.add_primitive().rid for _ in range(b.rng.randint(2, 4))]
    if b.chance(0.4):
        ids.append(b.add_clone())
    for rid in ids:
        mode = b.rng.choice(("never", "exclusive", "always", ""))
        if not mode:
            continue
        score = "-INFINITY" if mode == "never" else b.rng.choice(("100", "INFINITY", "0"))
        b.location(rid, score, extra=f' resource-discovery="{mode}"')
        b.tag(f"discovery_{mode}")
        if mode == "exclusive" and b.chance(0.5):
            b.location(rid, "50", extra=' resource-discovery="exclusive"')


def mix_utilization(b: Builder) -> None:
    nodes_vary(b, offline_p=0.1, standby_p=0.05)
    b.props["placement-strategy"] = b.rng.choice(("utilization", "balanced", "minimal"))
    b.tag(f"strategy_{b.props['placement-strategy']}")
    for node in b.nodes:
        node.capacity = {"cpu": b.rng.choice((2, 4, 8)), "mem": b.rng.choice((1024, 4096))}
    chain: list[str] = []
    for _ in range(b.rng.randint(3, 5)):
        prim = b.primitive()
        prim.utilization = {"cpu": b.rng.choice((1, 2, 3)), "mem": b.rng.choice((256, 1024))}
        b.resources.append(prim.xml())
        b.tops.append((prim.rid, "primitive"))
        hosts = b.online()
        b.place(prim, {b.rng.choice(hosts).name: "Started"} if hosts and b.chance(0.5) else {})
        chain.append(prim.rid)
    for dep, prim_id in zip(chain[1:], chain[:-1], strict=True):
        if b.chance(0.6):
            b.colocation(dep, prim_id)
            b.tag("colocation_chain")
    if b.chance(0.3):
        b.props["priority-fencing-delay"] = "0"


def mix_tickets(b: Builder) -> None:
    nodes_vary(b, offline_p=0.1)
    if b.chance(0.6):
        b.add_fencing()
    names = [f"ticket{k}" for k in range(1, b.rng.randint(1, 2) + 1)]
    for name in names:
        roll = b.rng.choice(("granted", "granted", "revoked", "revoked", "absent", "standby"))
        b.tag(f"ticket_{roll}")
        if roll == "granted":
            b.tickets[name] = {"granted": "true", "last-granted": str(START_S)}
        elif roll == "revoked":
            b.tickets[name] = {"granted": "false", "last-granted": str(START_S)}
        elif roll == "standby":
            b.tickets[name] = {"granted": "true", "standby": "true"}
    deps: list[tuple[str, str]] = [(b.add_primitive(fail_p=0.05).rid, "primitive")
                                   for _ in range(b.rng.randint(1, 3))]
    if b.chance(0.4):
        deps.append((b.add_group(), "group"))
    if b.chance(0.5):
        promotable = b.chance(0.6)
        deps.append((b.add_clone(promotable=promotable),
                     "promotable" if promotable else "clone"))
    for rid, kind in deps:
        if not b.chance(0.8):
            continue
        # loss-policy=fence without fencing is a configuration error (crm_verify)
        fencing = b.props["stonith-enabled"] == "true"
        policy = b.rng.choice(("stop", "demote", "fence" if fencing else "stop", "freeze", ""))
        attrs = f' loss-policy="{policy}"' if policy else ""
        role = ""
        if kind == "promotable" and b.chance(0.6):
            role = "Promoted"
            b.tag("ticket_role_promoted")
        b.tag(f"loss_policy_{policy or 'default'}")
        ticket = b.rng.choice(names)
        if b.chance(0.2):
            set_role = f' role="{role}"' if role else ""
            b.constraints.append(f'<rsc_ticket id="{b.cid("tk")}" ticket="{ticket}"{attrs}>'
                                 f'<resource_set id="{b.cid("tset")}"{set_role}><resource_ref '
                                 f'id="{rid}"/></resource_set></rsc_ticket>')
            b.tag("ticket_set")
        else:
            rsc_role = f' rsc-role="{role}"' if role else ""
            b.constraints.append(f'<rsc_ticket id="{b.cid("tk")}" ticket="{ticket}" '
                                 f'rsc="{rid}"{rsc_role}{attrs}/>')
    if len(deps) > 1 and b.chance(0.4):
        b.colocation(deps[1][0], deps[0][0])


def mix_migration(b: Builder) -> None:
    nodes_vary(b, offline_p=0.1, unclean_p=0.1, standby_p=0.25)
    if b.chance(0.5):
        b.add_fencing()
    migrating = {"allow-migrate": "true"}
    ids: list[str] = []
    for _ in range(b.rng.randint(2, 4)):
        meta = dict(migrating) if b.chance(0.7) else {}
        ids.append(b.add_primitive(fail_p=0.15, meta=meta).rid)
        b.tag("allow_migrate" if meta else "no_migrate")
    if b.chance(0.3):
        gid = b.add_group()
        b.resources[-1] = b.resources[-1].replace(
            f'<group id="{gid}">', f'<group id="{gid}">'
            + nv("meta_attributes", f"{gid}-meta", migrating), 1)
        ids.append(gid)
        b.tag("group_migrate")
    if b.chance(0.2):
        cid = b.add_clone()
        b.resources[-1] = b.resources[-1].replace(
            "</clone>", nv("meta_attributes", f"{cid}-m2", migrating) + "</clone>")
        ids.append(cid)
        b.tag("clone_migrate")
    for rid in ids:
        if b.chance(0.6):
            b.location(rid, b.rng.choice(("100", "200", "INFINITY", "-INFINITY")))
    for _ in range(b.rng.randint(0, 2)):
        first, then = b.rng.sample(ids, 2)
        if b.chance(0.5):
            b.order(first, then, b.rng.choice(("", ' kind="Optional"', ' symmetrical="false"')))
        else:
            b.colocation(then, first)


BUILDERS = {
    "promotable": mix_promotable, "quorum": mix_quorum, "onfail": mix_onfail,
    "sets": mix_sets, "interleave": mix_interleave, "unfencing": mix_unfencing,
    "health": mix_health, "rules": mix_rules, "orphans": mix_orphans,
    "discovery": mix_discovery, "utilization": mix_utilization, "tickets": mix_tickets,
    "migration": mix_migration,
}


def generate(seed: int, mix: str) -> Generated:
    """One CIB of the `mix` for `seed` (the same seed and mix give the same text)."""
    b = Builder(seed, mix)
    BUILDERS[mix](b)
    b.tag(f"nodes_{len(b.nodes)}")
    return Generated(seed, mix, b.document(), tuple(sorted(b.features)))


if __name__ == "__main__":
    args = sys.argv[1:]
    print(generate(int(args[0]) if args else 1, args[1] if len(args) > 1 else "promotable").xml,
          end="")
