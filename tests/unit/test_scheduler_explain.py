"""Explain: a table of small CIBs, each with the key phrase the explanation must say;
the scores it shows are the scheduler's own; the CLIs (crm_simulate --explain,
hacluster explain) and crm_simulate's one-line errors on bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cibkit
import pytest
from lxml import etree

from hacluster.api import explain as api_explain
from hacluster.api import simulate as sim
from hacluster.common import Code, HaError
from hacluster.scheduler import explain, rule_constraints_of, unpack

NOW_S = 1_700_000_000
PRIM = '<primitive id="{0}" class="ocf" provider="pacemaker" type="Dummy">{1}</primitive>'


def meta(rid: str, **values: str) -> str:
    pairs = "".join(f'<nvpair id="{rid}-m-{k}" name="{k}" value="{v}"/>' for k, v in values.items())
    return f'<meta_attributes id="{rid}-meta">{pairs}</meta_attributes>'


def prim(rid: str, inner: str = "") -> str:
    return PRIM.format(rid, inner)


def running(rid: str, op: str = "start", rc: int = 0, call: int = 2) -> str:
    return (f'<lrm_resource id="{rid}" class="ocf" provider="pacemaker" type="Dummy">'
            f'<lrm_rsc_op id="{rid}_last_0" operation_key="{rid}_{op}_0" operation="{op}" '
            f'call-id="{call}" rc-code="{rc}" op-status="0" interval="0" '
            f'transition-key="1:1:0:x" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>'
            '</lrm_resource>')


def cib(resources: str, constraints: str = "", props: str = "", lrm: dict[str, str] | None = None,
        node_attrs: dict[str, str] | None = None, transient: dict[str, str] | None = None,
        offline: tuple[str, ...] = (), nodes: int = 2) -> str:
    """A CIB with `nodes` nodes; `lrm`/`transient`: node -> raw XML of its history/attrs."""
    names = [f"node{i}" for i in range(1, nodes + 1)]
    node_xml = "".join(f'<node id="{i}" uname="{n}">{(node_attrs or {}).get(n, "")}</node>'
                       for i, n in enumerate(names, 1))
    states = "".join(cibkit.node_state(
        n, node_id=str(i), online=n not in offline, lrm=(lrm or {}).get(n, ""),
        inner=f'<transient_attributes id="{i}"><instance_attributes id="st-{i}">'
              f'{(transient or {}).get(n, "")}</instance_attributes></transient_attributes>')
        for i, n in enumerate(names, 1))
    return cibkit.cib_text(names, resources, constraints, states, props=props,
                           node_xml=node_xml, set_id="cp", root='epoch="1" num_updates="0" admin_epoch="0" '
                           'validate-with="pacemaker-3.7" have-quorum="1"')


def prop(name: str, value: str) -> str:
    return f'<nvpair id="cp-{name}" name="{name}" value="{value}"/>'


def explain_text(xml: str, rsc: str) -> str:
    root = etree.fromstring(xml.encode())
    return explain(unpack(root, NOW_S), rsc, rule_constraints_of(root)).text()


CASES = {
    "ban": (cib(prim("A"), '<rsc_location id="ban-node2" rsc="A" node="node2" '
                'score="-INFINITY"/>'), "A",
            ["banned from node2 by location constraint ban-node2 (-INFINITY)",
             "starts on node1", "node2=-INFINITY"]),
    "stickiness": (cib(prim("A", meta("A", **{"resource-stickiness": "100"})),
                       '<rsc_location id="pref-node2" rsc="A" node="node2" score="50"/>',
                       lrm={"node1": running("A")}), "A",
                   ["stays on node1: resource-stickiness 100",
                    "prefers node2 by location constraint pref-node2 (50)",
                    "now Started on node1; stays on node1",
                    "why: node1 has the highest score (100)",
                    "score on node1 = 100: resource-stickiness +100",
                    "score on node2 = 50: location pref-node2 +50"]),
    "migration-threshold": (
        cib(prim("A", meta("A", **{"migration-threshold": "3"})), lrm={"node1": running("A")},
            transient={"node1": '<nvpair id="fc" name="fail-count-A#monitor_10000" value="3"/>'}),
        "A", ["fail-count 3 reached migration-threshold 3 on node1", "moves to node2",
              "score on node1 = -INFINITY: banned after failures"]),
    "failure-timeout": (
        cib(prim("A", meta("A", **{"migration-threshold": "3", "failure-timeout": "10min"})),
            lrm={"node1": running("A")},
            transient={"node1": '<nvpair id="fc" name="fail-count-A#monitor_10000" value="1"/>'
                                f'<nvpair id="lf" name="last-failure-A#monitor_10000" '
                                f'value="{NOW_S - 60}"/>'}),
        "A", ["fail-count 1 on node1 (migration-threshold 3); failures expire after "
              "failure-timeout 10min", "stays on node1"]),
    "group": (cib('<group id="G">' + prim("A") + prim("B") + "</group>",
                  '<rsc_location id="G-pref" rsc="G" node="node2" score="20"/>'), "G",
              ["G: group of A, B; placed on node2", "prefers node2 by location constraint "
               "G-pref (20)", "A: now Stopped; starts on node2 (in G)",
               "B: now Stopped; starts on node2 (in G)"]),
    "asymmetric": (cib(prim("A"), props=prop("symmetric-cluster", "false")), "A",
                   ["no node allows it: symmetric-cluster is false and no location constraint "
                    "gives a positive score", "stays stopped"]),
    "target-role": (cib(prim("A", meta("A", **{"target-role": "Stopped"})),
                        lrm={"node1": running("A")}), "A",
                    ["Stopped: target-role=Stopped", "will be stopped", "Stop       A",
                     "why: Stopped: target-role=Stopped"]),
    "unmanaged": (cib(prim("A", meta("A", **{"is-managed": "false"})),
                      '<rsc_location id="ban1" rsc="A" node="node1" score="-INFINITY"/>',
                      lrm={"node1": running("A")}), "A",
                  ["unmanaged (is-managed=false)", "stays on node1"]),
    "colocation": (cib(prim("A", meta("A", **{"target-role": "Stopped"})) + prim("B"),
                       '<rsc_colocation id="B-with-A" rsc="B" with-rsc="A" score="INFINITY"/>'),
                   "B", ["colocated with A (B-with-A, INFINITY): A is not running anywhere so "
                         "it cannot run anywhere", "stays stopped"]),
    "order": (cib(prim("A", meta("A", **{"target-role": "Stopped"})) + prim("B"),
                  '<rsc_order id="A-then-B" first="A" then="B" kind="Mandatory"/>'), "B",
              ["unrunnable: mandatory order A-then-B (A start then B start): A cannot start",
               "would start on node1, but that is blocked", "why: blocked: unrunnable A start"]),
    "no-quorum": (cib(prim("A")).replace('have-quorum="1"', 'have-quorum="0"'), "A",
                  ["the partition has no quorum (no-quorum-policy=stop): every resource stops",
                   "why: blocked: no quorum"]),
    "promotable": (cib('<clone id="P">' + meta("P", promotable="true") + prim("S") + "</clone>",
                       '<rsc_location id="P-pref" rsc="P" node="node1" score="10" '
                       'role="Promoted"/>'), "S",
                   ["promotion scores: node1=", "starts on node1 as Promoted", "prefers node1 in role Promoted by location "
                    "constraint P-pref (10) (on P)"]),
    "offline": (cib(prim("A"), offline=("node2",)), "A",
                ["cannot run resources: node2 (offline)", "starts on node1",
                 "why: node1 has the highest score (0)"]),
    "standby": (cib(prim("A"), node_attrs={"node1": '<instance_attributes id="n1a"><nvpair '
                                           'id="n1s" name="standby" value="on"/>'
                                           '</instance_attributes>'}), "A",
                ["cannot run resources: node1 (standby)", "starts on node2"]),
    "standby-stops": (cib(prim("A"), '<rsc_location id="ban2" rsc="A" node="node2" '
                                     'score="-INFINITY"/>', lrm={"node1": running("A")},
                          node_attrs={"node1": '<instance_attributes id="n1a"><nvpair '
                                               'id="n1s" name="standby" value="on"/>'
                                               '</instance_attributes>'}), "A",
                      ["now Started on node1; will be stopped",
                       "why: node1 cannot run resources (standby)"]),
    "rule-matched": (cib(prim("A"), '<rsc_location id="by-rule" rsc="A"><rule id="r1" '
                         'score="200"><expression id="e1" attribute="#uname" operation="eq" '
                         'value="node2"/></rule></rsc_location>'), "A",
                     ["prefers node2 by rule of location constraint by-rule (200)",
                      "starts on node2"]),
    "rule-unmatched": (cib(prim("A"), '<rsc_location id="by-rule" rsc="A"><rule id="r1" '
                           'score="200"><expression id="e1" attribute="#uname" '
                           'operation="eq" value="nodeX"/></rule></rsc_location>'), "A",
                       ["location constraint by-rule: its rule matched no node"]),
    "utilization": (cib(prim("A", '<utilization id="Au"><nvpair id="Auc" name="cpu" '
                             'value="2"/></utilization>'),
                        props=prop("placement-strategy", "utilization"),
                        node_attrs={"node1": '<utilization id="n1u"><nvpair id="n1c" '
                                             'name="cpu" value="1"/></utilization>',
                                    "node2": '<utilization id="n2u"><nvpair id="n2c" '
                                             'name="cpu" value="4"/></utilization>'}), "A",
                    ["not enough capacity on node1: needs cpu=2, free cpu=1 "
                     "(placement-strategy=utilization)", "starts on node2"]),
    "failed-stop": (cib(prim("A"), lrm={"node1": running("A", "stop", rc=1)}), "A",
                    ["blocked: a stop failed on node1"]),
    "group-member": (cib('<group id="G">' + prim("A") + prim("B") + "</group>",
                         '<rsc_location id="ban-B" rsc="B" node="node1" score="-INFINITY"/>',
                         lrm={"node1": running("A")}), "B",
                     ["B: now Stopped; starts on node2 (in G)", "scores: node1=-INFINITY, node2=0",
                      "banned from node1 by location constraint ban-B (-INFINITY)"]),
    "clone": (cib('<clone id="C">' + prim("D") + "</clone>",
                  '<rsc_location id="C-ban" rsc="C" node="node2" score="-INFINITY"/>'), "C",
              ["C: clone of 2 instances", "runs on node1",
               "banned from node2 by location constraint C-ban (-INFINITY)",
               "D:0: now Stopped; starts on node1 (in C)", "D:1: now Stopped; stays stopped"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_explanation_says_the_key_phrase(name: str) -> None:
    xml, rsc, phrases = CASES[name]
    text = explain_text(xml, rsc)
    for phrase in phrases:
        assert phrase in text, f"{name}: {phrase!r} missing from:\n{text}"


def test_explanation_scores_are_the_schedulers_allocation_scores() -> None:
    xml, _, _ = CASES["stickiness"]
    result = sim.simulate(xml, NOW_S)
    line = next(line for line in sim.score_lines(result) if " A allocation score on node2" in line)
    assert line.endswith(": 50")
    assert "scores: node1=100, node2=50" in explain_text(xml, "A")


def test_explanation_names_the_transition_line_of_the_resource() -> None:
    xml, _, _ = CASES["migration-threshold"]
    assert "transition: * Move       A       ( node1 -> node2 )" in explain_text(xml, "A")


def test_a_clone_primitive_base_id_explains_every_instance() -> None:
    xml, _, _ = CASES["clone"]
    text = explain_text(xml, "D")
    assert "D:0: now Stopped" in text and "D:1: now Stopped" in text


def test_unknown_resource_is_an_error_with_a_code() -> None:
    xml, _, _ = CASES["ban"]
    with pytest.raises(HaError) as info:
        explain_text(xml, "nope")
    assert info.value.problems[0].code == Code.SCHED_UNKNOWN_RESOURCE


BAD_INPUTS = {
    "not-well-formed": ("<cib><configuration>", "not well-formed XML"),
    "not-a-cib": ("<notcib/>", "root element is <notcib>, not <cib>"),
    "no-configuration": ("<cib/>", "no <configuration> section"),
    "unknown-resource": (cib(prim("A"), '<rsc_colocation id="c1" rsc="A" with-rsc="GHOST" '
                                        'score="INFINITY"/>'),
                         "constraint c1 references unknown resource 'GHOST'"),
    "node-without-uname": (cib(prim("A")).replace('uname="node2"/>', '/>', 1)
                           .replace('<node id="2" uname="node2">', '<node id="2">'),
                           "a <node> element (2) lacks uname"),
    "resource-without-id": (cib(prim("A")).replace('primitive id="A" ', 'primitive '),
                            "a <primitive> element (without id) lacks id"),
    "runaway-clone-max": (cib('<clone id="C">' + meta("C", **{"clone-max": "INFINITY"})
                              + prim("D") + "</clone>"),
                          "clone-max INFINITY (nvpair C-m-clone-max) is more than the 10000"),
    "duplicate-id": (cib('<group id="G">' + prim("G") + "</group>"),
                     "id 'G' is used by more than one resource or constraint"),
    "score-not-a-score": (cib(prim("A"), '<rsc_location id="l1" rsc="A" node="node1" '
                                         'score="abc"/>'),
                          "rsc_location l1 has score 'abc', which is not an integer"),
    "bad-rsc-pattern": (cib(prim("A"), '<rsc_location id="l1" rsc-pattern="A[" '
                                       'node="node1" score="10"/>'),
                        "rsc_location l1 has rsc-pattern 'A[', which is not a regular"),
}


def run_cli(module: str, *args: str, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True,
                          timeout=60, env=env, check=False)


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_crm_simulate_rejects_bad_input_with_one_line_and_non_zero_exit(
        name: str, tmp_path: Path) -> None:
    xml, phrase = BAD_INPUTS[name]
    path = tmp_path / "cib.xml"
    path.write_text(xml)
    done = run_cli("hacluster.cli.crm_simulate", "-S", "-x", str(path))
    assert done.returncode == (1 if name == "not-well-formed" else 78)
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert phrase in done.stderr


def test_check_cib_warns_about_an_unsupported_bundle_and_accepts_the_rest() -> None:
    xml = cib('<bundle id="B"><docker image="x"/></bundle>' + prim("A"))
    problems = api_explain.check_cib(etree.fromstring(xml.encode()))
    assert [p.severity.value for p in problems] == ["warning"]
    assert "bundle B is not supported" in problems[0].message


def test_check_cib_warns_of_a_fencing_loss_policy_without_fencing_and_tag_references() -> None:
    xml = cib(prim("A"), '<rsc_ticket id="t1" rsc="A" ticket="T" loss-policy="fence"/>'
                         '<rsc_ticket id="t2" rsc="A" ticket="T"/>'
                         '<rsc_location id="l1" rsc="cp" node="node1" score="10"/>')
    messages = [p.message for p in api_explain.check_cib(etree.fromstring(xml.encode()))
                if not p.is_error()]
    assert any("rsc_ticket t1 has loss-policy=fence but fencing is disabled" in m
               for m in messages)
    assert not any("t2" in m for m in messages)
    assert any("constraint l1 references 'cp', which is not a resource" in m
               for m in messages)


def test_crm_simulate_explain_option_prints_the_explanation(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(CASES["ban"][0])
    done = run_cli("hacluster.cli.crm_simulate", "-x", str(path), "--explain", "A")
    assert done.returncode == 0, done.stderr
    assert "banned from node2 by location constraint ban-node2 (-INFINITY)" in done.stdout


def test_hacluster_explain_reads_cib_file_from_the_environment(tmp_path: Path) -> None:
    import os

    path = tmp_path / "cib.xml"
    path.write_text(CASES["target-role"][0])
    env = {**os.environ, "CIB_file": str(path)}
    done = run_cli("hacluster.cli.main", "explain", "A", env=env)
    assert done.returncode == 0, done.stderr
    assert "Stopped: target-role=Stopped" in done.stdout
    missing = run_cli("hacluster.cli.main", "explain", "nope", "-x", str(path))
    assert missing.returncode != 0 and "resource 'nope' is not in the CIB" in missing.stderr


def test_score_breakdown_adds_up_to_the_recorded_scores_on_generated_cibs() -> None:
    """The labelled steps (placement's own functions replayed) sum to the replayed total,
    and only resources that others are colocated with have a remainder (their influence)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import cibgen

    from hacluster.common import add_scores
    from hacluster.scheduler.contributions import score_steps
    from hacluster.scheduler.explain import final_scores, run_scheduler

    checked = 0
    for mix in sorted(m for m in cibgen.MIXES if m != "bench"):
        for seed in range(1, 21):
            model = unpack(etree.fromstring(cibgen.generate(seed, mix=mix).xml.encode()), NOW_S)
            run = run_scheduler(model)
            for rid in model.top:
                recorded = final_scores(run, rid)
                if model.resources[rid].kind != "primitive" or not recorded:
                    continue
                steps, replayed = score_steps(run.work, rid)
                for node, value in replayed.items():
                    total = 0
                    for step in steps[node]:
                        total = add_scores(total, step.delta)
                    assert total == value, f"{mix} {seed} {rid} {node}: {steps[node]}"
                    if not run.work.deps_of.get(rid) and node in recorded:
                        assert recorded[node] == value, f"{mix} {seed} {rid} {node}"
                    checked += 1
    assert checked > 500


def test_scores_on_a_big_cluster_show_the_highest_and_count_the_rest() -> None:
    xml = cib(prim("A"), '<rsc_location id="pref-node7" rsc="A" node="node7" score="30"/>',
              nodes=12)
    text = explain_text(xml, "A")
    assert "scores: node7=30, node1=0," in text and "(and 4 more nodes)" in text
    assert "starts on node7" in text


def test_crm_simulate_fails_a_transition_with_an_ordering_loop(tmp_path: Path) -> None:
    path = tmp_path / "cib.xml"
    path.write_text(cib(prim("A") + prim("B"), '<rsc_order id="o1" first="A" then="B"/>'
                                               '<rsc_order id="o2" first="B" then="A"/>'))
    done = run_cli("hacluster.cli.crm_simulate", "-S", "-x", str(path))
    assert done.returncode == 1
    assert "2 actions wait on an ordering loop and never run" in done.stderr
