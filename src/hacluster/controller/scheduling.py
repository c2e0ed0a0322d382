"""Running the scheduler for the controller: RunScheduler in, SchedulerDone out.

Owns the one call the daemon's worker process and the simulator both make, so the same
bytes give the same transition everywhere, and WORKER_CODEC, the messages between the daemon
and its worker process (RunScheduler in, WorkerDone out: the graph and the summary; the
score tables stay in the worker, the controller never reads them). A CIB the scheduler
cannot read gives a SchedulerDone without a transition (the DC keeps the cluster as it is
and logs why). Must never do I/O: the caller decides where it runs (a worker process, or
inline).
The DC's RunScheduler carries its parsed CIB and a SchedulingView, not bytes: the copy, the
view's patches and the serialization of a 10 MB CIB cost a daemon's loop hundreds of ms
(enough to lose Totem's token). `scheduling_root` is the one place that lays the view over
the CIB: inline on a copy of the tree, or in the worker process after parsing the bytes
that `encode_run` serialized on a thread (lxml serializes without the interpreter lock).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from hacluster.cib import copy_element, parse_cib, serialize
from hacluster.common import Codec, HaError, NodeId
from hacluster.controller.failures import apply_prediction
from hacluster.controller.join import patch_membership, patch_own_history
from hacluster.events import RunScheduler, SchedulerDone, SchedulingView
from hacluster.scheduler import Synapse, Transition, schedule

log = logging.getLogger(__name__)


def lay_view(root: Any, view: SchedulingView) -> None:
    """The DC's knowledge over a scheduling copy of the CIB (in place)."""
    patch_membership(root, view.quorate, tuple(NodeId(n) for n in view.members),
                     view.shutting)
    if view.own_node:
        patch_own_history(root, view.own_node, view.own_lrm_xml)
    apply_prediction(root, {(node, name): (None, value) for node, name, value in view.predicted})


def scheduling_root(request: RunScheduler) -> Any:
    """The CIB the scheduler reads: the request's (a copy of its tree, else its bytes
    parsed) with its view laid over it."""
    if request.cib is not None:
        root = copy_element(request.cib.root)
    else:
        root = parse_cib(request.cib_xml).root
    if request.view is not None:
        lay_view(root, request.view)
    return root


def scheduling_bytes(request: RunScheduler) -> bytes:
    """The scheduler's input as one CIB file (what crm_simulate -x would read)."""
    return serialize(scheduling_root(request), False)


def run_scheduler(request: RunScheduler) -> SchedulerDone:
    """schedule() on the request's CIB at its time; never raises on a bad CIB."""
    try:
        transition = schedule(scheduling_root(request), request.now_s)
    except (HaError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.error("scheduler failed on cib version=%s: %s", request.cib_version, error)
        return SchedulerDone(request.cib_version, None)
    return SchedulerDone(request.cib_version, transition)


@dataclass(frozen=True, slots=True)
class WorkerDone:
    """The worker's answer: the transition's graph and summary (None: the run failed)."""

    cib_version: tuple[int, int, int]
    synapses: tuple[Synapse, ...] | None
    summary: tuple[str, ...] = ()


WORKER_CODEC = Codec({"scheduler.run": RunScheduler, "scheduler.done": WorkerDone,
                      "scheduler.view": SchedulingView})


def serialized(request: RunScheduler) -> RunScheduler:
    """The request with its CIB as bytes (slow on a large CIB: the daemon calls it on a
    thread); the view stays a view, laid over after parsing."""
    if request.cib is None:
        return request
    return replace(request, cib_xml=serialize(request.cib.root, False), cib=None)


def encode_run(request: RunScheduler) -> bytes:
    """A RunScheduler as the worker process reads it."""
    return WORKER_CODEC.encode(serialized(request))


def run_encoded(payload: bytes) -> bytes:
    """The worker's step: an encoded RunScheduler in, an encoded WorkerDone out."""
    request = WORKER_CODEC.decode(payload, RunScheduler)
    if request is None:
        log.error("scheduler worker got an undecodable request (%d bytes)", len(payload))
        return WORKER_CODEC.encode(WorkerDone((0, 0, 0), None))
    done = run_scheduler(request)
    if done.transition is None:
        return WORKER_CODEC.encode(WorkerDone(request.cib_version, None))
    return WORKER_CODEC.encode(WorkerDone(request.cib_version, done.transition.synapses,
                                          done.transition.summary))


def done_of(payload: bytes) -> SchedulerDone | None:
    """The SchedulerDone of a worker's answer (None when it does not decode)."""
    done = WORKER_CODEC.decode(payload, WorkerDone)
    if done is None:
        return None
    transition = None if done.synapses is None else Transition(done.synapses, done.summary, ())
    return SchedulerDone(done.cib_version, transition)
