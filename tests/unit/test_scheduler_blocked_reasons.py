"""Which reason a start that cannot happen names, as crm_simulate 2.1.5 prints it (each
expected summary was read from the real tool on the same CIB): what is mandatorily
colocated with a primitive whose start cannot run is blocked by that colocation before
any ordering is followed; an ordered set with require-all=false waits on the pseudo
action "one-or-more:<set id>", whatever the set holds."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")
DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def dummy(rid: str) -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy"/>'


def op(rid: str, task: str, rc: int, call: int, target: int = 0) -> str:
    return (f'<lrm_rsc_op id="{rid}_{task}_{call}" operation_key="{rid}_{task}_0" '
            f'operation="{task}" transition-key="{call}:1:{target}:x" '
            f'transition-magic="0:{rc};{call}:1:{target}:x" call-id="{call}" rc-code="{rc}" '
            f'op-status="0" interval="0" op-digest="{DIGEST}"/>')


def history(rid: str, *ops: str) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'{"".join(ops)}</lrm_resource>')


def lines(resources: str, constraints: str, lrm: dict[str, str]) -> list[str]:
    text = cibkit.cib_text(NODES, resources, constraints, cibkit.node_states(NODES, lrm))
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    return sorted(" ".join(line.split()) for line in summary)


def test_a_dependent_of_a_primitive_blocked_by_a_failed_stop_names_the_colocation() -> None:
    # A's stop failed without fencing: A stays blocked on node1 and has no start; B runs on
    # node2 but may only run with A, and is ordered after A.
    lrm = {"node1": history("A", op("A", "start", 0, 2), op("A", "stop", 1, 3)),
           "node2": history("B", op("B", "start", 0, 4))}
    cons = ('<rsc_colocation id="col" rsc="B" with-rsc="A" score="INFINITY"/>'
            '<rsc_order id="ord" first="A" then="B"/>')
    assert lines(dummy("A") + dummy("B"), cons, lrm) == [
        "* Stop B ( node2 ) due to colocation with A"]


def test_a_require_all_false_set_with_a_clone_waits_on_one_or_more_of_the_set() -> None:
    clone = '<clone id="C">' + dummy("cc") + "</clone>"
    cons = ('<rsc_location id="l1" rsc="C" node="node1" score="-INFINITY"/>'
            '<rsc_location id="l2" rsc="C" node="node2" score="-INFINITY"/>'
            '<rsc_order id="ord"><resource_set id="firsts" require-all="false">'
            '<resource_ref id="C"/></resource_set><resource_set id="thens">'
            '<resource_ref id="B"/></resource_set></rsc_order>')
    lrm = {"node1": history("B", op("B", "start", 0, 2))}
    assert lines(clone + dummy("B"), cons, lrm) == [
        "* Stop B ( node1 ) due to unrunnable one-or-more:firsts"]
