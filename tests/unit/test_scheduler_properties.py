"""Scheduler robustness properties over generated CIBs (bench/cibgen.py, hypothesis-drawn
seeds, mixes and knobs; bounded sizes): `schedule` never raises or loops, a resource is
never placed where its score is -INFINITY, the graph has no ordering loop, and summary
lines name only known resources and nodes. Plus mutated (bad-value) CIBs: crm_simulate's path gives an HaError, never a
traceback."""

from __future__ import annotations

import random
import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hacluster.api import explain as api_explain
from hacluster.api import simulate as sim
from hacluster.common import INFINITY, Code, HaError
from hacluster.scheduler import unpack
from hacluster.scheduler.explain import final_scores, run_scheduler
from hacluster.scheduler.policy import ancestors, is_managed

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import cibgen  # noqa: E402

NOW_S = 1_700_000_000
MIX_NAMES = sorted(m for m in cibgen.MIXES if m != "bench")
KNOBS = ("location", "colocation", "order", "running", "failed_monitor", "node_standby",
         "node_offline", "utilization", "asymmetric", "clone", "group", "promotable")
ROLE_WORDS = frozenset({"->", "Promoted", "Unpromoted", "Started", "Stopped", "Master",
                        "Slave"})
STEP_LIMIT_S = 20  # one small CIB takes milliseconds; this only catches a loop


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"scheduling took more than {seconds} s (a loop?)")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@st.composite
def generated_cibs(draw: st.DrawFn) -> cibgen.Generated:
    mix = cibgen.MIXES[draw(st.sampled_from(MIX_NAMES))]
    knobs = draw(st.dictionaries(st.sampled_from(KNOBS),
                                 st.floats(0.0, 1.0).map(lambda v: round(v, 2)), max_size=4))
    return cibgen.generate(draw(st.integers(0, 10**6)), nodes=draw(st.integers(1, 5)),
                           resources=draw(st.integers(1, 8)), mix=replace(mix, **knobs))


def summary_names(line: str) -> tuple[str, list[str]]:
    """(resource or node named first, the node names in parentheses) of a summary line."""
    words = line.split()
    if words[1] == "Fence":
        return words[3], [words[3]]
    inside = re.search(r"\(([^)]*)\)", line)
    nodes = [w for w in (inside.group(1).split() if inside else []) if w not in ROLE_WORDS]
    return words[2], nodes


@settings(max_examples=100, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(generated_cibs())
def test_schedule_never_raises_and_respects_minus_infinity(gen: cibgen.Generated) -> None:
    root = etree.fromstring(gen.xml.encode())
    with time_limit(STEP_LIMIT_S):
        model = unpack(root, NOW_S)
        run = run_scheduler(model)
    for rid, node in run.work.assigned.items():
        rsc = model.resources[rid]
        if node is None or rsc.kind != "primitive" or not is_managed(model, rid):
            continue
        for holder in (rid, *ancestors(model, rid)):
            score = final_scores(run, holder).get(node)
            assert score is None or score > -INFINITY, \
                f"seed {gen.seed}: {rid} placed on {node} where {holder} scores -INFINITY"
    executed = run.transition.executed()
    assert len(executed) == len(run.transition.synapses), f"seed {gen.seed}: ordering loop"
    for line in run.transition.summary:
        first, nodes = summary_names(line)
        assert first in model.resources or first in model.nodes, f"seed {gen.seed}: {line}"
        for node in nodes:
            assert node in model.nodes, f"seed {gen.seed}: unknown node {node} in {line}"


GARBAGE = ("abc", "", "-1", "0", "INFINITY", "-INFINITY", "+INFINITY", "99999999999999999999",
           "1.5", "true", "P1D", "Stopped", "Promoted", "node9", "rsc1", "grp1")


def mutate(xml: str, rng: random.Random) -> etree._Element:
    root = etree.fromstring(xml.encode())
    elements = list(root.iter())
    for _ in range(rng.randint(1, 6)):
        el = rng.choice(elements)
        draw = rng.random()
        if el.attrib and draw < 0.5:
            el.set(rng.choice(sorted(el.attrib)), rng.choice(GARBAGE))
        elif el.attrib and draw < 0.8:
            del el.attrib[rng.choice(sorted(el.attrib))]
        elif el.getparent() is not None:
            el.getparent().remove(el)
    return root


@pytest.mark.parametrize("chunk", range(4))
def test_mutated_cibs_give_a_problem_or_a_transition_never_a_traceback(chunk: int) -> None:
    for seed in range(chunk * 150, (chunk + 1) * 150):
        rng = random.Random(seed)
        root = mutate(cibgen.generate(seed, mix=MIX_NAMES[seed % len(MIX_NAMES)]).xml, rng)
        try:
            with time_limit(STEP_LIMIT_S):
                if any(p.is_error() for p in api_explain.check_cib(root)):
                    continue
                result = sim.simulate_root(root, NOW_S)
                for rid in (result.model.top if result.model else ())[:2]:
                    api_explain.explain_root(root, rid, NOW_S)
        except HaError:
            pass


def test_non_numeric_operation_history_is_named_in_the_error() -> None:
    xml = cibgen.generate(3, mix="failures").xml
    root = etree.fromstring(xml.encode())
    op = next(root.iter("lrm_rsc_op"))
    op.set("rc-code", "true")
    problems = [p for p in api_explain.check_cib(root) if p.is_error()]
    assert [p.code for p in problems] == [Code.SCHED_INVALID_CIB]
    assert f"operation history {op.get('id')}" in problems[0].message
    assert "non-numeric rc-code 'true'" in problems[0].message
    with pytest.raises(HaError) as info:  # explain checks first, as crm_simulate does
        api_explain.explain_root(root, "anything", NOW_S)
    assert list(info.value.problems) == problems
