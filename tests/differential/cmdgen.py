"""Seeded random operator commands over pcs and the crm_* tools, drawn from the CIB at hand.

Owns choosing the next plausible command an operator might type — valid and invalid ones
(unknown ids, bad scores, duplicate ids, missing arguments, bad options, --force) — given
the current CIB, so a script follows what the configuration holds. Pure: the same seed and
the same CIB always give the same command. Never runs anything (tests/differential/fuzzrun.py
does).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

NODES = ("node-1", "node-2", "node-3")
AGENTS = {
    "ocf:heartbeat:Dummy": (("state", "/run/dummy-{n}.state"), ("fake", "x{n}"),
                            ("op_sleep", "{n}")),
    "ocf:heartbeat:IPaddr2": (("ip", "127.100.{n}.2"), ("cidr_netmask", "24"),
                              ("nic", "lo")),
    "ocf:pacemaker:ping": (("host_list", "127.0.0.1"), ("multiplier", "1000"),
                           ("dampen", "30s")),
    "ocf:pacemaker:Stateful": (("state", "/run/stateful-{n}"),),
    "ocf:pacemaker:Dummy": (("state", "/run/pdummy-{n}"),),
}
BAD_AGENTS = ("ocf:heartbeat:NoSuchAgent", "nosuch:thing", "Dummy", "IPaddr2",
              "ocf:heartbeat")
PROPERTIES = {
    "stonith-enabled": ("false", "true", "maybe"),
    "no-quorum-policy": ("ignore", "stop", "freeze", "demote", "bogus"),
    "symmetric-cluster": ("true", "false", "2"),
    "maintenance-mode": ("false", "true"),
    "start-failure-is-fatal": ("false", "true"),
    "cluster-recheck-interval": ("5min", "60s", "soon"),
    "batch-limit": ("10", "0", "-3", "many"),
    "stonith-timeout": ("60s", "90", "x"),
    "placement-strategy": ("balanced", "utilization", "best"),
    "node-health-strategy": ("none", "migrate-on-red", "sick"),
    "foo": ("bar",),
}
SCORES = ("100", "50", "INFINITY", "-INFINITY", "-100", "+INFINITY", "0", "abc", "1.5")
META = {
    "resource-stickiness": ("1", "100", "INFINITY", "abc"),
    "migration-threshold": ("3", "1", "0"),
    "failure-timeout": ("60", "60s", "2min"),
    "target-role": ("Stopped", "Started", "Promoted", "Bogus"),
    "is-managed": ("false", "true"),
    "priority": ("10",),
}
OPS = ("monitor", "start", "stop", "reload", "promote", "demote", "bogus")
LIFETIMES = ("PT1H", "PT30M", "P1D", "30m", "bogus")


@dataclass(frozen=True)
class Command:
    """One command line: the tool ("pcs", "crm_resource", ...) and its words after the name."""

    tool: str
    argv: tuple[str, ...]
    reads: bool = False  # stdout is the point (a listing or a query): compare it

    def line(self) -> str:
        import shlex
        return " ".join([self.tool, *(shlex.quote(word) for word in self.argv)])


@dataclass(frozen=True)
class CibFacts:
    """What the generator may refer to: the ids the CIB holds now."""

    primitives: tuple[str, ...]
    groups: tuple[str, ...]
    clones: tuple[str, ...]
    constraints: tuple[str, ...]
    ops: tuple[str, ...]
    properties: tuple[str, ...]
    node_attrs: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]

    @property
    def resources(self) -> tuple[str, ...]:
        return self.primitives + self.groups + self.clones


def facts(cib_xml: bytes) -> CibFacts:
    root = etree.fromstring(cib_xml)
    resources = root.find("configuration/resources")

    def ids(path: str, within: etree._Element | None = resources) -> tuple[str, ...]:
        if within is None:
            return ()
        return tuple(sorted(str(e.get("id")) for e in within.iter(path) if e.get("id")))

    constraints = root.find("configuration/constraints")
    node_attrs = tuple(sorted(
        (str(n.get("uname")), str(a.get("name")))
        for n in root.iterfind("configuration/nodes/node")
        for a in n.iterfind("instance_attributes/nvpair")))
    params = tuple(sorted(
        (str(p.get("id")), str(a.get("name")))
        for p in (resources.iter("primitive") if resources is not None else ())
        for a in p.iterfind("instance_attributes/nvpair")))
    return CibFacts(
        primitives=ids("primitive"), groups=ids("group"),
        clones=ids("clone") + ids("master"),
        constraints=tuple(sorted(str(c.get("id")) for c in constraints
                                 if c.get("id"))) if constraints is not None else (),
        ops=ids("op"),
        properties=tuple(sorted({str(p.get("name")) for p in root.iterfind(
            "configuration/crm_config/cluster_property_set/nvpair")})),
        node_attrs=node_attrs, params=params)


class Drawer:
    """The choices, with a bias: mostly ids that exist, sometimes ones that do not."""

    def __init__(self, rng: random.Random, cib: CibFacts) -> None:
        self.rng, self.cib = rng, cib

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: tuple[str, ...] | list[str], fallback: str = "nope") -> str:
        return self.rng.choice(list(options)) if options else fallback

    def resource(self, kinds: str = "any") -> str:
        pool = {"any": self.cib.resources, "primitive": self.cib.primitives,
                "group": self.cib.groups, "clone": self.cib.clones}[kinds]
        return "nope" if self.chance(0.1) or not pool else self.pick(pool)

    def node(self) -> str:
        return "node-9" if self.chance(0.08) else self.pick(NODES)

    def score(self) -> str:
        return self.pick(SCORES) if self.chance(0.25) else self.pick(("100", "INFINITY", "50"))

    def new_id(self, stem: str) -> str:
        if self.chance(0.08) and self.cib.resources:
            return self.pick(self.cib.resources)  # a duplicate
        if self.chance(0.04):
            return self.pick(("1bad", "bad id", "a:b", ""))
        return f"{stem}{self.rng.randrange(1, 40)}"

    def pairs(self, table: dict[str, tuple[str, ...]], most: int = 2) -> list[str]:
        names = self.rng.sample(sorted(table), self.rng.randint(1, min(most, len(table))))
        return [f"{name}={self.pick(table[name])}" for name in names]

    def agent_params(self, agent: str) -> list[str]:
        known = AGENTS.get(agent, ())
        n = str(self.rng.randrange(1, 250))
        words = [f"{k}={v.format(n=n)}" for k, v in known if self.chance(0.6)]
        if agent == "ocf:heartbeat:IPaddr2" and self.chance(0.85) and not any(
                w.startswith("ip=") for w in words):
            words.insert(0, f"ip=127.100.{n}.2")
        if self.chance(0.08):
            words.append(self.pick(("bogus=1", "noequals", "=x")))
        return words

    def op_words(self) -> list[str]:
        words = ["op", self.pick(("monitor", "monitor", "start", "stop"))]
        words += [f"interval={self.pick(('10', '20s', '1min', '0', 'x'))}"]
        if self.chance(0.6):
            words.append(f"timeout={self.pick(('20', '30s', '60'))}")
        return words


def pcs_resource_create(d: Drawer) -> Command:
    agent = d.pick(BAD_AGENTS) if d.chance(0.08) else d.pick(sorted(AGENTS))
    words = ["resource", "create", d.new_id("r"), agent, *d.agent_params(agent)]
    if d.chance(0.3):
        words += d.op_words()
    if d.chance(0.3):
        words += ["meta", *d.pairs(META)]
    tail = d.rng.random()
    if tail < 0.15:
        words += ["clone"] + (["interleave=true"] if d.chance(0.5) else [])
    elif tail < 0.22:
        words += ["promotable"] + (["notify=true"] if d.chance(0.5) else [])
    elif tail < 0.35:
        group = d.pick(d.cib.groups) if d.cib.groups and d.chance(0.5) else d.new_id("g")
        words += ["--group", group]
    if d.chance(0.15):
        words.append("--disabled")
    if d.chance(0.08):
        words.append("--force")
    return Command("pcs", tuple(words))


def pcs_resource_change(d: Drawer) -> Command:
    verb = d.pick(("update", "meta", "enable", "disable", "delete", "utilization", "op add",
                   "op delete", "op defaults", "defaults", "update-op", "update-meta"))
    if verb in ("update", "update-op", "update-meta"):
        rsc = d.resource("primitive")
        agent = d.pick(sorted(AGENTS))
        tail = {"update": d.agent_params(agent), "update-op": d.op_words(),
                "update-meta": ["meta", *d.pairs(META)]}[verb]
        return Command("pcs", ("resource", "update", rsc, *tail))
    if verb == "meta":
        return Command("pcs", ("resource", "meta", d.resource(), *d.pairs(META)))
    if verb in ("enable", "disable", "delete"):
        rsc = d.resource()
        extra = ["--force"] if verb == "delete" and d.chance(0.1) else []
        return Command("pcs", ("resource", verb, rsc, *extra))
    if verb == "utilization":
        return Command("pcs", ("resource", "utilization", d.resource("primitive"),
                               f"cpu={d.pick(('1', '2', 'x'))}"))
    if verb == "op add":
        rsc = d.resource("primitive")
        return Command("pcs", ("resource", "op", "add", rsc, d.pick(OPS),
                               *d.op_words()[2:]))
    if verb == "op delete":
        target = d.pick(d.cib.ops) if d.chance(0.5) else d.pick(OPS)
        words = ("resource", "op", "delete", d.resource("primitive"), target)
        return Command("pcs", words[:3] + words[4:] if target in d.cib.ops else words)
    table = {"timeout": ("60s", "30", "x"), "record-pending": ("true",)} \
        if verb == "op defaults" else META
    update = ["update"] if d.chance(0.7) else []
    return Command("pcs", ("resource", *verb.split(), *update, *d.pairs(table, 1)))


def pcs_resource_layout(d: Drawer) -> Command:
    verb = d.pick(("group add", "group add", "group remove", "ungroup", "clone", "promotable",
                   "unclone"))
    if verb == "group add":
        group = d.pick(d.cib.groups) if d.cib.groups and d.chance(0.5) else d.new_id("g")
        members = [d.resource("primitive") for _ in range(d.rng.randint(1, 2))]
        return Command("pcs", ("resource", "group", "add", group, *members))
    if verb == "group remove":
        return Command("pcs", ("resource", "group", "remove", d.resource("group"),
                               d.resource("primitive")))
    if verb == "ungroup":
        return Command("pcs", ("resource", "ungroup", d.resource("group")))
    if verb == "unclone":
        return Command("pcs", ("resource", "unclone", d.resource("clone")))
    extra = (["interleave=true"] if d.chance(0.4) else [])
    kinds = d.pick(("primitive", "primitive", "group"))
    return Command("pcs", ("resource", verb, d.resource(kinds), *extra))


def pcs_resource_place(d: Drawer) -> Command:
    verb = d.pick(("ban", "clear", "move-with-constraint", "move"))
    words = ["resource", verb, d.resource()]
    if d.chance(0.8) or verb == "move-with-constraint":
        words.append(d.node())
    if verb != "clear" and d.chance(0.3):
        words.append(f"lifetime={d.pick(LIFETIMES)}")
    return Command("pcs", tuple(words))


def pcs_constraint(d: Drawer) -> Command:
    kind = d.pick(("prefers", "avoids", "rule", "add", "colocation", "colocation",
                   "order", "order", "set", "delete", "ref", "remove"))
    if kind in ("prefers", "avoids"):
        nodes = [d.node() + (f"={d.score()}" if d.chance(0.6) else "")
                 for _ in range(d.rng.randint(1, 2))]
        return Command("pcs", ("constraint", "location", d.resource(), kind, *nodes))
    if kind == "rule":
        expr = d.pick(("not_defined pingd or pingd lte 0", "pingd lte 0",
                       "#uname eq node-1", "defined pingd", "date gt 2020-01-01",
                       "pingd lte", "foo bar"))
        return Command("pcs", ("constraint", "location", d.resource(), "rule",
                               f"score={d.score()}", *expr.split()))
    if kind == "add":
        return Command("pcs", ("constraint", "location", "add", d.new_id("loc"),
                               d.resource(), d.node(), d.score()))
    if kind == "colocation":
        role = [d.pick(("Promoted", "Started", "Master"))] if d.chance(0.15) else []
        score = [d.score()] if d.chance(0.6) else []
        return Command("pcs", ("constraint", "colocation", "add", *role, d.resource(), "with",
                               d.resource(), *score))
    if kind == "order":
        first = [d.pick(("start", "stop", "promote", "demote"))] if d.chance(0.4) else []
        then = [d.pick(("start", "stop", "promote"))] if d.chance(0.4) else []
        opts = [f"kind={d.pick(('Mandatory', 'Optional', 'Serialize', 'Bad'))}"] \
            if d.chance(0.3) else []
        return Command("pcs", ("constraint", "order", *first, d.resource(), "then", *then,
                               d.resource(), *opts))
    if kind == "set":
        which = d.pick(("order", "colocation"))
        words = ["constraint", which, "set", d.resource(), d.resource()]
        if d.chance(0.5):
            words += ["sequential=false"] if which == "order" else ["role=Started"]
        words += ["set", d.resource()]
        if d.chance(0.3):
            words += ["setoptions", "score=INFINITY" if which == "colocation" else "kind=Optional"]
        return Command("pcs", tuple(words))
    if kind in ("delete", "remove"):
        target = d.pick(d.cib.constraints) if d.chance(0.8) else "nope"
        return Command("pcs", ("constraint", kind, target))
    return Command("pcs", ("constraint", "ref", d.resource()), reads=True)


def pcs_property_node(d: Drawer) -> Command:
    kind = d.pick(("set", "set", "unset", "attribute", "utilization", "standby",
                   "unstandby", "maintenance", "unmaintenance"))
    if kind == "set":
        force = ["--force"] if d.chance(0.1) else []
        return Command("pcs", ("property", "set", *d.pairs(PROPERTIES), *force))
    if kind == "unset":
        name = d.pick(d.cib.properties) if d.chance(0.8) else "foo"
        return Command("pcs", ("property", "unset", name))
    if kind in ("attribute", "utilization"):
        node = d.node()
        if kind == "attribute" and d.cib.node_attrs and d.chance(0.3):
            node, name = d.pick([f"{n} {a}" for n, a in d.cib.node_attrs]).split()
            return Command("pcs", ("node", kind, node, f"{name}="))
        value = d.pick(("1", "8", "x", ""))
        return Command("pcs", ("node", kind, node, f"{d.pick(('rack', 'cpu', 'ram'))}={value}"))
    return Command("pcs", ("node", kind, d.node()))


def pcs_read(d: Drawer) -> Command:
    words = d.pick(("resource config", "constraint", "constraint config", "property config",
                    "resource status", "status", "stonith config", "resource config ID",
                    "constraint location", "constraint order", "constraint colocation",
                    "property", "resource op defaults", "resource defaults"))
    argv = tuple(words.replace("ID", d.resource()).split())
    return Command("pcs", argv, reads=True)


def crm_resource(d: Drawer) -> Command:
    kind = d.pick(("list", "locate", "move", "ban", "clear", "get", "set", "delete",
                   "query-xml", "bad"))
    rsc = ["-r", d.resource()] if d.chance(0.92) else []
    if kind == "list":
        return Command("crm_resource", ("--list",), reads=True)
    if kind == "locate":
        return Command("crm_resource", ("--locate", *rsc), reads=True)
    if kind in ("move", "ban", "clear"):
        node = ["-N", d.node()] if d.chance(0.8) else []
        life = ["--lifetime", d.pick(LIFETIMES)] if kind != "clear" and d.chance(0.3) else []
        return Command("crm_resource", (f"--{kind}", *rsc, *node, *life))
    meta = ["--meta"] if d.chance(0.35) else []
    name = d.pick(("target-role", "is-managed", "ip", "state", "bogus", "multiplier"))
    if kind == "get":
        return Command("crm_resource", (*rsc, "--get-parameter", name, *meta), reads=True)
    if kind == "set":
        value = d.pick(("Stopped", "Started", "false", "5", "127.100.9.9"))
        return Command("crm_resource", (*rsc, "--set-parameter", name, "--parameter-value",
                                        value, *meta))
    if kind == "delete":
        return Command("crm_resource", (*rsc, "--delete-parameter", name, *meta))
    if kind == "query-xml":
        return Command("crm_resource", ("--query-xml", *rsc), reads=True)
    return Command("crm_resource", (d.pick(("--bogus", "-Z", "--move")), *rsc))


def crm_attribute(d: Drawer) -> Command:
    name = d.pick(("rack", "pingd", "stonith-enabled", "maintenance-mode", "foo"))
    scope = d.pick(("", "nodes", "crm_config", "status", "bogus"))
    words = ["-n", name] if d.chance(0.92) else []
    if scope in ("nodes", "status") or (not scope and d.chance(0.3)):
        words += ["-N", d.node()]
    if scope:
        words += ["-t", scope]
    if d.chance(0.25):
        words += ["-l", d.pick(("reboot", "forever", "never"))]
    action = d.rng.random()
    if action < 0.45:
        words += ["-v", d.pick(("1", "true", "false", "100"))]
    elif action < 0.75:
        words += ["-G"] + (["-q"] if d.chance(0.4) else [])
    else:
        words += ["-D"]
    return Command("crm_attribute", tuple(words), reads="-G" in words)


def cibadmin(d: Drawer) -> Command:
    kind = d.pick(("query", "xpath", "create", "modify", "replace", "delete", "delete-xpath",
                   "bad"))
    rsc = d.resource("primitive")
    section = d.pick(("resources", "constraints", "crm_config", "nodes", "bogus"))
    if kind == "query":
        return Command("cibadmin", ("--query", "-o", section), reads=True)
    if kind == "xpath":
        xpath = d.pick((f"//primitive[@id='{rsc}']", "//nope", "//rsc_location",
                        "//nvpair[@name='stonith-enabled']"))
        return Command("cibadmin", ("--query", "--xpath", xpath), reads=True)
    if kind == "create":
        xml = d.pick((f'<rsc_location id="{d.new_id("lx")}" rsc="{rsc}" node="{d.node()}" '
                      f'score="{d.score()}"/>', f'<bogus id="{d.new_id("b")}"/>',
                      f'<primitive id="{d.new_id("x")}" class="ocf" provider="heartbeat" '
                      'type="Dummy"/>'))
        return Command("cibadmin", ("--create", "-o", section, "--xml-text", xml))
    if kind == "modify":
        xml = f'<primitive id="{rsc}" description="{d.pick(("a", "b"))}"/>'
        return Command("cibadmin", ("--modify", "--xml-text", xml))
    if kind == "replace":
        xml = f'<primitive id="{rsc}" class="ocf" provider="heartbeat" type="Dummy"/>'
        return Command("cibadmin", ("--replace", "-o", "resources", "--xml-text", xml))
    if kind == "delete":
        target = d.pick(d.cib.constraints) if d.cib.constraints else "nope"
        tag = "rsc_location" if d.chance(0.7) else "rsc_order"
        return Command("cibadmin", ("--delete", "--xml-text", f'<{tag} id="{target}"/>'))
    if kind == "delete-xpath":
        return Command("cibadmin", ("--delete", "--xpath", d.pick(
            ("//rsc_location[@score='100']", "//nope", f"//primitive[@id='{rsc}']/meta_attributes"))))
    return Command("cibadmin", tuple(d.pick(("--bogus", "-Q -o", "--create")).split()))


def crm_misc(d: Drawer) -> Command:
    kind = d.pick(("node", "verify", "verify", "standby", "standby", "failcount"))
    if kind == "node":
        return Command("crm_node", (d.pick(("-l", "-n", "-q", "-p", "-i", "--bogus")),),
                       reads=True)
    if kind == "verify":
        return Command("crm_verify", tuple(d.pick(("-L", "-L -V", "-LV", "--bogus")).split()),
                       reads=True)
    action = d.pick((("-v", "on"), ("-v", "off"), ("-G",), ("-D",), ("-G", "-q")))
    if kind == "standby":
        return Command("crm_standby", ("-N", d.node(), *action), reads="-G" in action)
    action = d.pick((("-G",), ("-G", "-q"), ("-D",)))
    return Command("crm_failcount", ("-r", d.resource("primitive"), "-N", d.node(), *action),
                   reads="-G" in action)


def families() -> tuple[tuple[Callable[[Drawer], Command], int, str], ...]:
    """Each family, its weight and its kind; "reads" (tests/differential/cmdgen_reads.py:
    crm_mon, crm_resource queries, pcs listings, crmsh) only when asked for."""
    from tests.differential import cmdgen_reads as reads

    return (
        (pcs_resource_create, 12, "pcs"), (pcs_resource_change, 10, "pcs"),
        (pcs_resource_layout, 5, "pcs"), (pcs_resource_place, 5, "pcs"),
        (pcs_constraint, 10, "pcs"), (pcs_property_node, 6, "pcs"), (pcs_read, 4, "pcs"),
        (crm_resource, 8, "crm"), (crm_attribute, 5, "crm"), (cibadmin, 6, "crm"),
        (crm_misc, 4, "crm"), (reads.crm_mon, 5, "reads"),
        (reads.crm_resource_reads, 5, "reads"), (reads.pcs_reads, 4, "reads"),
        (reads.crmsh_reads, 3, "reads"),
    )


def draw(rng: random.Random, cib_xml: bytes, kinds: str = "pcs,crm") -> Command:
    """The next command, given the CIB as it is now (the real tools' copy); kinds picks
    the families ("pcs", "crm", "reads", comma-separated)."""
    wanted = set(kinds.split(","))
    families_wanted = [(f, w) for f, w, kind in families() if kind in wanted]
    family = rng.choices([f for f, _ in families_wanted],
                         weights=[w for _, w in families_wanted])[0]
    return family(Drawer(rng, facts(cib_xml)))
