"""Three MariaDB Galera nodes on one host, for the real mysql-wss agent (tests, live tests).

Owns what each node would have on its own machine, made distinct so that three share one
kernel (SPEC.md §7): node i listens on 127.<net>.<slot>.i with the mysql, gcomm, IST and SST
ports of its slot, and has its own my.cnf, datadir (a copy of one `mariadb-install-db`
template), socket and pid file under `root/<node>`. `params()` are the agent's instance
attributes for a node. The slot keeps concurrent runs of the suite apart (`pick_slot`).
Every address is in 127.0.0.0/8. Needs root (datadirs are chowned to mysql); `why_not_here`
says what is missing. Stdlib only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hacluster.agents.lab_ports import first_free_slot

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
NODES = ("node-1", "node-2", "node-3")
PORT_KINDS = ("mysql", "gcomm", "ist", "sst")
TOOLS = ("mysqld_safe", "mariadb-install-db", "mysql", "rsync")


@dataclass(frozen=True)
class GaleraLab:
    """`net` is the second octet of the node addresses, `port_base` the first port of slot 0
    (each slot has 10 ports), `slot` this run's slot (1-250)."""

    root: Path
    net: int
    port_base: int
    slot: int

    def address(self, node: str) -> str:
        return f"127.{self.net}.{self.slot}.{NODES.index(node) + 1}"

    def port(self, kind: str) -> int:
        """The mysql, gcomm, ist and sst ports (one set: each node has its own address)."""
        return self.port_base + self.slot * 10 + PORT_KINDS.index(kind)

    def home(self, node: str) -> Path:
        return self.root / node

    def params(self, node: str) -> dict[str, str]:
        home = self.home(node)
        return {"config": str(home / "my.cnf"), "datadir": str(home / "data"),
                "socket": str(home / "run" / "mysqld.sock"),
                "pid": str(home / "run" / "mysqld.pid")}

    def my_cnf(self, node: str) -> str:
        home, address = self.home(node), self.address(node)
        peers = ",".join(f"{self.address(n)}:{self.port('gcomm')}" for n in NODES)
        return f"""[mysqld]
user=mysql
datadir={home}/data
bind-address={address}
port={self.port("mysql")}
log-error={home}/error.log
skip-name-resolve
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=32M
innodb_log_file_size=16M
performance_schema=OFF
wsrep_on=ON
wsrep_provider={PROVIDER}
wsrep_cluster_name=hcl_galera_{self.net}_{self.slot}
wsrep_cluster_address=gcomm://{peers}?pc.wait_prim=no
wsrep_node_name={node}
wsrep_node_address={address}
wsrep_provider_options="gmcast.listen_addr=tcp://{address}:{self.port("gcomm")};\
ist.recv_addr={address}:{self.port("ist")}"
wsrep_sst_method=rsync
wsrep_sst_receive_address={address}:{self.port("sst")}
"""

    def prepare(self) -> None:
        """One initialised datadir copied to every node, each node's my.cnf and run dir, all
        owned by mysql. AssertionError with mariadb-install-db's output when it fails."""
        template = self.root / "template"
        init = subprocess.run(["mariadb-install-db", "--user=mysql", f"--datadir={template}",
                               "--auth-root-authentication-method=socket", "--skip-test-db"],
                              capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
        if init.returncode != 0:
            raise AssertionError(f"mariadb-install-db failed: {init.stderr[-2000:]}")
        for node in NODES:
            (self.home(node) / "run").mkdir(parents=True, exist_ok=True)
            (self.home(node) / "my.cnf").write_text(self.my_cnf(node))
            shutil.copytree(template, self.home(node) / "data", symlinks=True)
            subprocess.run(["chown", "-R", "mysql:mysql", str(self.home(node))], check=True,
                           timeout=60)

    def query(self, node: str, statement: str) -> subprocess.CompletedProcess[str]:
        """`statement` through node's socket, as root (socket authentication)."""
        return subprocess.run(["mysql", f"--socket={self.params(node)['socket']}", "-N", "-B",
                               "-e", statement], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL)

    def status(self, node: str, name: str) -> str:
        """One `SHOW STATUS` value of node ('' when it does not answer)."""
        done = self.query(node, f"SHOW STATUS LIKE '{name}'")
        return done.stdout.strip().split("\t")[-1] if done.returncode == 0 else ""

    def mysqld_pid(self, node: str) -> int:
        """mysqld's pid from its pid file, 0 when there is none."""
        try:
            return int(Path(self.params(node)["pid"]).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    def grastate_seqno(self, node: str) -> str:
        """The seqno line of node's grastate.dat ('' when there is none)."""
        try:
            text = (self.home(node) / "data" / "grastate.dat").read_text()
        except OSError:
            return ""
        lines = [line.split(":", 1)[1].strip() for line in text.splitlines()
                 if line.startswith("seqno:")]
        return lines[0] if lines else ""


def why_not_here() -> str:
    """'' when three Galera nodes can run here, else what is missing."""
    if os.geteuid() != 0:
        return "needs root (mysqld runs as user mysql, datadirs chowned)"
    for tool in TOOLS:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian mariadb-server, rsync)"
    return "" if os.path.exists(PROVIDER) else f"{PROVIDER} is not installed (Debian galera-4)"


def pick_slot(port_base: int, seed: int, listening: Callable[[], str]) -> int:
    """A free slot (1-250) starting from `seed` (say the pid), 0 when all are taken."""
    return first_free_slot(seed, listening(), lambda slot: (
        port_base + slot * 10 + k for k in range(len(PORT_KINDS))))
