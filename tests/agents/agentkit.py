"""Running the shipped OCF agents in tests: one action, the real ocf-tester, test namespaces.

Agents run as subprocesses exactly as an executor runs them (OCF_* environment, one action
argument), with /usr/bin/python3 and no virtualenv on PATH. Network tests give each test its
own namespaces named hct-<role>-<pid>-<n> and delete them (and what the agents made in them)
afterwards, so the host is left as it was. Addresses live only inside those namespaces.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hacluster.agents import agent_path

OCF_TESTER = "/usr/sbin/ocf-tester"
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
COUNTER = itertools.count(1)


@dataclass(frozen=True)
class Outcome:
    rc: int
    out: str
    err: str


def agent_env(params: Mapping[str, str], extra: Mapping[str, str] | None = None,
              instance: str = "test") -> dict[str, str]:
    env = {"PATH": CLEAN_PATH, "OCF_ROOT": "/usr/lib/ocf", "OCF_RESOURCE_INSTANCE": instance,
           "OCF_RA_VERSION_MAJOR": "1", "OCF_RA_VERSION_MINOR": "0",
           "OCF_RESKEY_CRM_meta_timeout": "20000"}
    env.update({f"OCF_RESKEY_{k}": v for k, v in params.items()})
    env.update(extra or {})
    return env


def run_agent(provider: str, agent_type: str, action: str, params: Mapping[str, str],
              extra: Mapping[str, str] | None = None, netns: str | None = None,
              timeout_s: float = 120.0) -> Outcome:
    """One action of one shipped agent; `netns` runs it inside a test namespace (nsenter:
    only the network namespace changes, so namespaces the agent adds stay visible)."""
    prefix = ["nsenter", f"--net=/run/netns/{netns}"] if netns else []
    done = subprocess.run([*prefix, str(agent_path(provider, agent_type)), action],
                          capture_output=True, text=True, timeout=timeout_s,
                          env=agent_env(params, extra), stdin=subprocess.DEVNULL)
    return Outcome(done.returncode, done.stdout, done.stderr)


def ocf_tester(provider: str, agent_type: str, params: Mapping[str, str],
               extra: Mapping[str, str] | None = None, netns: str | None = None,
               timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
    """The real ocf-tester from Debian resource-agents on one agent."""
    prefix = ["nsenter", f"--net=/run/netns/{netns}"] if netns else []
    args = [arg for k, v in params.items() for arg in ("-o", f"{k}={v}")]
    env = {"PATH": CLEAN_PATH, **(extra or {})}
    return subprocess.run([*prefix, OCF_TESTER, "-n", "test", *args,
                           str(agent_path(provider, agent_type))], capture_output=True,
                          text=True, timeout=timeout_s, env=env, stdin=subprocess.DEVNULL)


def require_ocf_tester() -> None:
    if not os.access(OCF_TESTER, os.X_OK):
        pytest.skip(f"{OCF_TESTER} is not installed (Debian resource-agents)")
    if shutil.which("xmllint") is None:
        pytest.skip("xmllint is not installed (Debian libxml2-utils); ocf-tester needs it")


def require_root_net() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces")
    if shutil.which("ip") is None or shutil.which("nsenter") is None:
        pytest.skip("needs iproute2 and nsenter")


def unique(role: str) -> str:
    return f"hct-{role}-{os.getpid() % 100000}-{next(COUNTER)}"


def ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise AssertionError(f"ip {' '.join(args)}: {done.stderr}")
    return done.stdout


def namespaces() -> set[str]:
    return set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()


@dataclass
class Site:
    """A test 'node' namespace with its `nic` (br-ex) wired to a client namespace."""

    node: str
    client: str
    nic: str = "br-ex"
    subnet: str = "10.213.0"
    extra: list[str] = field(default_factory=list)  # namespaces the agents made, to delete

    @property
    def nic_ip(self) -> str:
        return f"{self.subnet}.1"

    @property
    def client_ip(self) -> str:
        return f"{self.subnet}.100"

    def in_client(self, *argv: str, timeout_s: float = 15) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["ip", "netns", "exec", self.client, *argv], capture_output=True,
                              text=True, timeout=timeout_s)

    def in_node(self, *argv: str) -> str:
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.node}", *argv],
                              capture_output=True, text=True, timeout=30).stdout


def make_site() -> Site:
    site = Site(unique("node"), unique("cli"))
    for ns in (site.node, site.client):
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
    ip("link", "add", site.nic, "netns", site.node, "type", "veth", "peer", "name", "cl0",
       "netns", site.client)
    ip("-n", site.node, "addr", "add", f"{site.nic_ip}/24", "dev", site.nic)
    ip("-n", site.node, "link", "set", site.nic, "up")
    ip("-n", site.client, "addr", "add", f"{site.client_ip}/24", "dev", "cl0")
    ip("-n", site.client, "link", "set", "cl0", "up")
    return site


def kill_namespace(ns: str) -> None:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    for pid in out.split():
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    ip("netns", "delete", ns, check=False)


@pytest.fixture
def site() -> Iterator[Site]:
    require_root_net()
    made = make_site()
    try:
        yield made
    finally:
        for ns in [*made.extra, made.node, made.client]:
            kill_namespace(ns)


def tcp_get(site: Site, address: str, port: int) -> str:
    """An HTTP GET from the client namespace; the response text, or '' when unreachable."""
    script = ("import socket,sys\ntry:\n s=socket.create_connection((sys.argv[1],int(sys.argv[2]))"
              ",timeout=3)\n s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n print(s.recv(4096)"
              ".decode())\nexcept OSError as e:\n print('unreachable', e)\n")
    done = site.in_client("/usr/bin/python3", "-c", script, address, str(port))
    return done.stdout if "unreachable" not in done.stdout else ""


def recorder(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in attrd_updater that appends its arguments to a log (until ours exists)."""
    log = tmp_path / "attrd.log"
    script = tmp_path / "attrd-recorder"
    script.write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    script.chmod(0o755)
    return script, log


