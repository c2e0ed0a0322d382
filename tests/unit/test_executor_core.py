"""The executor core stepped by hand: queueing, recurring monitors, cancel, timeouts, failures."""

from __future__ import annotations

from typing import Any

from hacluster.events import AgentDone, CancelOp, ExecuteOp, OpRequest, OpResult, RunAgent, Tick
from hacluster.executor import Executor, OpStatus


def op(action: str, rsc: str = "d1", interval_ms: int = 0, **kw: Any) -> OpRequest:
    defaults: dict[str, Any] = dict(rsc_class="ocf", provider="heartbeat", agent_type="Dummy",
                                    timeout_ms=20_000)
    defaults.update(kw)
    return OpRequest(rsc, action=action, interval_ms=interval_ms, **defaults)


def runs(out: list[Any]) -> list[RunAgent]:
    return [o for o in out if isinstance(o, RunAgent)]


def results(out: list[Any]) -> list[OpResult]:
    return [o for o in out if isinstance(o, OpResult)]


def new() -> Executor:
    return Executor("node1", "/var/lib/hacluster/node1/rsctmp", timeout_grace_ms=0)


def test_a_start_runs_the_agent_with_the_ocf_environment_and_reports_its_result() -> None:
    ex = new()
    (run,) = runs(ex.step(100, ExecuteOp(op("start", params=(("state", "/tmp/x"),)))))
    env = dict(run.env)
    assert (run.agent, run.action, run.timeout_ms) == ("ocf:heartbeat:Dummy", "start", 20_000)
    assert env["OCF_RESOURCE_INSTANCE"] == "d1"
    assert env["OCF_RESKEY_state"] == "/tmp/x"
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "20000"
    assert env["HA_RSCTMP"] == "/var/lib/hacluster/node1/rsctmp"
    (result,) = results(ex.step(350, AgentDone(run.call_id, 0)))
    assert (result.rc, result.op_status, result.call_id) == (0, OpStatus.DONE, 1)
    assert (result.started_ms, result.exec_time_ms) == (100, 250)
    assert ex.status().running == ()


def test_one_operation_per_resource_at_a_time_others_queue_in_order() -> None:
    ex = new()
    first = runs(ex.step(0, ExecuteOp(op("start"))))
    assert runs(ex.step(1, ExecuteOp(op("stop")))) == []
    other = runs(ex.step(2, ExecuteOp(op("start", rsc="d2"))))
    assert len(first) == len(other) == 1, "another resource runs in parallel"
    assert ex.status().queued == (("d1", "stop", 0),)
    out = ex.step(10, AgentDone(first[0].call_id, 0))
    assert [r.op.action for r in results(out)] == ["start"]
    (stop,) = runs(out)
    assert stop.action == "stop"
    (stopped,) = results(ex.step(20, AgentDone(stop.call_id, 0)))
    assert stopped.queue_time_ms == 9


def test_a_recurring_monitor_reports_its_first_result_and_then_only_changes() -> None:
    ex = new()
    (run,) = runs(ex.step(0, ExecuteOp(op("monitor", interval_ms=10_000))))
    assert dict(run.env)["OCF_RESKEY_CRM_meta_interval"] == "10000"
    (first,) = results(ex.step(50, AgentDone(run.call_id, 0)))
    assert ex.next_deadline_ms() == 10_050
    assert ex.step(9_000, Tick()) == []
    (again,) = runs(ex.step(10_050, Tick()))
    assert ex.step(10_100, AgentDone(again.call_id, 0)) == [], "same rc: nothing to report"
    (third,) = runs(ex.step(20_100, Tick()))
    (changed,) = results(ex.step(20_200, AgentDone(third.call_id, 7)))
    assert (changed.rc, changed.call_id) == (7, first.call_id), "a recurring op keeps its call id"
    assert ex.next_deadline_ms() == 30_200, "a failed monitor keeps running"


