"""Live migration (allow-migrate): a resource that moves migrates (migrate_to on the old
node, migrate_from on the new one, then the old node's stop; the start is a pseudo
action) unless it failed, or an ordering needs it stopped the ordinary way. Also: a
running resource whose mandatory first cannot run stops. Expected summaries are what
crm_simulate 2.1.5 prints for the same CIBs."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"
MIGRATE = '<meta_attributes id="{0}-m"><nvpair id="{0}-am" name="allow-migrate" value="true"/>' \
          "</meta_attributes>"


def history(rid: str, rc: int = 0) -> str:
    op = (f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_start_0" operation="start" '
          f'interval="0" op-status="0" rc-code="{rc}" call-id="2" transition-key="1:1:0:x" '
          f'op-digest="{DIGEST}"/>')
    return f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{op}' \
           "</lrm_resource>"


def prim(rid: str, migrate: bool = True, meta: str = "") -> str:
    inner = MIGRATE.format(rid) if migrate else meta
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{inner}' \
           "</primitive>"


def prefer(rid: str, node: str = "node2", score: str = "100") -> str:
    return f'<rsc_location id="l-{rid}" rsc="{rid}" node="{node}" score="{score}"/>'


def order(first: str, then: str) -> str:
    return f'<rsc_order id="o-{first}-{then}" first="{first}" then="{then}"/>'


def cib(resources: str, constraints: str, lrm: dict[str, str]) -> object:
    nodes = ("node1", "node2")
    return cibkit.cib(nodes, resources, constraints, cibkit.node_states(nodes, lrm))


def lines(root: object) -> list[str]:
    return sorted(" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines())


def executed(root: object) -> list[tuple[str | None, str, str | None, bool]]:
    return sorted(((a.rsc, a.task, a.node, a.pseudo)
                   for a in schedule(root, now_s=0).executed()), key=str)


def test_a_resource_that_allows_it_migrates_when_it_moves() -> None:
    root = cib(prim("A"), prefer("A"), {"node1": history("A")})
    assert lines(root) == ["* Migrate A ( node1 -> node2 )"]
    assert executed(root) == [("A", "migrate_from", "node2", False),
                              ("A", "migrate_to", "node1", False),
                              ("A", "monitor", "node2", False),  # the probe
                              ("A", "start", "node2", True),
                              ("A", "stop", "node1", False)]


def test_the_migration_actions_run_in_order_and_name_their_peer_node() -> None:
    transition = schedule(cib(prim("A"), prefer("A"), {"node1": history("A")}), now_s=0)
    order_of = [a.task for a in transition.executed()]
    assert order_of.index("migrate_to") < order_of.index("migrate_from") < order_of.index("stop")
    peers = {a.task: a.peer for a in transition.executed()}
    assert peers["migrate_to"] == "node2" and peers["migrate_from"] == "node1"


def test_without_allow_migrate_it_moves() -> None:
    root = cib(prim("A", migrate=False), prefer("A"), {"node1": history("A")})
    assert lines(root) == ["* Move A ( node1 -> node2 )"]


def test_a_failed_resource_is_recovered_not_migrated() -> None:
    root = cib(prim("A"), prefer("A"), {"node1": history("A", rc=1)})
    assert lines(root) == ["* Recover A ( node1 -> node2 )"]


def test_an_ordering_on_a_resource_that_cannot_migrate_takes_the_migration_back() -> None:
    root = cib(prim("C", migrate=False) + prim("A") + prim("B"),
               prefer("A") + prefer("B") + prefer("C") + order("C", "A") + order("A", "B"),
               {"node1": history("A") + history("B") + history("C")})
    assert lines(root) == ["* Move A ( node1 -> node2 ) due to unrunnable C stop",
                           "* Move B ( node1 -> node2 ) due to unrunnable A stop",
                           "* Move C ( node1 -> node2 )"]


def test_what_is_ordered_after_a_migrating_resource_is_not_restarted() -> None:
    root = cib(prim("A") + prim("B", migrate=False), prefer("A") + prefer("B") + order("A", "B"),
               {"node1": history("A"), "node2": history("B")})
    assert lines(root) == ["* Migrate A ( node1 -> node2 )"]


def test_group_members_that_allow_it_migrate_together() -> None:
    group = f'<group id="G">{MIGRATE.format("G")}{prim("G1", False)}{prim("G2", False)}</group>'
    root = cib(group, prefer("G"), {"node1": history("G1") + history("G2")})
    assert lines(root) == ["* Migrate G1 ( node1 -> node2 )", "* Migrate G2 ( node1 -> node2 )"]


def test_a_running_resource_whose_mandatory_first_cannot_run_stops() -> None:
    root = cib(prim("A", migrate=False) + prim("B", migrate=False),
               '<rsc_location id="ban-a" rsc="A" node="node1" score="-INFINITY"/>'
               '<rsc_location id="ban-a2" rsc="A" node="node2" score="-INFINITY"/>'
               + order("A", "B"), {"node1": history("B")})
    assert lines(root) == ["* Stop B ( node1 ) due to unrunnable A start"]
