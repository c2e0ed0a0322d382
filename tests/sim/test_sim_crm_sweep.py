"""Seed sweeps of the whole cluster manager (hacluster.sim.crm_sweep). With fencing: faults,
then a heal after which every resource runs exactly once; never a resource on two nodes.
The EayunStack mix (its 14 resources, no fencing): faults, then a heal after which the
cluster settles where its scheduler wants it, agents and controllers agreeing."""

from __future__ import annotations

import pytest
from eayunstack_script import configuration_xml

from hacluster.sim.crm_sweep import run_crm_seed, run_eayunstack_seed

FAST_SEEDS = range(1, 6)
SLOW_SEEDS = range(6, 31)


@pytest.mark.parametrize("seed", FAST_SEEDS)
def test_crm_seed_keeps_resources_single_and_converges(seed: int) -> None:
    result = run_crm_seed(seed)
    assert result.ok, f"seed {seed}: {result.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS)
def test_crm_seed_sweep(seed: int) -> None:
    result = run_crm_seed(seed)
    assert result.ok, f"seed {seed}: {result.reason}"


EAYUN_FAST_SEEDS = range(1, 3)
# Run any range with .venv/bin/python tests/sim/eayunstack_sweep.py A B
EAYUN_SLOW_SEEDS = range(3, 21)


@pytest.mark.parametrize("seed", EAYUN_FAST_SEEDS)
def test_eayunstack_seed_settles_where_the_scheduler_wants_it(seed: int) -> None:
    result = run_eayunstack_seed(seed, configuration_xml())
    assert result.ok, f"seed {seed}: {result.reason}"


@pytest.mark.slow
@pytest.mark.parametrize("seed", EAYUN_SLOW_SEEDS)
def test_eayunstack_seed_sweep(seed: int) -> None:
    result = run_eayunstack_seed(seed, configuration_xml())
    assert result.ok, f"seed {seed}: {result.reason}"