def test_a_stop_cancels_the_resources_recurring_monitors_first() -> None:
    ex = new()
    (run,) = runs(ex.step(0, ExecuteOp(op("monitor", interval_ms=5_000))))
    ex.step(10, AgentDone(run.call_id, 0))
    out = ex.step(100, ExecuteOp(op("stop")))
    (cancelled,) = results(out)
    assert (cancelled.op.action, cancelled.op_status) == ("monitor", OpStatus.CANCELLED)
    (stop,) = runs(out)
    ex.step(200, AgentDone(stop.call_id, 0))
    assert ex.next_deadline_ms() is None
    assert ex.step(60_000, Tick()) == [], "no monitor runs after the stop"
    (history,) = ex.history()
    assert history.recurring == ()
    assert history.last is not None and history.last.op.action == "stop"


def test_a_cancel_while_the_monitor_runs_drops_its_late_result() -> None:
    ex = new()
    (run,) = runs(ex.step(0, ExecuteOp(op("monitor", interval_ms=5_000))))
    (cancelled,) = results(ex.step(10, CancelOp("d1", "monitor", 5_000)))
    assert cancelled.op_status == OpStatus.CANCELLED
    assert runs(ex.step(11, ExecuteOp(op("start")))) == [], "the monitor still runs"
    out = ex.step(20, AgentDone(run.call_id, 0))
    assert results(out) == [], "nobody wants the cancelled monitor's result"
    (start,) = runs(out)
    assert results(ex.step(30, AgentDone(start.call_id, 0)))[0].op.action == "start"


def test_a_stop_waits_for_the_monitor_already_running_on_the_resource() -> None:
    """No overlapping operations on one resource: the stop cancels the recurring monitor
    but its agent, already running, finishes before the stop's agent starts."""
    ex = new()
    (first,) = runs(ex.step(0, ExecuteOp(op("monitor", interval_ms=5_000))))
    ex.step(10, AgentDone(first.call_id, 0))
    (again,) = runs(ex.step(5_010, Tick()))
    out = ex.step(5_020, ExecuteOp(op("stop")))
    assert [r.op_status for r in results(out)] == [OpStatus.CANCELLED]
    assert runs(out) == [] and ex.status().queued == (("d1", "stop", 0),)
    (stop,) = runs(ex.step(5_400, AgentDone(again.call_id, 0)))
    assert stop.action == "stop"
    (stopped,) = results(ex.step(5_500, AgentDone(stop.call_id, 0)))
    assert (stopped.op.action, stopped.queue_time_ms) == ("stop", 380)
    assert ex.step(60_000, Tick()) == [], "no monitor after the stop"


def test_an_agent_that_never_answers_times_out_with_op_status_2() -> None:
    ex = new()
    (run,) = runs(ex.step(0, ExecuteOp(op("start", timeout_ms=1_000))))
    assert ex.next_deadline_ms() == 1_000
    assert ex.step(999, Tick()) == []
    (result,) = results(ex.step(1_000, Tick()))
    assert (result.rc, result.op_status) == (1, OpStatus.TIMEOUT)
    assert result.exit_reason == "start timed out after 1000ms"
    assert ex.step(5_000, AgentDone(run.call_id, 0)) == [], "a late answer is stale"


def finish(done: AgentDone, **kw: Any) -> OpResult:
    ex = new()
    (run,) = runs(ex.step(0, ExecuteOp(op(kw.pop("action", "start"), **kw))))
    done = AgentDone(run.call_id, done.rc, done.status, done.output)
    (result,) = results(ex.step(10, done))
    return result


