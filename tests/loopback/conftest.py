"""Fixtures for the loopback layer: a Cluster per test, killed (process groups) afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import Cluster, pick_port


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    made = Cluster(tmp_path, pick_port(f"{tmp_path}:{request.node.name}"))
    try:
        yield made
    finally:
        made.stop_all()
        if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
            print(made.logs())


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, "rep_" + report.when, report)
