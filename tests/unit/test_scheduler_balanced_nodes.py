"""placement-strategy=balanced compares two nodes' free capacity attribute by attribute,
as Pacemaker 2.1.5 does (not by a sum): when each node leads in some attribute they tie,
and the node with fewer resources placed wins (expected summary read from the real
crm_simulate on the same CIB)."""

from __future__ import annotations

import cibkit
from lxml import etree

from hacluster.scheduler import schedule

NODES = ("node1", "node2")


def node(name: str, cpu: int, mem: int) -> str:
    return (f'<node id="{name}" uname="{name}"><utilization id="{name}-u">'
            f'<nvpair id="{name}-cpu" name="cpu" value="{cpu}"/>'
            f'<nvpair id="{name}-mem" name="mem" value="{mem}"/></utilization></node>')


def dummy(rid: str, cpu: int, mem: int) -> str:
    return (f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<utilization id="{rid}-u"><nvpair id="{rid}-cpu" name="cpu" value="{cpu}"/>'
            f'<nvpair id="{rid}-mem" name="mem" value="{mem}"/></utilization></primitive>')


def test_a_tie_in_capacity_goes_to_the_node_with_fewer_resources() -> None:
    # After X: node1 has cpu 7 / mem 3840 left, node2 cpu 8 / mem 1024: a tie (a sum
    # would favour node1), so Y goes where fewer resources are.
    text = cibkit.cib_text(NODES, dummy("X", 1, 256) + dummy("Y", 2, 256),
                           '<rsc_location id="l" rsc="X" node="node1" score="100"/>',
                           node_xml=node("node1", 8, 4096) + node("node2", 8, 1024),
                           props='<nvpair id="ps" name="placement-strategy" value="balanced"/>')
    summary = schedule(etree.fromstring(text.encode()), now_s=0).summary_lines()
    assert sorted(" ".join(line.split()) for line in summary) == [
        "* Start X ( node1 )", "* Start Y ( node2 )"]
