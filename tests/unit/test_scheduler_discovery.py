"""resource-discovery on location constraints (Pacemaker Explained, "Location constraints"):
never skips the probe on that node; exclusive probes only on the nodes its locations name
and bans every other node, offline ones too. Expected results are what crm_simulate 2.1.5
prints for the same CIBs."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

PRIM = '<primitive id="{0}" class="ocf" provider="pacemaker" type="Dummy"/>'


def cib(constraints: str, offline: tuple[str, ...] = (), clone: bool = False) -> object:
    nodes = ("node1", "node2", "node3")
    states = "".join(cibkit.node_state(n) for n in nodes if n not in offline)
    rsc = PRIM.format("A")
    if clone:
        rsc = f'<clone id="C">{rsc}</clone>'
    return cibkit.cib(nodes, rsc, constraints, states)


def location(node: str, score: str, mode: str, rsc: str = "A") -> str:
    return (f'<rsc_location id="l-{node}-{mode}" rsc="{rsc}" node="{node}" score="{score}" '
            f'resource-discovery="{mode}"/>')


def probes(root: object) -> list[str]:
    return sorted(str(a.node) for a in schedule(root, now_s=0).executed()
                  if a.task == "monitor")


def scores(root: object) -> list[str]:
    return [line.rsplit(" ", 3)[-2].rstrip(":") + " " + line.rsplit(" ", 1)[-1]
            for line in schedule(root, now_s=0).score_lines
            if line.startswith("pcmk__primitive_assign: A ")]


def lines(root: object) -> list[str]:
    return [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]


def test_without_discovery_settings_every_online_node_is_probed() -> None:
    assert probes(cib("")) == ["node1", "node2", "node3"]


def test_discovery_never_skips_the_probe_on_that_node_only() -> None:
    root = cib(location("node2", "-INFINITY", "never"))
    assert probes(root) == ["node1", "node3"]
    assert lines(root) == ["* Start A ( node1 )"]


def test_discovery_exclusive_probes_and_allows_only_the_named_nodes() -> None:
    root = cib(location("node1", "0", "exclusive"), offline=("node2",))
    assert probes(root) == ["node1"]
    assert scores(root) == ["node1 0", "node2 -INFINITY", "node3 -INFINITY"]
    assert lines(root) == ["* Start A ( node1 )"]


def test_exclusive_discovery_of_a_clone_keeps_its_instances_on_the_named_nodes() -> None:
    root = cib(location("node1", "0", "exclusive", "C") + location("node3", "0", "exclusive",
                                                                   "C"), clone=True)
    assert sorted(lines(root)) == ["* Start A:0 ( node1 )", "* Start A:1 ( node3 )"]
    assert probes(root) == ["node1", "node3"]
