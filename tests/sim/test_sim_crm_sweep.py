"""Seed sweep of the whole cluster manager with fencing (hacluster.sim.crm_sweep): faults,
then a heal after which every resource runs exactly once; never a resource on two nodes."""

from __future__ import annotations

import pytest

from hacluster.sim.crm_sweep import run_crm_seed

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
