"""The keys corosync.conf(5) and votequorum(5) document: kind, range, default, model field.

Owns the tables that say what each key of each section means and how its text
becomes a value (`convert`). Defaults are those of Corosync 3.1.7 as installed and as
its runtime.config.totem cmap keys show them (token 3000, not 3.0's 1000).
Must never compute derived timings (model builder's job) nor read files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

U32_MAX = 2**32 - 1
U64_MAX = 2**64 - 1
_INTEGER = re.compile(r"[0-9]+")
# Corosync's floor for every timeout: 3 scheduler ticks of 10 ms (HZ=100).
MINIMUM_TIMEOUT_MS = 30
# The hold timer's floor: 0.8 of the minimum timeout minus one tick.
MINIMUM_TIMEOUT_HOLD_MS = 14


class Kind(StrEnum):
    INT = "int"  # unsigned decimal
    YESNO = "yesno"  # written yes/no
    ONOFF = "onoff"  # written on/off
    ZEROONE = "zeroone"  # written 0/1 (votequorum style)
    CHOICE = "choice"  # one of `choices`
    TEXT = "text"  # any non-empty string


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One documented key: how to read it and which model field holds it."""

    kind: Kind
    field: str
    minimum: int = 0
    maximum: int = U32_MAX
    choices: tuple[str, ...] = ()
    obsolete: str = ""  # why the key no longer does anything (reported as INFO)


def _int(field: str, minimum: int = 0, maximum: int = U32_MAX) -> KeySpec:
    return KeySpec(Kind.INT, field, minimum, maximum)


def _choice(field: str, *choices: str) -> KeySpec:
    return KeySpec(Kind.CHOICE, field, choices=choices)


def _gone(why: str) -> KeySpec:
    return KeySpec(Kind.TEXT, "", obsolete=why)


_MS = MINIMUM_TIMEOUT_MS
TOTEM_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    "version": _int("version", 2, 2),
    "cluster_name": KeySpec(Kind.TEXT, "cluster_name"),
    "config_version": _int("config_version", 0, U64_MAX),
    "transport": _choice("transport", "knet", "udpu", "udp"),
    "ip_version": _choice("ip_version", "ipv4", "ipv6", "ipv4-6", "ipv6-4"),
    "clear_node_high_bit": KeySpec(Kind.YESNO, "clear_node_high_bit"),
    "secauth": KeySpec(Kind.ONOFF, "secauth"),
    "crypto_cipher": _choice("crypto_cipher", "none", "aes256", "aes192", "aes128"),
    "crypto_hash": _choice("crypto_hash", "none", "md5", "sha1", "sha256", "sha384", "sha512"),
    "crypto_model": _choice("crypto_model", "nss", "openssl", "gcrypt"),
    "keyfile": KeySpec(Kind.TEXT, "keyfile"),
    "key": KeySpec(Kind.TEXT, "key"),
    "link_mode": _choice("link_mode", "passive", "active", "rr"),
    "netmtu": _int("netmtu", 576, 65536),
    "token": _int("token_configured_ms", _MS),
    "token_warning": _int("token_warning_percent", 0, 100),
    "token_coefficient": _int("token_coefficient_ms"),
    "token_retransmit": _int("token_retransmit_ms", _MS),
    "hold": _int("hold_ms", MINIMUM_TIMEOUT_HOLD_MS),
    "token_retransmits_before_loss_const": _int("token_retransmits_before_loss_const", 1),
    "join": _int("join_ms", _MS),
    "send_join": _int("send_join_ms"),
    "consensus": _int("consensus_ms", _MS),
    "merge": _int("merge_ms", _MS),
    "downcheck": _int("downcheck_ms", _MS),
    "fail_recv_const": _int("fail_recv_const", 1),
    "seqno_unchanged_const": _int("seqno_unchanged_const", 1),
    "heartbeat_failures_allowed": _int("heartbeat_failures_allowed"),
    "max_network_delay": _int("max_network_delay_ms", _MS),
    "window_size": _int("window_size", 1),
    "max_messages": _int("max_messages", 1),
    "miss_count_const": _int("miss_count_const", 1),
    "block_unlisted_ips": KeySpec(Kind.YESNO, "block_unlisted_ips"),
    "cancel_token_hold_on_retransmit": KeySpec(Kind.YESNO, "cancel_token_hold_on_retransmit"),
    "knet_pmtud_interval": _int("knet_pmtud_interval_s"),
    "knet_mtu": _int("knet_mtu"),
    "knet_compression_model": KeySpec(Kind.TEXT, "knet_compression_model"),
    "knet_compression_threshold": _int("knet_compression_threshold"),
    "knet_compression_level": _int("knet_compression_level"),
    "vsftype": _gone("the virtual synchrony filter is gone since corosync 2"),
    "threads": _gone("corosync sends from its main loop since corosync 2"),
    "rrp_mode": _gone("redundant rings are knet links since corosync 3 (see link_mode)"),
    "rrp_problem_count_timeout": _gone("redundant ring protocol is gone since corosync 3"),
    "rrp_problem_count_threshold": _gone("redundant ring protocol is gone since corosync 3"),
    "rrp_problem_count_mcast_threshold": _gone("redundant ring protocol is gone"),
    "rrp_token_expired_timeout": _gone("redundant ring protocol is gone since corosync 3"),
    "rrp_autorecovery_check_timeout": _gone("redundant ring protocol is gone"),
    "nodeid": _gone("node ids come from the nodelist or the member addresses"),
})

