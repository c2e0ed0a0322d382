"""Running the scheduler for the controller: RunScheduler in, SchedulerDone out.

Owns the one call the daemon's worker process and the simulator both make, so the same
bytes give the same transition everywhere, and WORKER_CODEC, the messages between the daemon
and its worker process (RunScheduler in, WorkerDone out: the graph and the summary; the
score tables stay in the worker, the controller never reads them). A CIB the scheduler
cannot read gives a SchedulerDone without a transition (the DC keeps the cluster as it is
and logs why). Must never do I/O: the caller decides where it runs (a worker process, or
inline).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from hacluster.cib import parse_cib
from hacluster.common import Codec, HaError
from hacluster.events import RunScheduler, SchedulerDone
from hacluster.scheduler import Synapse, Transition, schedule

log = logging.getLogger(__name__)


def run_scheduler(request: RunScheduler) -> SchedulerDone:
    """schedule() on the request's CIB at its time; never raises on a bad CIB."""
    try:
        doc = parse_cib(request.cib_xml)
        transition = schedule(doc.root, request.now_s)
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


WORKER_CODEC = Codec({"scheduler.run": RunScheduler, "scheduler.done": WorkerDone})


def encode_run(request: RunScheduler) -> bytes:
    """A RunScheduler as the worker process reads it."""
    return WORKER_CODEC.encode(request)


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
