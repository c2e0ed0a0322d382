"""The daemon's loop, IPC server and client against a tiny fake core with the step() contract."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_drivers_udp import free_port

from hacluster import events
from hacluster.api import env
from hacluster.common import Code, HaError, NodeId, Problem, ipcwire
from hacluster.drivers.daemon import pid_file_lock, serve
from hacluster.drivers.ipc import Connection, IpcServer
from hacluster.drivers.loop import DaemonLoop, EventFrame, counters_of, encode_event
from hacluster.drivers.settings import DaemonSettings


@dataclass(frozen=True, slots=True)
class FakeStatus:
    node_id: int
    heard: tuple[int, ...]
    unreachable: tuple[int, ...]


RING = events.RingId(NodeId(1), 4)


class FakeCore:
    """Heartbeats every 20 ms; echoes requests; outputs every heartbeat as a Deliver."""

    def __init__(self, node_id: int) -> None:
        self.node_id = node_id
        self.deadline_ms: int | None = None
        self.heard: set[int] = set()
        self.unreachable: list[int] = []
        self.seen: list[Any] = []

    def step(self, now_ms: int, event: Any) -> list[Any]:
        self.seen.append(event)
        match event:
            case events.Tick():
                self.deadline_ms = now_ms + 20
                return [events.Multicast(f"hb {self.node_id}".encode())]
            case events.PacketIn(data=data):
                sender = int(data.split()[1])
                self.heard.add(sender)
                return [events.Deliver(RING, len(self.seen), 0, NodeId(sender), data)]
            case events.PeerUnreachable(node_id=node):
                self.unreachable.append(node)
                return [events.Log("info", f"unreachable {node}")]
            case events.ClientRequest(request_id=rid, request=events.SendRequest(data=data)):
                return [events.Persist("echo", data),  # "send" stands for "echo" here
                        events.Reply(rid, True, events.CibText(data.decode()))]
            case events.ClientRequest(request_id=rid, request=request):
                return [events.Reply(rid, False, None, (Problem(
                    Code.IPC_UNKNOWN_REQUEST, f"no {type(request).__name__}"),))]
            case events.Shutdown():
                return [events.Multicast(f"bye {self.node_id}".encode())]
        return []

    def next_deadline_ms(self) -> int | None:
        return 0 if self.deadline_ms is None else self.deadline_ms

    def status(self) -> FakeStatus:
        return FakeStatus(self.node_id, tuple(sorted(self.heard)), tuple(self.unreachable))


def settings_for(me: int, port: int, state_dir: Path, nodes: int = 3) -> DaemonSettings:
    peers = {NodeId(n): f"127.0.0.{n}" for n in range(1, nodes + 1) if n != me}
    return DaemonSettings(NodeId(me), f"127.0.0.{me}", port, peers, {}, 1000,
                          str(state_dir), "fake.conf")


def test_a_transports_counters_are_its_integer_fields() -> None:
    assert counters_of(FakeStatus(1, (2, 3), ())) == {"node_id": 1}
    assert counters_of(None) == {} and counters_of(FakeStatus) == {}


def fake_view(status: FakeStatus) -> events.RingView:
    """What a FakeCore's status looks like to the tools: the members it heard."""
    return events.RingView("", tuple(sorted({status.node_id, *status.heard})), "fake")


def test_a_second_daemon_in_the_same_state_dir_is_refused(tmp_path: Path) -> None:
    with pid_file_lock(str(tmp_path)):
        assert (tmp_path / "haclusterd.pid").read_text().strip() == str(os.getpid())
        script = ("import sys; from hacluster.drivers.daemon import pid_file_lock\n"
                  "from hacluster.common import HaError\n"
                  f"try:\n  pid_file_lock({str(tmp_path)!r}).__enter__()\n"
                  "except HaError as e: print(e.problems[0].code); sys.exit(0)\n"
                  "sys.exit(1)\n")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=30)
        assert done.returncode == 0 and "DAEMON_ALREADY_RUNNING" in done.stdout
    assert not (tmp_path / "haclusterd.pid").exists()


