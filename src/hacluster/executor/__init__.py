"""The executor: resource operations of one node (bookkeeping core and the OCF contract).

Public API: Executor (the core), its status types, and the ocf helpers. Runs nothing:
agents are started by the driver from the RunAgent outputs.
"""

from hacluster.executor import ocf
from hacluster.executor.executor import (
    Executor,
    ExecutorStatus,
    RecurringOp,
    ResourceHistory,
    RunningOp,
    classify,
    is_expected,
)
from hacluster.executor.ocf import AgentMetadata, MetadataError, OCFRc, OpStatus, parse_metadata

__all__ = ["Executor", "ExecutorStatus", "RecurringOp", "ResourceHistory", "RunningOp",
           "classify", "is_expected", "ocf", "AgentMetadata", "MetadataError", "OCFRc",
           "OpStatus", "parse_metadata"]
