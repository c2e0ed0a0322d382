"""The frozen model of a corosync.conf: ClusterConfig and its parts.

Owns the value types only. TotemConfig holds *effective* values, computed as Corosync
3.1.7 computes them (its runtime.config.totem.* cmap keys), with units last:
token_ms (token + (nodes-2)*token_coefficient_ms for a nodelist of ≥3 nodes),
token_retransmit_ms, hold_ms, consensus_ms, join_ms, send_join_ms, merge_ms,
downcheck_ms, max_network_delay_ms, token_warning_percent, fail_recv_const,
seqno_unchanged_const, miss_count_const, window_size, max_messages, netmtu,
token_retransmits_before_loss_const, heartbeat_failures_allowed; `configured` names
the keys the file set (what the writer writes back). Must never parse or do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_KEYFILE = "/etc/corosync/authkey"
DEFAULT_MCASTPORT = 5405


class NodeSource(StrEnum):
    """Where the members came from: the corosync 2/3 nodelist or the 1.x member list."""

    NODELIST = "nodelist"
    MEMBERS = "interface.member"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class InterfaceConfig:
    """One `totem.interface` (a knet link, or the udp/udpu ring)."""

    linknumber: int = 0
    bindnetaddr: str = ""
    mcastaddr: str = ""
    mcastport: int = DEFAULT_MCASTPORT
    broadcast: bool = False
    ttl: int = 1
    knet_link_priority: int = 0
    knet_ping_interval_ms: int = 0
    knet_ping_timeout_ms: int = 0
    knet_ping_precision: int = 2048
    knet_pong_count: int = 2
    knet_transport: str = "udp"
    configured: frozenset[str] = frozenset()
    # The 1.x key name the file used for linknumber ("ringnumber" or "linknumber").
    linknumber_key: str = "linknumber"


@dataclass(frozen=True, slots=True)
class TotemConfig:
    """totem { }: identity, transport, crypto and every protocol timing, effective."""

    version: int = 2
    cluster_name: str = ""
    config_version: int = 0
    transport: str = "knet"
    ip_version: str = "ipv6-4"
    clear_node_high_bit: bool = False
    secauth: bool = False
    crypto_cipher: str = "none"
    crypto_hash: str = "none"
    crypto_model: str = "nss"
    keyfile: str = DEFAULT_KEYFILE
    key: str = ""
    link_mode: str = "passive"
    netmtu: int = 65536
    token_ms: int = 3000
    token_configured_ms: int = 3000
    token_coefficient_ms: int = 650
    token_warning_percent: int = 75
    token_retransmit_ms: int = 714
    hold_ms: int = 561
    token_retransmits_before_loss_const: int = 4
    join_ms: int = 50
    send_join_ms: int = 0
    consensus_ms: int = 3600
    merge_ms: int = 200
    downcheck_ms: int = 1000
    fail_recv_const: int = 2500
    seqno_unchanged_const: int = 30
    heartbeat_failures_allowed: int = 0
    max_network_delay_ms: int = 50
    window_size: int = 50
    max_messages: int = 17
    miss_count_const: int = 5
    block_unlisted_ips: bool = True
    cancel_token_hold_on_retransmit: bool = False
    knet_pmtud_interval_s: int = 30
    knet_mtu: int = 0
    knet_compression_model: str = "none"
    knet_compression_threshold: int = 0
    knet_compression_level: int = 0
    interfaces: tuple[InterfaceConfig, ...] = ()
    configured: frozenset[str] = frozenset()

    @property
    def is_crypto_enabled(self) -> bool:
        return self.crypto_cipher != "none" or self.crypto_hash != "none"


@dataclass(frozen=True, slots=True)
class NodeConfig:
    """One cluster node; `addresses[n]` is its address on link (ring) n."""

    nodeid: int
    addresses: tuple[str, ...]
    name: str = ""
    quorum_votes: int = 1
    # True when the file gave no nodeid and it was derived from the IPv4 address.
    nodeid_derived: bool = False
    quorum_votes_configured: bool = False


@dataclass(frozen=True, slots=True)
class QuorumConfig:
    """quorum { } with votequorum's effective values for this node list."""

    provider: str = ""
    expected_votes: int = 0  # effective: configured, else the sum of node votes
    expected_votes_configured: int = 0  # 0 when the file sets none
    votes: int = 1
    two_node: bool = False
    wait_for_all: bool = False  # two_node turns it on unless set explicitly
    last_man_standing: bool = False
    last_man_standing_window_ms: int = 10000
    auto_tie_breaker: bool = False
    auto_tie_breaker_node: str = "lowest"
    allow_downscale: bool = False
    expected_votes_tracking: bool = False
    configured: frozenset[str] = frozenset()
    device: tuple[RawSection, ...] = ()  # quorum.device (qdevice), kept verbatim

    @property
    def quorum(self) -> int:
        """Votes needed to be quorate: a majority, or 1 in a two_node cluster."""
        if self.two_node and self.expected_votes == 2:
            return 1
        return self.expected_votes // 2 + 1


@dataclass(frozen=True, slots=True)
class LoggerSubsys:
    """One logging.logger_subsys override; settings are the keys it sets, as written."""

    subsys: str
    settings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    """logging { }."""

    to_stderr: bool = True
    to_logfile: bool = False
    to_syslog: bool = True
    logfile: str = ""
    logfile_priority: str = "info"
    syslog_facility: str = "daemon"
    syslog_priority: str = "info"
    debug: str = "off"
    timestamp: str = "hires"
    fileline: bool = False
    function_name: bool = False
    blackbox: bool = True
    logger_subsys: tuple[LoggerSubsys, ...] = ()
    configured: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RawSection:
    """A section kept verbatim (system, resources, quorum.device, ...), without positions."""

    name: str
    entries: tuple[tuple[str, str], ...] = ()
    sections: tuple[RawSection, ...] = ()


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """A whole corosync.conf: what every node of the cluster agrees on."""

    totem: TotemConfig = field(default_factory=TotemConfig)
    nodes: tuple[NodeConfig, ...] = ()
    node_source: NodeSource = NodeSource.NONE
    quorum: QuorumConfig = field(default_factory=QuorumConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    others: tuple[RawSection, ...] = ()
    has_quorum_section: bool = False
    has_logging_section: bool = False

    def node_by_id(self, nodeid: int) -> NodeConfig | None:
        return next((n for n in self.nodes if n.nodeid == nodeid), None)