def run_cluster(tmp_path: Path, port: int, body: Any, nodes: int = 3) -> list[FakeCore]:
    """Run `nodes` fake daemons in one event loop; `body(dirs)` runs in a thread meanwhile."""
    cores: list[FakeCore] = []
    dirs = [tmp_path / f"n{i}" for i in range(1, nodes + 1)]
    for d in dirs:
        d.mkdir()

    def factory(settings: DaemonSettings) -> FakeCore:
        cores.append(FakeCore(settings.node_id))
        return cores[-1]

    async def scenario() -> None:
        loops: list[DaemonLoop] = []
        tasks = [asyncio.create_task(serve(settings_for(i + 1, port, d, nodes), factory,
                                           loops.append, fake_view))
                 for i, d in enumerate(dirs)]
        try:
            await asyncio.wait_for(asyncio.to_thread(body, dirs), 20)
        finally:
            for daemon_loop in loops:
                daemon_loop.shutdown()
            await asyncio.wait_for(asyncio.gather(*tasks), 5)

    asyncio.run(scenario())
    return cores


def wait_for(predicate: Any, timeout_s: float = 5.0) -> None:
    event = threading.Event()
    for _ in range(int(timeout_s / 0.02)):
        if predicate():
            return
        event.wait(0.02)
    raise AssertionError("condition not met in time")


def test_three_fake_daemons_hear_each_other_and_answer_tools(tmp_path: Path) -> None:
    port = free_port("fake-cluster")
    results: dict[str, Any] = {}

    def body(dirs: list[Path]) -> None:
        def heard_all() -> bool:
            report = env.call(events.DaemonStatus(), state_dir_path=str(dirs[0]))
            assert isinstance(report, events.DaemonReport) and report.view is not None
            return report.view.members == (1, 2, 3)

        wait_for(heard_all)
        results["echo"] = env.call(events.SendRequest(b"x=1"), state_dir_path=str(dirs[1]))
        with pytest.raises(HaError) as failure:
            env.call(events.CibQuery(), state_dir_path=str(dirs[1]))
        results["unknown"] = failure.value.problems[0].code
        results["status"] = env.call(events.DaemonStatus(), state_dir_path=str(dirs[2]))
        results["persisted"] = (dirs[1] / "echo").read_text()

    cores = run_cluster(tmp_path, port, body)
    assert results["echo"] == events.CibText("x=1")
    assert results["unknown"] is Code.IPC_UNKNOWN_REQUEST
    assert results["persisted"] == "x=1"
    report = results["status"]
    assert report.identity.node_id == 3 and report.transport_stats["received"] > 0
    assert report.identity.addresses == {1: "127.0.0.1", 2: "127.0.0.2", 3: "127.0.0.3"}
    assert report.stats["stats.srp.udp.received"] > 0
    # Every core was told to shut down (a peer's last packet may still arrive after it).
    assert all(any(isinstance(e, events.Shutdown) for e in c.seen) for c in cores)
    assert not any((tmp_path / f"n{i}" / "haclusterd.sock").exists() for i in (1, 2, 3))


def frame_of(message: events.IpcReply | events.PushedEvent) -> bytes:
    return ipcwire.frame(events.IPC_CODEC.encode(message))


@given(st.text(max_size=30), st.integers(0, 2**32 - 1), st.integers(0, 2**31),
       st.binary(max_size=300))
def test_cpg_deliver_events_encode_exactly_as_the_codec_and_come_back_intact(
        group: str, node_id: int, pid: int, data: bytes) -> None:
    output = events.CpgDeliver(group, NodeId(node_id), pid, data)
    frame = encode_event(output)
    assert frame == frame_of(output)
    assert events.IPC_CODEC.decode(frame[ipcwire.FRAME_HEADER.size:]) == output


