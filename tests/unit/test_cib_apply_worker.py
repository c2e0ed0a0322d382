"""The daemon's CIB apply worker: an ApplyJob runs off the loop (the loop keeps turning),
its new cib.xml is saved there, and its outcome comes back to the loop's thread."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from hacluster.cib import ApplyDone, ApplyJob, CIBRequest, Lineage, empty_cib, run_apply
from hacluster.drivers.cibapply import ApplyFailed, CIBApplier


def job(request: CIBRequest, job_id: int = 1, heavy: bool = True) -> ApplyJob:
    return ApplyJob(job_id, empty_cib(), request, None, Lineage(), heavy=heavy)


def run(applier_job: ApplyJob, slow_s: float = 0.0) -> tuple[Any, list[bytes], int, bool]:
    """(outcome, presaved bytes, loop turns while the job ran, outcome on the loop thread)"""
    saved: list[bytes] = []

    def presave(data: bytes) -> None:
        time.sleep(slow_s)  # a slow disk: the loop must not wait for it
        saved.append(data)

    async def main() -> tuple[Any, int, bool]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        on_loop = threading.get_ident()
        results: list[bool] = []

        def on_done(outcome: ApplyDone | ApplyFailed) -> None:
            results.append(threading.get_ident() == on_loop)
            done.set_result(outcome)

        applier = CIBApplier(on_done, presave)
        applier.start(applier_job)
        turns = 0
        while not done.done():
            turns += 1
            await asyncio.sleep(0.01)
        applier.close()
        return done.result(), turns, results[0]

    outcome, turns, on_loop_thread = asyncio.run(main())
    return outcome, saved, turns, on_loop_thread


def test_an_apply_job_runs_off_the_loop_and_its_cib_is_saved_before_the_outcome() -> None:
    request = CIBRequest("create", '<primitive id="d1" class="ocf" provider="pacemaker" '
                         'type="Dummy"/>', "resources")
    outcome, saved, turns, on_loop_thread = run(job(request), slow_s=0.3)
    assert isinstance(outcome, ApplyDone) and outcome.new is not None
    assert outcome.new.find_by_id("d1") is not None
    assert saved == [outcome.persisted] and saved[0] is outcome.persisted
    assert turns >= 3, "the loop kept turning while the worker saved (blocked: 1 turn)"
    assert on_loop_thread
    expected = run_apply(job(request))
    assert outcome.digest == expected.digest and outcome.persisted == expected.persisted


def test_a_refused_job_comes_back_as_its_error_and_saves_nothing() -> None:
    outcome, saved, _, _ = run(job(CIBRequest("create", "<primitive", "resources")))
    assert isinstance(outcome, ApplyDone) and outcome.error is not None
    assert outcome.new is None and saved == []


def test_a_job_that_raises_comes_back_as_a_failure_for_the_loop_to_raise() -> None:
    broken = ApplyJob(7, None, CIBRequest("create", "<x/>", "resources"),  # type: ignore[arg-type]
                      None, Lineage())
    outcome, saved, _, _ = run(broken)
    assert isinstance(outcome, ApplyFailed) and outcome.job_id == 7
    assert saved == []


def test_a_light_job_is_applied_on_the_loop_and_only_its_save_leaves_it(
        monkeypatch: Any) -> None:
    import hacluster.drivers.cibapply as cibapply

    appliers: list[int] = []

    def recording(applied: ApplyJob) -> ApplyDone:
        appliers.append(threading.get_ident())
        return run_apply(applied)

    monkeypatch.setattr(cibapply, "run_apply", recording)
    request = CIBRequest("create", '<primitive id="d1" class="ocf" provider="pacemaker" '
                         'type="Dummy"/>', "resources")
    outcome, saved, turns, on_loop_thread = run(job(request, heavy=False), slow_s=0.3)
    assert appliers == [threading.get_ident()], "applied on the loop's thread"
    assert isinstance(outcome, ApplyDone) and outcome.new is not None
    assert saved == [outcome.persisted] and on_loop_thread
    assert turns >= 3, "the loop kept turning while the worker saved (blocked: 1 turn)"


def test_a_light_job_that_changes_nothing_comes_back_without_a_save() -> None:
    request = CIBRequest("modify", "<crm_config/>", "crm_config")  # changes nothing
    outcome, saved, _, on_loop_thread = run(job(request, heavy=False))
    assert isinstance(outcome, ApplyDone) and outcome.new is None and outcome.error is None
    assert saved == [] and on_loop_thread


def test_a_refused_light_job_comes_back_as_its_error() -> None:
    outcome, saved, _, _ = run(job(CIBRequest("create", "<primitive", "resources"),
                                   heavy=False))
    assert isinstance(outcome, ApplyDone) and outcome.error is not None and saved == []
