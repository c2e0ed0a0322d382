"""cibadmin and `pcs cluster cib / cib-push` against a CIB file, in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.cib import CIBVersion, parse_cib
from hacluster.cli import cibadmin, pcs
from shared_paths import SHARED

REFERENCE = SHARED / "eayunstack" / "reference-cib.loopback.xml"


@pytest.fixture()
def cib(tmp_path: Path) -> Path:
    if not REFERENCE.is_file():
        pytest.skip(f"reference CIB not found at {REFERENCE}")
    path = tmp_path / "cib.xml"
    path.write_bytes(REFERENCE.read_bytes())
    return path


def version(path: Path) -> CIBVersion:
    return parse_cib(path.read_bytes()).version


def test_pcs_cluster_cib_prints_or_saves_the_file(cib: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert pcs.main(["-f", str(cib), "cluster", "cib"]) == 0
    assert capsys.readouterr().out.startswith("<cib")
    assert pcs.main(["-f", str(cib), "cluster", "cib", "--config"]) == 0
    assert capsys.readouterr().out.startswith("<configuration>")
    assert pcs.main(["-f", str(cib), "cluster", "cib", "scope=nodes"]) == 0
    assert capsys.readouterr().out.startswith("<nodes>")
    out = tmp_path / "copy.xml"
    assert pcs.main(["-f", str(cib), "cluster", "cib", str(out)]) == 0
    assert parse_cib(out.read_bytes()).digest() == parse_cib(cib.read_bytes()).digest()


def test_cib_push_of_an_older_cib_is_refused(cib: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "saved.xml"
    pcs.main(["-f", str(cib), "cluster", "cib", str(saved)])
    cibadmin_args = ["-M", "-X", '<nvpair id="cib-bootstrap-options-stonith-enabled" '
                                 'value="true"/>']
    assert run_cibadmin(cib, cibadmin_args) == 0
    stale = tmp_path / "stale.xml"
    stale.write_bytes(saved.read_bytes().replace(b'epoch="1"', b'epoch="0"', 1))
    before = cib.read_bytes()
    assert pcs.main(["-f", str(cib), "cluster", "cib-push", str(stale)]) == 1
    assert "older" in capsys.readouterr().err
    assert cib.read_bytes() == before


def test_cib_push_diff_against_applies_only_the_edit(cib: Path, tmp_path: Path) -> None:
    original, edited = tmp_path / "orig.xml", tmp_path / "edited.xml"
    pcs.main(["-f", str(cib), "cluster", "cib", str(original)])
    edited.write_bytes(original.read_bytes().replace(
        b'name="symmetric-cluster" value="false"', b'name="symmetric-cluster" value="true"'))
    # Meanwhile the live CIB moved on: a push of the whole file would undo this.
    assert run_cibadmin(cib, ["-C", "-o", "resources", "-X",
                              '<primitive id="d1" class="ocf" provider="pacemaker" '
                              'type="Dummy"/>']) == 0
    assert pcs.main(["-f", str(cib), "cluster", "cib-push", str(edited),
                     f"diff-against={original}"]) == 0
    doc = parse_cib(cib.read_bytes())
    assert doc.find_by_id("d1") is not None
    assert doc.xpath("//nvpair[@name='symmetric-cluster'][@value='true']")
    assert doc.version == CIBVersion(0, 3, 0)


def test_cib_push_config_replaces_only_the_configuration(cib: Path, tmp_path: Path) -> None:
    run_cibadmin(cib, ["-M", "-o", "status", "-X",
                       '<status><node_state id="1" uname="node-1"/></status>'])
    edited = tmp_path / "edited.xml"
    edited.write_bytes(REFERENCE.read_bytes().replace(b'value="ignore"', b'value="stop"')
                       .replace(b'epoch="1"', b'epoch="0"', 1))
    assert pcs.main(["-f", str(cib), "cluster", "cib-push", str(edited), "--config"]) == 0
    doc = parse_cib(cib.read_bytes())
    assert doc.xpath("//nvpair[@value='stop']") and doc.xpath("//node_state[@id='1']")


def run_cibadmin(cib: Path, argv: list[str]) -> int:
    import os

    old = os.environ.get("CIB_file")
    os.environ["CIB_file"] = str(cib)
    try:
        return cibadmin.main(argv)
    finally:
        if old is None:
            del os.environ["CIB_file"]
        else:
            os.environ["CIB_file"] = old


def test_cibadmin_upgrade_and_empty(cib: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = cib.read_bytes().replace(b"pacemaker-3.7", b"pacemaker-1.2")
    cib.write_bytes(old)
    assert run_cibadmin(cib, ["--upgrade"]) == 107
    assert run_cibadmin(cib, ["--upgrade", "--force"]) == 0
    assert parse_cib(cib.read_bytes()).validate_with == "pacemaker-3.7"
    assert run_cibadmin(cib, ["--empty"]) == 0
    assert 'crm_feature_set="3.16.1"' in capsys.readouterr().out


def test_unsafe_input_leaves_the_cib_untouched(cib: Path, tmp_path: Path) -> None:
    before = cib.read_bytes()
    evil = tmp_path / "evil.xml"
    evil.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                    '<primitive id="e" class="ocf" provider="x" type="&e;"/>')
    assert run_cibadmin(cib, ["-C", "-o", "resources", "-x", str(evil)]) == 78
    assert cib.read_bytes() == before


def test_live_cluster_without_a_daemon_is_a_clear_error(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("CIB_file", raising=False)
    monkeypatch.setenv("HACLUSTER_STATE_DIR", str(tmp_path))
    assert cibadmin.main(["-Q"]) == 102
    assert "haclusterd" in capsys.readouterr().err


def test_cibadmin_works_against_a_live_node_served_by_a_replica(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The LiveCluster path end to end: our tools → api/env.py (Client) → the daemon's IPC server
    (drivers/ipc.py) → a one-node CIBReplica whose agreed order is a loopback."""
    import asyncio
    import itertools
    import shutil
    import tempfile
    import threading

    from hacluster.cib import Broadcast, CIBReplica, Delivered, MembershipChanged
    from hacluster.common import NodeId
    from hacluster.drivers.ipc import IpcServer
    from hacluster.events import ClientRequest, Reply

    if not REFERENCE.is_file():
        pytest.skip(f"reference CIB not found at {REFERENCE}")
    state_dir = tempfile.mkdtemp(prefix="hc-cib-", dir="/tmp")  # short: sun_path is 108 bytes
    replica = CIBReplica(NodeId(1), parse_cib(REFERENCE.read_bytes()))
    waiting: dict[int, tuple[object, object]] = {}
    ids = itertools.count(1)

    def run(event: object) -> None:
        queue = [event]
        while queue:
            for out in replica.step(0, queue.pop(0)):  # type: ignore[arg-type]
                if isinstance(out, Broadcast):
                    queue.append(Delivered(NodeId(1), out.payload))
                elif isinstance(out, Reply):
                    conn, client_id = waiting.pop(out.request_id)
                    conn.reply(client_id, out.ok, out.body,  # type: ignore[attr-defined]
                               tuple(out.problems))

    def on_request(conn: object, client_id: int, request: object) -> None:
        internal = next(ids)  # client ids repeat across connections; ours must not
        waiting[internal] = (conn, client_id)
        run(ClientRequest(internal, request))  # type: ignore[arg-type]

    run(MembershipChanged((NodeId(1),), 1))
    loop = asyncio.new_event_loop()
    server = IpcServer(f"{state_dir}/haclusterd.sock", on_request, lambda conn: None)
    loop.run_until_complete(server.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.delenv("CIB_file", raising=False)
        monkeypatch.setenv("HACLUSTER_STATE_DIR", state_dir)
        assert cibadmin.main(["-C", "-o", "resources", "-X",
                              '<primitive id="live1" class="ocf" provider="pacemaker" '
                              'type="Dummy"/>']) == 0
        assert cibadmin.main(["-C", "-o", "resources", "-X",
                              '<primitive id="live1" class="ocf" provider="pacemaker" '
                              'type="Dummy"/>']) == 108
        capsys.readouterr()
        assert cibadmin.main(["-Q", "--xpath", "//primitive[@id='live1']"]) == 0
        assert 'id="live1"' in capsys.readouterr().out
        assert pcs.main(["cluster", "cib"]) == 0
        assert 'epoch="2"' in capsys.readouterr().out
        assert replica.status().version == CIBVersion(0, 2, 0)
        root = replica.doc.root
        assert root.get("update-client") == "cibadmin" and root.get("update-origin") == "1"
        assert root.get("cib-last-written") and root.get("update-user")
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        shutil.rmtree(state_dir, ignore_errors=True)
