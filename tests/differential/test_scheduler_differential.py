"""Our scheduler vs the real crm_simulate on seeded random CIBs (bench/cibgen.py).

Fails only when a seed listed in agreeing_seeds.txt regresses; every other seed is
reported as PASS/FAIL so the agreement rate can grow while the scheduler is written.
HACLUSTER_DIFF_SEEDS (default 200) and HACLUSTER_DIFF_MIX (default "default") size the run;
tests/differential/report.py prints the differing summaries and a per-feature table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import report  # noqa: E402
from report import cibgen  # noqa: E402

# Warnings crm_verify prints about the *status* (failures, fencing, quorum) or about
# stonith being disabled: expected for the scenarios we generate. Anything else is a bug.
STATUS_WARNINGS = ("unpack_rsc_op", "pe_fence_node", "determine_online_status",
                   "update_resource_action_runnable", "schedule_fencing",
                   "pcmk__threshold_reached", "Blind faith", "lack of quorum",
                   "assign_best_node",
                   "distribute_children")  # (logged as an error: an instance runs where a
# constraint now forbids it, which the scheduler then stops; a status fact, not bad config)


def require_real_crm_simulate() -> str:
    tool = report.real_tool()
    if tool is None:
        pytest.skip("the real crm_simulate (pacemaker-cli-utils) is not installed")
    return tool


def test_the_generator_is_deterministic_per_seed() -> None:
    assert cibgen.generate(17).xml == cibgen.generate(17).xml
    assert cibgen.generate(17).xml != cibgen.generate(18).xml


def test_generated_cibs_declare_a_supported_schema_and_feature_set() -> None:
    head = cibgen.generate(3, mix="failures").xml.split("\n", 1)[0]
    assert 'validate-with="pacemaker-3.7"' in head
    assert 'crm_feature_set="3.16.1"' in head


def test_the_op_digest_follows_the_documented_recipe() -> None:
    assert cibgen.digest_of({}) == "f2317cad3d54cec5d7d7aa7d0bf35cf8"
    # conformance case monitor-onfail-stop: a 20s monitor with a 30s timeout
    assert cibgen.digest_of({"CRM_meta_timeout": "30000"}) == "02a5bcf940fc8d3239701acb11438d6a"


def test_normalize_applies_the_readme_comparison_rule() -> None:
    raw = ["  * Move       rsc6    ( node1 -> node2 )", "  * Recover    rsc4    (   node1 )"]
    assert report.normalize(raw) == ["* Move rsc6 (node1 -> node2)", "* Recover rsc4 (node1)"]


@pytest.mark.parametrize("mix", ["default", "failures", "nodes", "clones", "promotable",
                                 "constraints", "groups", "advanced"])
def test_generated_cibs_pass_the_real_crm_verify(mix: str) -> None:
    require_real_crm_simulate()
    for seed in (1, 2, 3):
        xml = cibgen.generate(seed, mix=mix).xml
        done = subprocess.run(["crm_verify", "-VV", "-x", "-"], input=xml, text=True,
                              capture_output=True, timeout=60)
        assert done.returncode in (0, 78), done.stderr  # 78: warnings only
        lines = [ln for ln in (done.stdout + done.stderr).splitlines()
                 if "warning" in ln or "error" in ln]
        unexpected = [ln for ln in lines if not any(w in ln for w in STATUS_WARNINGS)]
        assert not unexpected, f"seed {seed} mix {mix}: {unexpected}"


def test_generated_cibs_also_pass_our_own_cib_validation() -> None:
    from hacluster.cib import parse_cib, validate

    for mix in ("default", "advanced", "failures", "nodes"):
        for seed in range(1, 6):
            problems = validate(parse_cib(cibgen.generate(seed, mix=mix).xml))
            assert not problems, f"seed {seed} mix {mix}: {problems[:3]}"


def test_a_steady_cluster_needs_no_actions_so_the_digests_are_right() -> None:
    require_real_crm_simulate()
    steady = cibgen.with_overrides(cibgen.MIXES["primitives"],
                                   "running=1,node_standby=0,node_offline=0,target_stopped=0,"
                                   "default_stickiness=1,stonith=0,ipaddr=0.5")
    for seed in (1, 2):
        xml = cibgen.generate(seed, nodes=3, resources=6, mix=steady).xml
        out = report.run_cli([report.real_tool() or "", "-S", "-x", "{file}"], xml)
        executing = out.split("Executing Cluster Transition:")
        assert len(executing) == 1 or "Resource action" not in executing[1], out


def test_our_transition_summary_agrees_with_crm_simulate_on_random_cibs() -> None:
    require_real_crm_simulate()
    ours, how = report.ours_runner()
    if ours is None:
        pytest.skip(f"our scheduler is not available yet: {how}")
    mix = os.environ.get("HACLUSTER_DIFF_MIX", "default")
    n = int(os.environ.get("HACLUSTER_DIFF_SEEDS", "200"))
    listed = report.read_agreeing().get(mix, set())
    seeds = sorted(set(range(1, n + 1)) | listed)
    results = report.compare_many(seeds, mix, ours)
    for r in results:
        print(f"{'PASS' if r.ok else 'FAIL'} {mix} {r.seed}")
    passed = sum(r.ok for r in results)
    print(f"{passed} passed, {len(results) - passed} failed ({how})")
    regressed = [r for r in results if not r.ok and r.seed in listed]
    for r in regressed[:5]:
        report.print_diff(r)
    assert not regressed, (f"{len(regressed)} listed seeds regressed: "
                           f"{[r.seed for r in regressed][:20]}")


def test_the_second_generator_is_deterministic_and_covers_every_mix() -> None:
    import cibgen2

    for mix in cibgen2.MIXES:
        assert cibgen2.generate(5, mix).xml == cibgen2.generate(5, mix).xml
        assert cibgen2.generate(5, mix).xml != cibgen2.generate(6, mix).xml
    tags = {t for mix in cibgen2.MIXES for s in range(1, 6) for t in cibgen2.generate(s, mix).features}
    for wanted in ("promotable", "on_fail_block", "order_set", "interleave_true",
                   "provides_unfencing", "value_source_param",
                   "orphan", "discovery_exclusive", "colocation_chain", "ticket_revoked",
                   "loss_policy_freeze", "allow_migrate"):
        assert wanted in tags, wanted


@pytest.mark.parametrize("mix", ["promotable", "quorum", "onfail", "sets", "interleave",
                                 "unfencing", "health", "rules", "orphans", "discovery",
                                 "utilization", "tickets", "migration"])
def test_second_generator_cibs_pass_the_real_crm_verify(mix: str) -> None:
    require_real_crm_simulate()
    import cibgen2

    allowed = STATUS_WARNINGS + ("unfenced", "STONITH", "stonith-enabled",
                                 "fencing is disabled", "determine_op_status",
                                 "unpack_operation", "stop_resource", "check_operation",
                                 "process_rsc_state", "native_add_running")
    for seed in (1, 2, 3):
        xml = cibgen2.generate(seed, mix).xml
        done = subprocess.run(["crm_verify", "-V", "-x", "-"], input=xml, text=True,
                              capture_output=True, timeout=60)
        assert done.returncode in (0, 78), done.stderr
        lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "error" in ln]
        unexpected = [ln for ln in lines if not any(w in ln for w in allowed)]
        assert not unexpected, f"seed {seed} mix {mix}: {unexpected}"


AGREEING2 = Path(__file__).resolve().parent / "agreeing_seeds2.txt"


@pytest.mark.slow
def test_second_generator_listed_seeds_still_agree_with_crm_simulate() -> None:
    """Seeds of bench/cibgen2.py that agreed with the real crm_simulate when listed
    (`python bench/differential.py` reports fresh seeds; this list only guards them)."""
    require_real_crm_simulate()
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import differential

    listed = report.read_agreeing(AGREEING2)
    regressed: list[str] = []
    for mix in sorted(listed):
        for seed in sorted(listed[mix]):
            outcome = differential.compare(differential.gen2, mix, seed)
            if not outcome.agree:
                regressed.append(f"{mix} {seed}: real only {list(outcome.only_theirs)} "
                                 f"ours only {list(outcome.only_ours)}")
    assert not regressed, "\n".join(regressed[:10])