@dataclass
class Lan:
    """Two test 'node' namespaces whose `br-ex` sit on one bridge with a client namespace."""

    client: str
    nodes: dict[str, str]  # node name -> namespace
    extra: list[str] = field(default_factory=list)
    subnet: str = "10.213.0"

    def nic_ip(self, node: str) -> str:
        return f"{self.subnet}.{sorted(self.nodes).index(node) + 1}"

    def in_node(self, node: str, *argv: str) -> str:
        return subprocess.run(["nsenter", f"--net=/run/netns/{self.nodes[node]}", *argv],
                              capture_output=True, text=True, timeout=30).stdout


def make_lan(names: tuple[str, ...]) -> Lan:
    lan = Lan(unique("cli"), {name: unique("node") for name in names})
    for ns in (lan.client, *lan.nodes.values()):
        ip("netns", "add", ns)
        ip("-n", ns, "link", "set", "lo", "up")
    ip("-n", lan.client, "link", "add", "br0", "type", "bridge")
    ip("-n", lan.client, "addr", "add", f"{lan.subnet}.100/24", "dev", "br0")
    ip("-n", lan.client, "link", "set", "br0", "up")
    for index, (name, ns) in enumerate(sorted(lan.nodes.items())):
        port = f"port{index}"
        ip("link", "add", "br-ex", "netns", ns, "type", "veth", "peer", "name", port,
           "netns", lan.client)
        ip("-n", lan.client, "link", "set", port, "master", "br0", "up")
        ip("-n", ns, "addr", "add", f"{lan.nic_ip(name)}/24", "dev", "br-ex")
        ip("-n", ns, "link", "set", "br-ex", "up")
    return lan


@pytest.fixture
def lan() -> Iterator[Lan]:
    require_root_net()
    made = make_lan(("node-1", "node-2"))
    try:
        yield made
    finally:
        for ns in [*made.extra, *made.nodes.values(), made.client]:
            kill_namespace(ns)


def http_get_from(namespace: str, address: str, port: int) -> str:
    """An HTTP GET from `namespace`; the response text, or '' when unreachable."""
    script = ("import socket,sys\ntry:\n s=socket.create_connection((sys.argv[1],int(sys.argv[2]))"
              ",timeout=3)\n s.sendall(b'GET / HTTP/1.0\\r\\n\\r\\n')\n print(s.recv(4096)"
              ".decode())\nexcept OSError as e:\n print('unreachable', e)\n")
    done = subprocess.run(["ip", "netns", "exec", namespace, "/usr/bin/python3", "-c", script,
                           address, str(port)], capture_output=True, text=True, timeout=15)
    return done.stdout if "unreachable" not in done.stdout else ""


def listening_addresses() -> str:
    """`ss -ltnH` (every listening TCP socket on the host), for picking free addresses."""
    return subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, timeout=30).stdout


def pick_run_slot(is_free: Callable[[int], bool]) -> int:
    """A number 1-250 for this test run, so that runs of the suite on one host at the same
    time (several engineers' `make test`) get their own addresses, ports and names."""
    start = os.getpid() % 250
    for offset in range(250):
        slot = (start + offset) % 250 + 1
        if is_free(slot):
            return slot
    pytest.skip("no free address slot for the real-service tests")