INTERFACE_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    "linknumber": _int("linknumber", 0, 7),
    "ringnumber": _int("linknumber", 0, 7),  # the corosync 1.x/2.x name of linknumber
    "bindnetaddr": KeySpec(Kind.TEXT, "bindnetaddr"),
    "mcastaddr": KeySpec(Kind.TEXT, "mcastaddr"),
    "mcastport": _int("mcastport", 1, 65535),
    "broadcast": KeySpec(Kind.YESNO, "broadcast"),
    "ttl": _int("ttl", 0, 255),
    "knet_link_priority": _int("knet_link_priority", 0, 255),
    "knet_ping_interval": _int("knet_ping_interval_ms"),
    "knet_ping_timeout": _int("knet_ping_timeout_ms"),
    "knet_ping_precision": _int("knet_ping_precision"),
    "knet_pong_count": _int("knet_pong_count", 1),
    "knet_transport": _choice("knet_transport", "udp", "sctp"),
})

MEMBER_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    "memberaddr": KeySpec(Kind.TEXT, "memberaddr"),
})

NODE_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    "nodeid": _int("nodeid", 1),
    "name": KeySpec(Kind.TEXT, "name"),
    "quorum_votes": _int("quorum_votes"),
    **{f"ring{n}_addr": KeySpec(Kind.TEXT, f"ring{n}_addr") for n in range(8)},
})

QUORUM_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    "provider": _choice("provider", "corosync_votequorum"),
    "expected_votes": _int("expected_votes", 1),
    "votes": _int("votes"),
    "two_node": KeySpec(Kind.ZEROONE, "two_node"),
    "wait_for_all": KeySpec(Kind.ZEROONE, "wait_for_all"),
    "last_man_standing": KeySpec(Kind.ZEROONE, "last_man_standing"),
    "last_man_standing_window": _int("last_man_standing_window_ms"),
    "auto_tie_breaker": KeySpec(Kind.ZEROONE, "auto_tie_breaker"),
    "auto_tie_breaker_node": KeySpec(Kind.TEXT, "auto_tie_breaker_node"),
    "allow_downscale": KeySpec(Kind.ZEROONE, "allow_downscale"),
    "expected_votes_tracking": KeySpec(Kind.ZEROONE, "expected_votes_tracking"),
})

_PRIORITIES = ("alert", "crit", "debug", "emerg", "err", "info", "notice", "warning")
_LOGGER_COMMON: Mapping[str, KeySpec] = MappingProxyType({
    "to_stderr": KeySpec(Kind.YESNO, "to_stderr"),
    "to_logfile": KeySpec(Kind.YESNO, "to_logfile"),
    "to_syslog": KeySpec(Kind.YESNO, "to_syslog"),
    "logfile": KeySpec(Kind.TEXT, "logfile"),
    "logfile_priority": _choice("logfile_priority", *_PRIORITIES),
    "syslog_facility": _choice("syslog_facility", "daemon", *(f"local{n}" for n in range(8))),
    "syslog_priority": _choice("syslog_priority", *_PRIORITIES),
    "debug": _choice("debug", "on", "off", "trace"),
    "tags": _gone("logger tags are gone since corosync 2"),
    "syslog_level": _gone("renamed syslog_priority"),
})
LOGGING_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    **_LOGGER_COMMON,
    "timestamp": _choice("timestamp", "on", "off", "hires"),
    "fileline": KeySpec(Kind.ONOFF, "fileline"),
    "function_name": KeySpec(Kind.ONOFF, "function_name"),
    "blackbox": KeySpec(Kind.ONOFF, "blackbox"),
})
LOGGER_SUBSYS_KEYS: Mapping[str, KeySpec] = MappingProxyType({
    **_LOGGER_COMMON,
    "subsys": KeySpec(Kind.TEXT, "subsys"),
})

# Sections kept verbatim (not modelled); `service`, `aisexec`, `amf` and `uidgid`
# are the corosync 1.x plugin era and are reported as obsolete.
OPAQUE_SECTIONS: Mapping[str, str] = MappingProxyType({
    "system": "",
    "resources": "",
    "nozzle": "",
    "qb": "",
    "service": "pacemaker runs as its own daemons since corosync 2",
    "aisexec": "corosync 1.x only",
    "amf": "corosync 1.x only",
    "uidgid": "corosync 1.x only; use the uidgid.d directory",
})

_TRUE = frozenset({"yes", "on", "1", "true"})
_FALSE = frozenset({"no", "off", "0", "false"})


def convert(spec: KeySpec, text: str) -> int | bool | str:
    """The typed value of `text`; raises ValueError with a reason when it is not one."""
    if spec.kind is Kind.INT:
        if not _INTEGER.fullmatch(text):
            raise ValueError(f"{text!r} is not a number")
        number = int(text)
        if not spec.minimum <= number <= spec.maximum:
            raise OverflowError(f"{number} is outside {spec.minimum}..{spec.maximum}")
        return number
    if spec.kind in (Kind.YESNO, Kind.ONOFF, Kind.ZEROONE):
        word = text.lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(f"{text!r} is not a boolean ({render_bool(spec.kind, True)}/"
                         f"{render_bool(spec.kind, False)})")
    if spec.kind is Kind.CHOICE:
        if text not in spec.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(spec.choices)}")
        return text
    if not text:
        raise ValueError("the value is empty")
    return text


def render_bool(kind: Kind, value: bool) -> str:
    """A boolean written back in the key's own style."""
    pairs = {Kind.ONOFF: ("on", "off"), Kind.ZEROONE: ("1", "0")}
    yes, no = pairs.get(kind, ("yes", "no"))
    return yes if value else no


def render(spec: KeySpec, value: int | bool | str) -> str:
    """The text that `convert` turns back into `value`."""
    if isinstance(value, bool):
        return render_bool(spec.kind, value)
    return str(value)