def test_every_kind_of_agent_failure_is_recorded_with_a_clear_reason() -> None:
    timeout = finish(AgentDone(0, 1, "timeout", "start timed out"))
    assert (timeout.rc, timeout.op_status) == (1, OpStatus.TIMEOUT)
    missing = finish(AgentDone(0, 5, "not installed", "agent ocf:x:y is not installed"))
    assert (missing.rc, missing.op_status) == (5, OpStatus.NOT_INSTALLED)
    assert missing.exit_reason == "agent ocf:x:y is not installed"
    unknown = finish(AgentDone(0, 42, "done", "garbage\x00\xff"))
    assert (unknown.rc, unknown.op_status, unknown.exit_reason) == (
        1, OpStatus.ERROR, "unknown exit code 42")
    crashed = finish(AgentDone(0, 1, "signal", "half a line\nagent killed by SIGSEGV"))
    assert (crashed.op_status, crashed.exit_reason) == (OpStatus.ERROR, "agent killed by SIGSEGV")
    unrunnable = finish(AgentDone(0, 1, "error", "cannot execute /x: Exec format error"))
    assert unrunnable.exit_reason == "cannot execute /x: Exec format error"
    reason = finish(AgentDone(0, 6, "done", "ocf-exit-reason:No ip given\nmore\n"))
    assert (reason.rc, reason.op_status, reason.exit_reason) == (6, 0, "No ip given")


def test_a_bad_agent_name_or_class_fails_without_running_anything() -> None:
    ex = new()
    out = ex.step(0, ExecuteOp(op("start", agent_type="../../bin/sh")))
    assert runs(out) == []
    assert (results(out)[0].rc, results(out)[0].op_status) == (5, OpStatus.NOT_INSTALLED)
    out = ex.step(0, ExecuteOp(op("start", rsc="s", rsc_class="systemd", provider="")))
    assert results(out)[0].op_status == OpStatus.NOT_SUPPORTED


def test_an_lsb_monitor_runs_status_and_maps_its_exit_codes() -> None:
    ex = new()
    lsb = dict(rsc_class="lsb", provider="", agent_type="cron")
    (run,) = runs(ex.step(0, ExecuteOp(op("monitor", **lsb))))
    assert (run.agent, run.action) == ("lsb:cron", "status")
    (result,) = results(ex.step(1, AgentDone(run.call_id, 3)))
    assert result.rc == 7


def test_a_fence_device_starts_by_its_monitor_with_parameters_on_stdin() -> None:
    ex = new()
    dev = dict(rsc_class="stonith", provider="", agent_type="fence_x",
               params=(("ipaddr", "127.0.0.9"), ("pcmk_host_list", "node2")))
    (run,) = runs(ex.step(0, ExecuteOp(op("start", rsc="f1", **dev))))
    assert (run.agent, run.action) == ("stonith:fence_x", "monitor")
    assert run.stdin == "action=monitor\nipaddr=127.0.0.9\n"
    ex.step(1, AgentDone(run.call_id, 0))
    out = ex.step(2, ExecuteOp(op("stop", rsc="f1", **dev)))
    assert runs(out) == [] and results(out)[0].rc == 0


def test_the_history_rebuilds_last_failure_and_recurring_ops_for_a_join() -> None:
    ex = new()
    (start,) = runs(ex.step(0, ExecuteOp(op("start", transition_key="3:1:0:dc"))))
    ex.step(10, AgentDone(start.call_id, 0))
    (mon,) = runs(ex.step(20, ExecuteOp(op("monitor", interval_ms=1_000,
                                           transition_key="4:1:0:dc"))))
    ex.step(30, AgentDone(mon.call_id, 0))
    (again,) = runs(ex.step(1_030, Tick()))
    ex.step(1_040, AgentDone(again.call_id, 7))
    (probe,) = runs(ex.step(1_050, ExecuteOp(op("monitor", rsc="d2", transition_key="1:1:7:dc"))))
    ex.step(1_060, AgentDone(probe.call_id, 7))
    d1, d2 = ex.history()
    assert d1.last is not None and d1.last.op.action == "start"
    assert d1.last_failure is not None and d1.last_failure.rc == 7
    assert [r.rc for r in d1.recurring] == [7]
    assert d2.last_failure is None, "a probe that finds the expected 7 is no failure"
    assert [(r.op.rsc_id, r.op.action, r.rc) for r in ex.history_results()] == [
        ("d1", "start", 0), ("d1", "monitor", 7), ("d2", "monitor", 7)]
