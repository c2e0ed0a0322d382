"""`haclusterd`: one node's daemon. Loads corosync.conf, builds the Node, runs it for real.

Owns the process: command line, daemonizing (unless -f), logging {} setup, the pid file lock
in the state dir, signals (SIGTERM/SIGINT → Shutdown, a graceful leave), and wiring the UDP
transport and the IPC server to the single task loop (drivers/loop.py). Must never make a
protocol decision: hacluster.node decides, this only executes.
Usage: haclusterd [-f] [-c FILE] [--address ADDR] [--name NAME] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import grp
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from logging.handlers import SysLogHandler
from typing import Any

from hacluster import events
from hacluster.common import Code, ExitStatus, HaError
from hacluster.drivers.agents import AgentRunner
from hacluster.drivers.ipc import ALLOWED_GROUP, IpcServer
from hacluster.drivers.loop import Core, DaemonLoop, StatusView, monotonic_ms, write_atomically
from hacluster.drivers.scheduler import SchedulerWorker
from hacluster.drivers.settings import DEFAULT_CONFIG, DaemonSettings, LogSettings, state_dir_from
from hacluster.drivers.udp import UdpTransport, bind_socket
from hacluster.node import secauth

log = logging.getLogger(__name__)

PID_FILE = "haclusterd.pid"
SYSLOG_SOCKET = "/dev/log"
EPOCH_FILE = "secauth.epoch"
SOCKET_FILE = "haclusterd.sock"

CoreFactory = Callable[[DaemonSettings], Core]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="haclusterd", description="hacluster node daemon")
    parser.add_argument("-f", "--foreground", action="store_true", help="do not daemonize")
    parser.add_argument("-c", "--config", default=DEFAULT_CONFIG, help="corosync.conf to load")
    parser.add_argument("--address", help="local address (several nodes on one host)")
    parser.add_argument("--name", help="this node's name (default: the nodelist name, else its "
                        "ring0_addr, else the host name)")
    parser.add_argument("--state-dir", help="pid file, IPC socket and node files "
                        "(default $HACLUSTER_STATE_DIR or /var/lib/hacluster)")
    return parser.parse_args(argv)


def setup_logging(settings: LogSettings, node_id: int) -> None:
    """logging {}: to_stderr / to_logfile+logfile / to_syslog (when /dev/log exists) /
    timestamp / debug; the node id on each line."""
    stamp = "%(asctime)s " if settings.timestamp else ""
    formatter = logging.Formatter(
        f"{stamp}[%(process)d] node={node_id} %(name)s %(levelname)s: %(message)s")
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handlers: list[logging.Handler] = []
    if settings.to_stderr:
        handlers.append(logging.StreamHandler(sys.stderr))
    if settings.to_logfile and settings.logfile:
        os.makedirs(os.path.dirname(settings.logfile) or ".", exist_ok=True)
        handlers.append(logging.FileHandler(settings.logfile))
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    if settings.to_syslog and os.path.exists(SYSLOG_SOCKET):
        facility = SysLogHandler.facility_names.get(settings.syslog_facility,
                                                    SysLogHandler.LOG_DAEMON)
        syslog = SysLogHandler(SYSLOG_SOCKET, facility)
        syslog.setFormatter(logging.Formatter(
            f"haclusterd[%(process)d]: node={node_id} %(name)s %(levelname)s: %(message)s"))
        root.addHandler(syslog)
    root.setLevel(logging.DEBUG if settings.debug else logging.INFO)


def give_to_haclient(state_dir: str) -> None:
    """A new state dir belongs to group haclient (when it exists and we are root), so its
    members can reach the IPC socket; SO_PEERCRED still decides who may talk."""
    try:
        gid = grp.getgrnam(ALLOWED_GROUP).gr_gid
    except KeyError:
        return
    if os.geteuid() == 0:
        os.chown(state_dir, 0, gid)
        os.chmod(state_dir, 0o750)


@contextlib.contextmanager
def pid_file_lock(state_dir: str) -> Iterator[None]:
    """Hold an exclusive lock on the pid file for the process' life; a second daemon fails."""
    if not os.path.isdir(state_dir):
        os.makedirs(state_dir, mode=0o750)
        give_to_haclient(state_dir)
    path = os.path.join(state_dir, PID_FILE)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise HaError.single(Code.DAEMON_ALREADY_RUNNING,
                                 f"haclusterd already running in {state_dir} (pid {holder})",
                                 pid=holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(fd).st_ino:  # never a successor's file
                    os.unlink(path)
    finally:
        os.close(fd)


def daemonize() -> None:
    """Classic double fork: detach from the terminal and session; stdio to /dev/null."""
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")  # never keep a mount busy; every path in the settings is absolute
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def next_boot_epoch(state_dir: str) -> int:
    """A boot epoch newer than every earlier one of this node: wall-clock ms, but never
    below the last epoch + 1 (persisted), so a clock stepped back cannot make our packets
    look like replays to peers that remember the old epoch."""
    path = os.path.join(state_dir, EPOCH_FILE)
    try:
        with open(path, encoding="ascii") as handle:
            last = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        last = 0
    epoch = max(time.time_ns() // 1_000_000, last + 1)
    write_atomically(path, f"{epoch}\n".encode())
    return epoch


def make_sealer(settings: DaemonSettings) -> secauth.Secauth | None:
    if not settings.secauth:
        return None
    return secauth.Secauth(settings.authkey, settings.node_id,
                           next_boot_epoch(settings.state_dir),
                           settings.crypto_cipher, settings.crypto_hash)


def describe_settings(settings: DaemonSettings) -> events.DaemonIdentity:
    addresses = {**settings.peers, settings.node_id: settings.address}
    return events.DaemonIdentity(
        node_id=settings.node_id, address=settings.address, port=settings.port,
        cluster_name=settings.cluster_name, token_ms=settings.token_ms,
        members=tuple(settings.members),
        addresses={int(n): a for n, a in sorted(addresses.items())},
        names={int(n): name for n, name in sorted(settings.names.items())},
        secauth=settings.secauth, crypto_cipher=settings.crypto_cipher,
        crypto_hash=settings.crypto_hash, config_path=settings.config_path,
        cmap=tuple(events.CmapEntry(key, kind, value) for key, kind, value in settings.cmap))


def bind_totem_socket(settings: DaemonSettings) -> socket.socket:
    """The node's Totem socket, bound exclusively; a taken port is DAEMON_BIND_FAILED."""
    try:
        return bind_socket((settings.address, settings.port))
    except OSError as error:
        taken = " (another haclusterd or another process owns it)" \
            if error.errno == errno.EADDRINUSE else ""
        raise HaError.single(
            Code.DAEMON_BIND_FAILED,
            f"cannot bind {settings.address}:{settings.port}/udp: {error.strerror}{taken}",
            address=settings.address, port=settings.port) from None


async def serve(settings: DaemonSettings, core_factory: CoreFactory,
                on_ready: Callable[[DaemonLoop], None] | None = None,
                status_view: StatusView | None = None,
                sock: socket.socket | None = None) -> None:
    """Run one node until SIGTERM/SIGINT (or the core's Shutdown has been stepped).

    With `on_ready` (tests running several nodes in one process) no signal handler is
    installed: the caller stops the node with `DaemonLoop.shutdown()`. `sock` is the Totem
    socket when the caller bound it already (run() does, before daemonizing)."""
    loop = asyncio.get_running_loop()
    core = core_factory(settings)
    # the daemon's replica offloads every write (nodecore); its cib.xml saves run on the
    # writer's thread after the write is applied (and acknowledged), never on the loop
    daemon_loop = DaemonLoop(core, _NoTransport(), settings.state_dir,
                             lambda: describe_settings(settings), status_view=status_view,
                             defer_cib_saves=True)
    peers = {node: (address, settings.port) for node, address in settings.peers.items()}
    transport = UdpTransport((settings.address, settings.port), peers,
                             daemon_loop.packet_in, daemon_loop.peer_unreachable,
                             monotonic_ms, settings.token_ms, make_sealer(settings))
    transport.open(loop, sock if sock is not None else bind_totem_socket(settings))
    daemon_loop.transport = transport
    agents = AgentRunner(daemon_loop.put, state_dir=settings.state_dir)
    daemon_loop.agents = agents
    scheduler = SchedulerWorker(daemon_loop.put)
    daemon_loop.scheduler = scheduler
    ipc = IpcServer(os.path.join(settings.state_dir, SOCKET_FILE), daemon_loop.on_request,
                    daemon_loop.on_close)
    await ipc.start()
    if on_ready is None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, daemon_loop.shutdown)
    else:
        on_ready(daemon_loop)
    log.info("haclusterd started node=%d address=%s:%d members=%s secauth=%s",
             settings.node_id, settings.address, settings.port, list(settings.members),
             "on" if settings.secauth else "off")
    try:
        await daemon_loop.run()
    finally:
        await agents.stop()
        scheduler.close()
        transport.close()
        await ipc.stop()
        log.info("haclusterd stopped node=%d", settings.node_id)


class _NoTransport:
    """Placeholder until the socket is bound (nothing is stepped before that)."""

    def send(self, dst: Any, data: bytes) -> None:
        raise AssertionError("send before the transport is open")

    def multicast(self, data: bytes) -> None:
        raise AssertionError("multicast before the transport is open")

    def stats(self) -> Any:
        return None


def run(settings: DaemonSettings, core_factory: CoreFactory, foreground: bool,
        status_view: StatusView | None = None) -> int:
    # The port is bound before daemonizing, so a taken port fails the command itself (one
    # line on stderr, exit status of DAEMON_BIND_FAILED), not a detached child. A daemon
    # already running in this state dir is named as such first (it holds the port too).
    try:
        with pid_file_lock(settings.state_dir):
            pass
        sock = bind_totem_socket(settings)
    except HaError as error:
        problem = error.problems[0]
        sys.stderr.write(f"haclusterd: {problem.message} [{problem.code}]\n")
        if not settings.logging.to_stderr:  # the log file / syslog gets it too, once
            setup_logging(settings.logging, settings.node_id)
            log.error("%s", problem.message)
        return int(error.exit_status)
    except OSError as error:  # the state dir cannot be created or locked
        sys.stderr.write(f"haclusterd: cannot use {settings.state_dir}: {error.strerror}\n")
        return int(ExitStatus.CANTCREAT)
    if not foreground:
        daemonize()
    setup_logging(settings.logging, settings.node_id)
    try:
        with pid_file_lock(settings.state_dir):
            asyncio.run(serve(settings, core_factory, None, status_view, sock))
    except HaError as error:
        for problem in error.problems:
            log.error("%s", problem.message)
        return int(error.exit_status)
    except Exception:  # a bug (failed assert in a core): say so in the log, exit as EX_SOFTWARE
        log.exception("haclusterd stopped by an internal error node=%d", settings.node_id)
        return int(ExitStatus.SOFTWARE)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from hacluster.drivers.nodecore import build_node, load_settings, status_view

    try:
        settings = load_settings(args.config, args.address,
                                 os.path.abspath(state_dir_from(args.state_dir)), args.name)
    except HaError as error:
        for problem in error.problems:
            sys.stderr.write(f"haclusterd: {problem.message}\n")
        return int(error.exit_status)
    return run(settings, build_node, args.foreground, status_view)


if __name__ == "__main__":
    sys.exit(main())