def test_every_byte_value_and_a_payload_over_one_frame_keep_the_codec_encoding() -> None:
    for data in (bytes(range(256)), b"", b"\xff\x00bad \"utf-8\"\n",
                 bytes(range(256)) * (ipcwire.FRAME_MAX // 256 + 1)):
        output = events.CpgDeliver('gr\u00fcp "q"', NodeId(2130706433), 4242, data)
        shared = EventFrame(output)
        assert shared() == frame_of(output) and shared() is shared()
    assert len(frame_of(output)) > ipcwire.FRAME_MAX  # the last one went out in parts


def test_only_pushed_events_are_published_and_the_rest_is_counted() -> None:
    class Subscriber:
        number = 1
        subscriptions = {"*"}
        frames: list[bytes] = []

        def write_frame(self, frame: Any) -> None:
            self.frames.append(frame())

    loop = DaemonLoop(FakeCore(1), None, "/nonexistent", dict)  # type: ignore[arg-type]
    subscriber = Subscriber()
    loop._subscribers[1] = subscriber  # type: ignore[assignment]
    quorum = events.QuorumNotice(True, RING, (NodeId(1), NodeId(2)), 2, 2)
    loop.execute(events.RunAgent(1, "ocf:heartbeat:Dummy", "start"))  # no runner here
    loop.execute(quorum)
    assert subscriber.frames == [frame_of(quorum)] and loop.unpublished == 1


def test_a_plain_acknowledgement_encodes_exactly_as_the_generic_reply() -> None:
    class Writer:
        def __init__(self) -> None:
            self.frames: list[bytes] = []

        def is_closing(self) -> bool:
            return False

    for request_id in (1, 77, 2**40):
        connection = Connection(1, Writer(), 0)  # type: ignore[arg-type]
        sent: list[Any] = []
        connection.write_frame = sent.append  # type: ignore[method-assign]
        connection.reply(request_id, True)
        assert sent == [frame_of(events.IpcReply(request_id, True))]


def test_the_client_reads_many_frames_from_one_chunk_and_one_frame_from_many() -> None:
    left, right = socket.socketpair()
    conn = env.Client(connected=left)
    frames = [frame_of(events.CpgDeliver("g", NodeId(1), n, b"y" * n * 50)) for n in range(200)]
    sender = threading.Thread(target=lambda: [right.sendall(f) for f in [
        b"".join(frames[:150]), *(frames[150][i:i + 7] for i in range(0, len(frames[150]), 7)),
        b"".join(frames[151:])]])
    sender.start()
    got = [conn._receive() for _ in range(200)]
    sender.join()
    left.close()
    right.close()
    assert [(m.pid, m.data) for m in got] == [(n, b"y" * n * 50)  # type: ignore[union-attr]
                                              for n in range(200)]


def test_a_pushed_frame_that_does_not_decode_is_dropped_and_counted() -> None:
    left, right = socket.socketpair()
    conn = env.Client(connected=left, timeout_ms=2000)
    good = events.CpgDeliver("g", NodeId(1), 5, b"\x00\xff")
    for payload in (b"\xff\xfe not json", b'{"@":"push.cpg.deliver","group":7}',
                    b'{"@":"push.cpg.deliver","group":"g","node_id":1,"pid":5,"data":[0,9]}\x00',
                    b'{"@":"no.such.event"}', b"[]"):
        right.sendall(ipcwire.frame(payload))
    right.sendall(frame_of(good))
    assert next(conn.events()) == good
    assert conn.drops == {Code.IPC_EVENT_MALFORMED: 5}
    right.sendall(ipcwire.frame(b'{"@":"ipc.reply","id":"x"}'))  # a reply: never skipped
    with pytest.raises(HaError) as failure:
        conn._receive()
    assert failure.value.problems[0].code is Code.IPC_PROTOCOL
    left.close()
    right.close()


def test_subscribers_receive_published_outputs(tmp_path: Path) -> None:
    port = free_port("subscribe")
    got: list[events.PushedEvent] = []

    def body(dirs: list[Path]) -> None:
        with env.Client(str(dirs[0])) as conn:
            assert conn.call(events.Subscribe(("Deliver",))) == events.Subscribed(("Deliver",))
            for message in conn.events():
                got.append(message)
                if len(got) >= 3:
                    break

    run_cluster(tmp_path, port, body, nodes=2)
    assert all(isinstance(m, events.Deliver) and m.sender == 2 and m.data == b"hb 2"
               for m in got), got


def test_a_killed_peer_is_reported_unreachable_to_the_core(tmp_path: Path) -> None:
    port = free_port("unreachable")
    (tmp_path / "n1").mkdir()

    async def scenario() -> FakeCore:
        core = FakeCore(1)
        task = asyncio.create_task(serve(settings_for(1, port, tmp_path / "n1", 2),
                                         lambda s: core))
        await asyncio.sleep(0.3)  # heartbeats every 20 ms to the silent 127.0.0.2
        os.kill(os.getpid(), 15)  # the real SIGTERM path: the handler steps Shutdown
        await asyncio.wait_for(task, 5)
        return core

    core = asyncio.run(scenario())
    assert core.unreachable and set(core.unreachable) == {2}


def test_the_client_says_clearly_when_no_daemon_runs(tmp_path: Path) -> None:
    with pytest.raises(HaError) as failure:
        env.call(events.DaemonPing(), state_dir_path=str(tmp_path))
    assert failure.value.problems[0].code is Code.IPC_NOT_RUNNING
    assert "is it running" in failure.value.problems[0].message


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")
def test_a_client_that_is_neither_root_nor_haclient_is_refused() -> None:
    # pytest's tmp dirs are 0700: nobody could not even reach the socket's directory.
    tmp_path = Path(tempfile.mkdtemp(prefix="hacluster-ipc-"))
    os.chmod(tmp_path, 0o755)
    try:
        done = asyncio.run(refusal_scenario(tmp_path))
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)
    assert "IPC_ACCESS_DENIED" in done.stdout and "haclient" in done.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run a client as another uid")
def test_a_member_of_haclient_is_allowed_and_owns_a_new_state_dir_by_group() -> None:
    import grp

    try:
        gid = grp.getgrnam("haclient").gr_gid
    except KeyError:
        pytest.skip("no group haclient on this machine")
    base = Path(tempfile.mkdtemp(prefix="hacluster-ipc-"))
    os.chmod(base, 0o755)
    state_dir = base / "state"
    try:
        with pid_file_lock(str(state_dir)):
            assert state_dir.stat().st_gid == gid and state_dir.stat().st_mode & 0o777 == 0o750
        done = asyncio.run(refusal_scenario(state_dir, groups=f"[{gid}]"))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert done.stdout.startswith("ok "), done.stdout


async def refusal_scenario(tmp_path: Path,
                           groups: str = "[]") -> subprocess.CompletedProcess[str]:
    loop = DaemonLoop(FakeCore(1), None, str(tmp_path), dict)  # type: ignore[arg-type]
    server = IpcServer(str(tmp_path / "haclusterd.sock"), loop.on_request, loop.on_close)
    await server.start()
    # Import first: the interpreter's stdlib may not be readable by nobody.
    script = ("import os\n"
              "from hacluster.api import env\n"
              "from hacluster.events import DaemonPing\n"
              "from hacluster.common import HaError\n"
              f"os.setgroups({groups}); os.setgid(65534); os.setuid(65534)\n"
              f"try: print('ok', env.call(DaemonPing(), "
              f"state_dir_path={str(tmp_path)!r}))\n"
              "except HaError as e: print(e.problems[0].code, e.problems[0].message)\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    await server.stop()
    return subprocess.CompletedProcess([], proc.returncode or 0, out.decode(), "")


def test_a_malformed_frame_gets_a_protocol_error_and_the_connection_stays_usable(
        tmp_path: Path) -> None:
    import socket as socket_module

    async def scenario() -> tuple[Any, Any]:
        loop = DaemonLoop(FakeCore(1), None, str(tmp_path), dict)  # type: ignore[arg-type]
        server = IpcServer(str(tmp_path / "haclusterd.sock"), loop.on_request, loop.on_close)
        await server.start()

        def talk() -> tuple[Any, Any]:
            sock = socket_module.socket(socket_module.AF_UNIX)
            sock.connect(str(tmp_path / "haclusterd.sock"))
            sock.sendall(ipcwire.FRAME_HEADER.pack(5) + b"nope!")
            sock.sendall(ipcwire.frame(events.IPC_CODEC.encode(
                events.IpcRequest(7, events.DaemonPing()))))
            frames: list[Any] = []
            data = b""
            while len(frames) < 2:
                data += sock.recv(4096)
                while len(data) >= 4 and len(data) >= 4 + ipcwire.FRAME_HEADER.unpack(
                        data[:4])[0]:
                    size = ipcwire.FRAME_HEADER.unpack(data[:4])[0]
                    frames.append(events.IPC_CODEC.decode(data[4:4 + size]))
                    data = data[4 + size:]
            sock.close()
            return frames[0], frames[1]

        try:
            return await asyncio.wait_for(asyncio.to_thread(talk), 10)
        finally:
            await server.stop()

    bad, good = asyncio.run(scenario())
    assert isinstance(bad, events.IpcReply) and bad.ok is False
    assert bad.problems[0].code is Code.IPC_PROTOCOL
    assert isinstance(good, events.IpcReply) and good.id == 7 and good.ok is True


def test_logging_goes_to_the_logfile_with_the_node_id_and_honours_debug(tmp_path: Path) -> None:
    import logging

    from hacluster.drivers.daemon import setup_logging
    from hacluster.drivers.settings import LogSettings

    logfile = tmp_path / "log" / "haclusterd.log"
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        setup_logging(LogSettings(to_stderr=False, to_logfile=True, logfile=str(logfile),
                                  timestamp=False, debug=True), 7)
        logging.getLogger("hacluster.test").debug("ring formed ring=%s", "1.4")
        for handler in root.handlers:
            handler.flush()
        text = logfile.read_text()
        assert "node=7 hacluster.test DEBUG: ring formed ring=1.4" in text
        assert not text[0].isdigit(), "timestamp: off leaves the time out"
        setup_logging(LogSettings(to_stderr=False, to_logfile=True, logfile=str(logfile),
                                  timestamp=True, debug=False), 7)
        logging.getLogger("hacluster.test").debug("hidden")
        logging.getLogger("hacluster.test").info("shown")
        for handler in root.handlers:
            handler.flush()
        lines = logfile.read_text().splitlines()
        assert "hidden" not in lines[-1] and lines[-1].endswith("shown")
        assert lines[-1][:4].isdigit()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def test_a_core_bug_stops_the_daemon_with_ex_software_and_a_log_line(tmp_path: Path) -> None:
    import dataclasses
    import logging

    from hacluster.drivers.daemon import run
    from hacluster.drivers.settings import LogSettings

    class BrokenCore(FakeCore):
        def step(self, now_ms: int, event: Any) -> list[Any]:
            raise AssertionError("invariant broken")

    logfile = tmp_path / "daemon.log"
    settings = dataclasses.replace(
        settings_for(1, free_port("broken"), tmp_path / "state", 1),
        logging=LogSettings(to_stderr=False, to_logfile=True, logfile=str(logfile)))
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        assert run(settings, lambda s: BrokenCore(1), foreground=True) == 70
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    text = logfile.read_text()
    assert "stopped by an internal error node=1" in text and "invariant broken" in text
    assert not (tmp_path / "state" / "haclusterd.pid").exists()


def test_the_boot_epoch_only_grows_even_when_the_clock_steps_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hacluster.drivers import daemon

    (tmp_path / daemon.EPOCH_FILE).write_text(f"{10**15}\n")  # far in the future
    first = daemon.next_boot_epoch(str(tmp_path))
    second = daemon.next_boot_epoch(str(tmp_path))
    assert first == 10**15 + 1 and second == first + 1
    (tmp_path / daemon.EPOCH_FILE).write_text("garbage")
    assert daemon.next_boot_epoch(str(tmp_path)) > 1_700_000_000_000  # wall-clock ms again


def test_to_syslog_sends_to_the_syslog_socket_with_the_facility(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import logging
    import socket as socket_module

    from hacluster.drivers import daemon
    from hacluster.drivers.settings import LogSettings

    path = tmp_path / "log.sock"
    sink = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_DGRAM)
    sink.bind(str(path))
    sink.settimeout(5)
    monkeypatch.setattr(daemon, "SYSLOG_SOCKET", str(path))
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    try:
        daemon.setup_logging(LogSettings(to_stderr=False, to_syslog=True,
                                         syslog_facility="local0"), 7)
        logging.getLogger("hacluster.test").info("quorum gained members=[1, 2]")
        datagram = sink.recv(4096).decode()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        sink.close()
    # local0 (16) * 8 + info (6) = 134
    assert datagram.startswith("<134>haclusterd[")
    assert "node=7 hacluster.test INFO: quorum gained members=[1, 2]" in datagram


def test_the_ring_seq_is_overwritten_in_place_with_one_data_sync(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At every membership change each node saves the ring seq before passing the commit
    token on: after the first save, one fdatasync of a fixed-width record, no rename."""
    from hacluster.drivers.loop import RECORD_WIDTH, overwrite_durably
    from hacluster.drivers.nodecore import read_ring_seq
    from hacluster.node import RING_SEQ_FILE

    path = str(tmp_path / RING_SEQ_FILE)
    overwrite_durably(path, b"7")  # the first save creates it (write-temp-rename)
    assert read_ring_seq(str(tmp_path)) == 7
    syncs: list[str] = []
    real_fsync, real_fdatasync = os.fsync, os.fdatasync

    def fsync(fd: int) -> None:
        syncs.append("fsync")
        real_fsync(fd)

    def fdatasync(fd: int) -> None:
        syncs.append("fdatasync")
        real_fdatasync(fd)

    monkeypatch.setattr("os.fsync", fsync)
    monkeypatch.setattr("os.fdatasync", fdatasync)
    overwrite_durably(path, b"1234")
    assert syncs == ["fdatasync"] and read_ring_seq(str(tmp_path)) == 1234
    assert os.path.getsize(path) == RECORD_WIDTH
    assert sorted(os.listdir(tmp_path)) == [RING_SEQ_FILE], "no temp file left"
    (tmp_path / RING_SEQ_FILE).write_bytes(b"40\n")  # an older daemon's file: rewritten whole
    overwrite_durably(path, b"41")
    assert read_ring_seq(str(tmp_path)) == 41 and os.path.getsize(path) == RECORD_WIDTH


def test_an_applied_cib_write_comes_back_before_its_save_reaches_the_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon's loop (defer_cib_saves) hands an ApplyJob's outcome back at once: the
    acknowledgement and the DC's next transition do not wait for cib.xml's fsyncs, which
    follow on the writer's thread (Pacemaker's CIB manager also writes after answering)."""
    import threading

    from hacluster.cib import ApplyDone, ApplyJob, CIBRequest, Lineage, empty_cib
    from hacluster.drivers import cibfile

    disk = threading.Event()
    saved: list[bytes] = []
    real_save = cibfile.CIBStore.save

    def slow_save(store: Any, data: bytes) -> None:
        disk.wait(10)  # a disk that answers only when the test says so
        real_save(store, data)
        saved.append(data)

    monkeypatch.setattr(cibfile.CIBStore, "save", slow_save)
    loop = DaemonLoop(FakeCore(1), None, str(tmp_path), dict,  # type: ignore[arg-type]
                      defer_cib_saves=True)
    request = CIBRequest("create", '<primitive id="d1" class="ocf" provider="pacemaker" '
                         'type="Dummy"/>', "resources")

    async def scenario() -> ApplyDone:
        loop.execute(ApplyJob(1, empty_cib(), request, None, Lineage(), heavy=False))
        for _ in range(200):
            if loop._queue:
                break
            await asyncio.sleep(0.01)
        assert loop._queue, "the outcome never came back"
        done = loop._queue.popleft()
        assert isinstance(done, ApplyDone) and done.new is not None
        assert saved == [], "the outcome came back while the disk was still busy"
        loop.execute(events.Persist("cib.xml", done.persisted))  # the replica's next output
        assert saved == [], "the loop's Persist did not wait for the disk either"
        return done

    done = asyncio.run(scenario())
    disk.set()
    wait_for(lambda: saved == [done.persisted])
    assert (tmp_path / "cib.xml").read_bytes() == done.persisted
    if loop.cib_applier is not None:
        loop.cib_applier.close()
    if loop._cib_writer is not None:
        loop._cib_writer.close()
