"""Anonymous clone instance numbering from the status section: which history takes which
instance number, and when a history becomes an orphan instance of its own (Pacemaker
prints such an instance's promotion score 'on none')."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")


def op(task: str, rc: int, call: int, interval: int = 0) -> str:
    return (f'<lrm_rsc_op id="s_{task}_{interval}_{call}" operation_key="s_{task}_{interval}" '
            f'operation="{task}" interval="{interval}" op-status="0" rc-code="{rc}" '
            f'call-id="{call}" transition-key="1:1:0:x" transition-magic="0:{rc};1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def history(lrm_id: str, ops: str) -> str:
    return (f'<lrm_resource id="{lrm_id}" class="ocf" provider="pacemaker" type="Stateful">'
            f"{ops}</lrm_resource>")


PROBED = op("monitor", 7, 1)
STARTED = op("start", 0, 2)


def cib(histories: dict[str, str], *, clone_max: int = 2, requires: str = "",
        lost: str = "", stonith: bool = True) -> object:
    """A promotable clone 's' on three nodes; `lost` is a node that left uncleanly."""
    meta = (f'<meta_attributes id="sm"><nvpair id="sr" name="requires" value="{requires}"/>'
            "</meta_attributes>" if requires else "")
    resources = ('<clone id="sc"><meta_attributes id="cm">'
                 f'<nvpair id="cmax" name="clone-max" value="{clone_max}"/>'
                 '<nvpair id="cp" name="promotable" value="true"/></meta_attributes>'
                 f'<primitive id="s" class="ocf" provider="pacemaker" type="Stateful">{meta}'
                 "</primitive></clone>")
    states = cibkit.node_states(NODES, histories, (lost,) if lost else ())
    return cibkit.cib(NODES, resources, "", states, stonith=stonith)


def promotion_lines(root: object) -> list[str]:
    return sorted(line for line in schedule(root, now_s=0).score_lines
                  if "promotion score" in line)


def test_a_second_history_of_an_instance_on_one_node_is_an_orphan_instance() -> None:
    # node1 runs s:0 and also holds a probe of s:1: that probe cannot take s:1 (node1
    # already runs an instance), so it becomes a third, orphan instance s:2.
    root = cib({"node1": history("s:0", STARTED) + history("s:1", PROBED),
                "node2": history("s:0", PROBED)})
    assert "s:2 promotion score on none: 0" in promotion_lines(root)


def test_a_probe_before_the_active_history_shares_its_instance() -> None:
    root = cib({"node1": history("s:1", PROBED) + history("s:0", STARTED)})
    assert not any(line.startswith("s:2") for line in promotion_lines(root))


def test_a_history_on_a_lost_node_spends_no_instance_when_no_fencing_is_needed() -> None:
    # requires=quorum: an instance on a node about to be fenced is not waited for.
    root = cib({"node3": history("s", PROBED), "node1": history("s", STARTED)},
               requires="quorum", lost="node3")
    assert "s:2 promotion score on none: 0" in promotion_lines(root)


def test_a_history_on_a_lost_node_keeps_its_instance_when_fencing_is_needed() -> None:
    root = cib({"node3": history("s", PROBED), "node1": history("s", STARTED)},
               lost="node3")
    assert not any(line.startswith("s:2") for line in promotion_lines(root))


def test_a_clone_with_an_instance_per_node_spends_numbers_on_lost_nodes() -> None:
    root = cib({"node3": history("s", PROBED), "node1": history("s", STARTED)},
               requires="quorum", lost="node3", clone_max=3)
    assert not any(line.startswith("s:3") for line in promotion_lines(root))
