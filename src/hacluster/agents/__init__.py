"""OCF resource agents shipped with hacluster, laid out as `resource.d/<provider>/<type>`.

Owns where they are found once the package is installed: `ocf_root()` is the directory that
holds `resource.d/`, to be searched before the system's /usr/lib/ocf. The agents are
executables run with /usr/bin/python3 outside any virtualenv, so this package and the agent
library beside it (ocf, procs, netns, attrs, ...) use the standard library only and never
import the rest of hacluster.
"""

from __future__ import annotations

from pathlib import Path

# (provider, type) of every agent shipped, in the order of the EayunStack resource table.
AGENTS = (
    ("mirantis", "ns_IPaddr2"),
    ("pacemaker", "ping"),
    ("mirantis", "ns_haproxy"),
    ("mirantis", "mysql-wss"),
    ("rabbitmq", "rabbitmq-server"),
    ("mirantis", "heat-engine"),
    ("mirantis", "ceilometer-agent-central"),
    ("mirantis", "ceilometer-alarm-evaluator"),
    ("mirantis", "neutron-agent-ovs"),
    ("mirantis", "neutron-agent-dhcp"),
    ("mirantis", "neutron-agent-metadata"),
    ("mirantis", "neutron-agent-l3"),
    ("eayun", "neutron-agent-lbaas"),
)


def ocf_root() -> Path:
    """The OCF root of hacluster's own agents: `<ocf_root>/resource.d/<provider>/<type>`."""
    return Path(__file__).resolve().parent


def agent_path(provider: str, agent_type: str) -> Path:
    """The executable of one shipped agent (it may not exist: check before running it)."""
    return ocf_root() / "resource.d" / provider / agent_type
