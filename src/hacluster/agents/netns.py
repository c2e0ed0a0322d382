"""Network namespaces, links, addresses, routes and iptables rules, through `ip`/`iptables`.

Owns the iproute2 and iptables calls the VIP, haproxy and neutron agents share (SPEC.md
§6.1, §6.3, §6.0 dhcp/l3 cleanup). Each function states one fact or makes one change, and
reports a failed command as NetError with the command and its stderr; callers decide
whether that fails the action. Must never touch an interface, namespace or rule it was not
named. Stdlib only; JSON output of `ip -j` rather than text parsing.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NETNS_DIR = Path("/run/netns")


class NetError(Exception):
    """A command failed: the message holds the command line and its stderr."""


def run(argv: Sequence[str], check: bool = True, timeout_s: float = 30.0) -> str:
    """Run one command; its stdout, or NetError when `check` and it failed."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise NetError(f"{shlex.join(argv)}: {error}") from None
    if check and done.returncode != 0:
        raise NetError(f"{shlex.join(argv)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def ip(ns: str | None, *args: str, check: bool = True) -> str:
    return run(["ip", *(("-n", ns) if ns else ()), *args], check=check)


def ns_exists(ns: str) -> bool:
    return (NETNS_DIR / ns).exists()


def list_namespaces() -> list[str]:
    return sorted(p.name for p in NETNS_DIR.iterdir()) if NETNS_DIR.is_dir() else []


def ensure_namespace(ns: str) -> bool:
    """Create `ns` with its loopback up; True when it was created now."""
    created = False
    if not ns_exists(ns):
        ip(None, "netns", "add", ns)
        created = True
    ip(ns, "link", "set", "lo", "up")
    return created


def delete_namespace(ns: str) -> None:
    """Remove `ns`, and its veth pairs at once: the kernel tears a namespace down later, in
    the background, so without this the peer ends outside would linger for a while and
    keep routing to addresses that are gone."""
    if not ns_exists(ns):
        return
    for entry in json.loads(ip(ns, "-j", "link", "show", "type", "veth", check=False) or "[]"):
        ip(ns, "link", "delete", "dev", str(entry.get("ifname", "")), check=False)
    ip(None, "netns", "delete", ns)


def namespace_pids(ns: str) -> list[int]:
    """Processes living in `ns` (`ip netns pids`)."""
    out = ip(None, "netns", "pids", ns, check=False)
    return sorted(int(word) for word in out.split() if word.isdigit())


def link(dev: str, ns: str | None = None) -> dict[str, Any] | None:
    """`ip -j link show dev` as a dict, or None when there is no such link."""
    out = ip(ns, "-j", "link", "show", "dev", dev, check=False)
    if not out.strip():
        return None
    data = json.loads(out)
    return data[0] if data else None


def has_carrier(dev: str, ns: str | None = None) -> bool:
    info = link(dev, ns)
    return info is not None and "LOWER_UP" in info.get("flags", [])


def ipv4_addresses(dev: str | None = None, ns: str | None = None) -> list[tuple[str, str, int]]:
    """(device, address, prefix) of every IPv4 address, on `dev` or on all links."""
    args = ["-j", "-4", "addr", "show", *(("dev", dev) if dev else ())]
    out = ip(ns, *args, check=False)
    found: list[tuple[str, str, int]] = []
    for entry in json.loads(out) if out.strip() else []:
        for info in entry.get("addr_info", []):
            found.append((entry["ifname"], info["local"], int(info["prefixlen"])))
    return found


def first_ipv4(dev: str, ns: str | None = None) -> tuple[str, int] | None:
    addresses = ipv4_addresses(dev, ns)
    return (addresses[0][1], addresses[0][2]) if addresses else None


def has_address(address: str, prefix: int, ns: str | None = None) -> bool:
    return any(a == address and p == prefix for _, a, p in ipv4_addresses(None, ns))


def set_sysctl(name: str, value: str, ns: str | None = None) -> None:
    """Write a sysctl (per network namespace for net.*): through /proc in our own netns,
    through `ip netns exec <ns> sysctl` in another."""
    if ns:
        run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{name}={value}"])
        return
    Path("/proc/sys", *name.split(".")).write_text(value)


def get_sysctl(name: str) -> str:
    return Path("/proc/sys", *name.split(".")).read_text().strip()


def split_rules(rules: str) -> list[list[str]]:
    """`iptables ... ; iptables ...` -> one argv per command (shell-style quoting, no shell)."""
    return [shlex.split(part) for part in rules.split(";") if part.strip()]


def rule_commands(rules: str, comment: str) -> list[list[str]]:
    """The rules with `-m comment --comment <comment>` appended, as SPEC.md §6.1 says."""
    suffix = ["-m", "comment", "--comment", comment] if comment else []
    return [argv + suffix for argv in split_rules(rules)]


def iptables_rule_exists(table: str, chain: str, spec: Sequence[str]) -> bool:
    """`iptables -C`: whether exactly this rule is present."""
    done = subprocess.run(["iptables", "-w", "-t", table, "-C", chain, *spec],
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    return done.returncode == 0


def iptables_rules(table: str) -> list[str]:
    """`iptables -S` of one table (for tests and stop checks)."""
    return run(["iptables", "-w", "-t", table, "-S"], check=False).splitlines()
