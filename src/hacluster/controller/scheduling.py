"""Running the scheduler for the controller: RunScheduler in, SchedulerDone out.

Owns the one call the daemon's worker process and the simulator both make, so the same
bytes give the same transition everywhere. A CIB the scheduler cannot read gives a
SchedulerDone without a transition (the DC keeps the cluster as it is and logs why).
Must never do I/O: the caller decides where it runs (a worker process, or inline).
"""

from __future__ import annotations

import logging

from hacluster.cib import parse_cib
from hacluster.common import HaError
from hacluster.events import RunScheduler, SchedulerDone
from hacluster.scheduler import schedule

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
