"""corosync.conf: parse (both dialects), model, validate, write. Pure: text in, values out.

The public names below are the package's API; import them from `hacluster.config`.
TotemConfig's effective timings (token_ms, token_retransmit_ms, hold_ms, consensus_ms,
join_ms, merge_ms, ...) are documented in `model`. Must never read files or the host.
"""

from hacluster.config.build import ConfigCheck, check_config, load_config, parse_config
from hacluster.config.model import (
    DEFAULT_KEYFILE,
    DEFAULT_MCASTPORT,
    ClusterConfig,
    InterfaceConfig,
    LoggerSubsys,
    LoggingConfig,
    NodeConfig,
    NodeSource,
    QuorumConfig,
    RawSection,
    TotemConfig,
)
from hacluster.config.nodes import derive_nodeid, find_local_node
from hacluster.config.write import as_nodelist, write_config

__all__ = [
    "DEFAULT_KEYFILE",
    "DEFAULT_MCASTPORT",
    "ClusterConfig",
    "ConfigCheck",
    "InterfaceConfig",
    "LoggerSubsys",
    "LoggingConfig",
    "NodeConfig",
    "NodeSource",
    "QuorumConfig",
    "RawSection",
    "TotemConfig",
    "as_nodelist",
    "check_config",
    "derive_nodeid",
    "find_local_node",
    "load_config",
    "parse_config",
    "write_config",
]
