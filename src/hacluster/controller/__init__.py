"""The controller: DC election, join, the transition engine and status-section records.

Public API (import from here): Controller, ControllerStatus, its inputs (Membership,
QuorumChanged, CibChanged, PeerMessage, ShutdownRequested) and outputs (CibWrite,
PeerSend, Leave), TransitionRun, and the CPG group it talks on (CRMD_GROUP/CRMD_PID).
"""

from hacluster.controller.controller import Controller, ControllerStatus
from hacluster.controller.lrm import LocalHistory
from hacluster.controller.messages import (
    CRMD_GROUP,
    CRMD_PID,
    CibChanged,
    CibWrite,
    Leave,
    Membership,
    PeerMessage,
    PeerSend,
    QuorumChanged,
    ShutdownRequested,
)
from hacluster.controller.scheduling import (
    WORKER_CODEC,
    done_of,
    encode_run,
    run_encoded,
    run_scheduler,
    scheduling_bytes,
    scheduling_root,
    serialized,
)
from hacluster.controller.transition import TransitionRun, TransitionStatus

__all__ = ["CRMD_GROUP", "CRMD_PID", "CibChanged", "CibWrite", "Controller",
           "ControllerStatus", "Leave", "LocalHistory", "Membership", "PeerMessage", "PeerSend",
           "QuorumChanged", "ShutdownRequested", "run_scheduler", "run_encoded", "done_of",
           "encode_run", "WORKER_CODEC", "scheduling_bytes", "scheduling_root", "serialized",
           "TransitionRun", "TransitionStatus"]
