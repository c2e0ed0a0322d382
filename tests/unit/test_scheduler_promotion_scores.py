"""Promotion scores of an anonymous promotable clone as crm_simulate 2.1.5 prints them on
the same CIB: a partition without quorum prints the scores it would have with quorum
(what cannot happen there is the promotion, not the score)."""

from __future__ import annotations

import cibkit

from hacluster.scheduler import schedule

NODES = ("node1", "node2", "node3")
MASTER = {"node1": 5, "node2": 10, "node3": 7}


def op(task: str, call: int) -> str:
    return (f'<lrm_rsc_op id="s_{task}_{call}" operation_key="s_{task}_0" '
            f'operation="{task}" interval="0" op-status="0" rc-code="0" call-id="{call}" '
            'transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" '
            'op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>')


def cib(quorum: bool = True, policy: str = "stop", promoted: bool = False) -> object:
    """ms of s runs unpromoted on node1 (promoted: promoted there) and node2; node3 never
    ran it; master-s is 5, 10 and 7; a Promoted location prefers node3 by 100."""
    hist = {"node1": op("start", 1) + (op("promote", 3) if promoted else ""),
            "node2": op("start", 2)}
    states = "".join(cibkit.node_state(
        n, lrm=(f'<lrm_resource id="s" class="ocf" provider="pacemaker" type="Stateful">'
                f"{hist[n]}</lrm_resource>" if n in hist else ""),
        inner=f'<transient_attributes id="t{n}"><instance_attributes id="ta{n}"><nvpair '
              f'id="m{n}" name="master-s" value="{MASTER[n]}"/></instance_attributes>'
              "</transient_attributes>") for n in NODES)
    resources = ('<clone id="ms"><meta_attributes id="cm"><nvpair id="cp" '
                 'name="promotable" value="true"/></meta_attributes><primitive id="s" class="ocf" '
                 'provider="pacemaker" type="Stateful"/></clone>')
    return cibkit.cib(NODES, resources,
                      '<rsc_location id="l" rsc="ms" role="Promoted" node="node3" score="100"/>',
                      states, root=f'have-quorum="{int(quorum)}"',
                      props=f'<nvpair id="nq" name="no-quorum-policy" value="{policy}"/>')


def lines(root: object) -> set[str]:
    return set(schedule(root, now_s=0).score_lines)


def test_without_quorum_the_promotion_scores_print_as_with_quorum() -> None:
    root = cib(quorum=False, policy="freeze")
    out = lines(root)
    assert {"s:0 promotion score on node1: 5", "s:1 promotion score on node2: 10",
            "s:2 promotion score on node3: 107"} <= out
    summary = [" ".join(line.split()) for line in schedule(root, now_s=0).summary_lines()]
    assert not any(line.startswith("* Promote") and "blocked" not in line
                   for line in summary)


def test_without_quorum_each_policy_decides_like_crm_simulate() -> None:
    # crm_simulate 2.1.5 on the same CIB (s:0 promoted on node1, s:1 on node2, the
    # Promoted location prefers node3): promotion is chosen as with quorum; demote
    # demotes the active instances and keeps them running, stop stops them, freeze
    # starts nothing; the new promotion cannot run ("blocked").
    def summary(policy: str) -> list[str]:
        root = cib(quorum=False, policy=policy, promoted=True)
        return [" ".join(line.split()).replace("( ", "(").replace(" )", ")")
                for line in schedule(root, now_s=0).summary_lines()]

    assert summary("demote") == ["* Demote s:0 (Promoted -> Unpromoted node1)",
                                 "* Promote s:2 (Stopped -> Promoted node3) blocked"]
    assert summary("stop") == ["* Stop s:0 (Promoted node1) due to no quorum",
                               "* Stop s:1 (Unpromoted node2) due to no quorum",
                               "* Promote s:2 (Stopped -> Promoted node3) blocked"]
    assert summary("freeze") == ["* Start s:2 (node3) due to quorum freeze (blocked)"]
