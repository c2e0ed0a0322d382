"""corosync-cfgtool / -quorumtool / -cmapctl: Corosync 3.1's layout, exit codes, and IPC."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from test_drivers_loop import FakeCore, settings_for
from test_drivers_udp import free_port

from hacluster import events
from hacluster.api import cluster as api
from hacluster.cli import corosync as tools
from hacluster.common import Code, HaError
from hacluster.drivers.daemon import serve
from hacluster.drivers.loop import DaemonLoop

IDENTITY = events.DaemonIdentity(
    node_id=1, address="127.0.0.1", port=5405, cluster_name="lab", token_ms=1000,
    members=(1, 2, 3), addresses={1: "127.0.0.1", 2: "127.0.0.2", 3: "127.0.0.3"},
    names={3: "node-3"}, secauth=False, crypto_cipher="none", crypto_hash="none",
    config_path="/etc/corosync/corosync.conf",
    cmap=(events.CmapEntry("runtime.config.totem.token", "u32", 1650),
          events.CmapEntry("nodelist.node.0.nodeid", "u32", 1)))
VIEW = events.RingView("1.5", (1, 3), "OPERATIONAL", quorate=True, expected_votes=3,
                       highest_expected=3, total_votes=2, quorum=2, flags=("Quorate",),
                       votes={1: 1, 3: 1})
REPLY = events.DaemonReport(IDENTITY, VIEW, stats={}, transport_stats={
    "sent": 10, "received": 9, "refused": 0, "auth_dropped": 0}, uptime_ms=5, steps=3,
    packets_dropped_overload=0, pid=42)


def inquorate() -> api.ClusterStatus:
    view = dataclasses.replace(VIEW, members=(1,), quorate=False, total_votes=1, flags=())
    return api.status_from_reply(dataclasses.replace(REPLY, view=view))


def test_quorumtool_status_matches_corosyncs_layout() -> None:
    lines = tools.render_quorum(inquorate(), "Wed Nov 25 01:27:09 2026")
    lines += tools.render_members(inquorate(), False)
    assert "\n".join(lines) == "\n".join([
        "Quorum information",
        "------------------",
        "Date:             Wed Nov 25 01:27:09 2026",
        "Quorum provider:  corosync_votequorum",
        "Nodes:            1",
        "Node ID:          1",
        "Ring ID:          1.5",
        "Quorate:          No",
        "",
        "Votequorum information",
        "----------------------",
        "Expected votes:   3",
        "Highest expected: 3",
        "Total votes:      1",
        "Quorum:           2 Activity blocked",
        "Flags:            ",
        "",
        "Membership information",
        "----------------------",
        "    Nodeid      Votes Name",
        "         1          1 127.0.0.1 (local)",
    ])


def test_a_quorate_node_shows_its_flags_and_members_by_name() -> None:
    status = api.status_from_reply(REPLY)
    lines = tools.render_quorum(status, "now") + tools.render_members(status, False)
    assert "Quorum:           2  " in lines and "Flags:            Quorate " in lines
    assert lines[-2:] == ["         1          1 127.0.0.1 (local)",
                          "         3          1 node-3"]
    assert tools.render_members(status, True)[-1] == "         3          1 127.0.0.3"


def test_cfgtool_shows_connected_and_disconnected_members() -> None:
    assert tools.render_link_status(api.status_from_reply(REPLY)) == [
        "Local node ID 1, transport udpu",
        "LINK ID 0 ",  # udpu: Corosync 3.1 prints no knet transport name here
        "\taddr\t= 127.0.0.1",
        "\tstatus:",
        "\t\tnodeid:          1:\tlocalhost",
        "\t\tnodeid:          2:\tdisconnected",
        "\t\tnodeid:          3:\tconnected",
    ]


def test_cmap_lists_config_and_runtime_keys_by_prefix() -> None:
    status = api.status_from_reply(REPLY)
    keys = [k for k, _, _ in api.cmap_entries(status)]
    assert keys == sorted(keys)
    members = api.cmap_entries(status, "runtime.members.3")
    assert ("runtime.members.3.ip", "str", "r(0) ip(127.0.0.3) ") in members
    assert tools.render_entry(api.cmap_entries(status, "runtime.config.totem.token")[0]) == \
        "runtime.config.totem.token (u32) = 1650"


def test_a_status_reply_of_another_kind_is_a_protocol_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.env, "call", lambda *_, **__: events.DaemonPid(7))
    with pytest.raises(HaError) as failure:
        api.local_status()
    assert failure.value.problems[0].code is Code.IPC_PROTOCOL


def test_a_status_reply_survives_the_codec_and_reads_the_same() -> None:
    frame = events.IPC_CODEC.encode(events.IpcReply(1, True, REPLY))
    decoded = events.IPC_CODEC.decode(frame, events.IpcReply)
    assert decoded.body == REPLY
    assert api.status_from_reply(decoded.body) == api.status_from_reply(REPLY)


def test_tools_without_a_daemon_exit_1_with_corosyncs_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HACLUSTER_STATE_DIR", str(tmp_path))
    assert tools.quorumtool_main(["-s"]) == 1
    assert "Cannot initialize CMAP service" in capsys.readouterr().err
    assert tools.cfgtool_main(["-s"]) == 1
    assert tools.cmapctl_main([]) == 1


def view_of(status: Any) -> events.RingView:
    heard = [status.node_id, *status.heard]
    return events.RingView("1.7", tuple(sorted(heard)), "OPERATIONAL",
                           quorate=len(heard) >= 2, expected_votes=2, highest_expected=2,
                           total_votes=len(heard), quorum=2,
                           flags=("Quorate",) if len(heard) >= 2 else ())


def test_cmapctl_shows_the_daemons_stats_map_under_stats() -> None:
    stats = {"stats.hacluster.drops.relayed": 12, "stats.srp.udp.received": 99}
    status = api.status_from_reply(dataclasses.replace(REPLY, stats=stats))
    assert api.cmap_entries(status, "stats.") == [
        ("stats.hacluster.drops.relayed", "u64", 12), ("stats.srp.udp.received", "u64", 99)]


def test_the_tools_talk_to_a_running_daemon(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HACLUSTER_STATE_DIR", str(tmp_path / "n1"))
    port = free_port("tools")
    codes: dict[str, int] = {}

    def body() -> None:
        for _ in range(200):
            if api.local_status().members == (1, 2):
                break
            threading.Event().wait(0.02)
        codes["quorum"] = tools.quorumtool_main(["-s"])
        codes["list"] = tools.quorumtool_main(["-l"])
        codes["cfg"] = tools.cfgtool_main(["-s"])
        codes["cmap"] = tools.cmapctl_main(["runtime.members"])
        codes["stats"] = tools.cmapctl_main(["stats."])
        codes["shutdown"] = tools.cfgtool_main(["-H"])

    async def scenario() -> None:
        loops: list[DaemonLoop] = []
        tasks = []
        for me in (1, 2):
            (tmp_path / f"n{me}").mkdir()
            tasks.append(asyncio.create_task(serve(
                settings_for(me, port, tmp_path / f"n{me}", 2), lambda s: FakeCore(s.node_id),
                loops.append, view_of)))
        await asyncio.wait_for(asyncio.to_thread(body), 20)
        await asyncio.wait_for(tasks[0], 5)  # -H shut node 1 down
        loops[1].shutdown()
        await asyncio.wait_for(tasks[1], 5)

    asyncio.run(scenario())
    out = capsys.readouterr().out
    assert codes == {"quorum": 0, "list": 0, "cfg": 0, "cmap": 0, "stats": 0, "shutdown": 0}
    assert "Ring ID:          1.7" in out and "Quorate:          Yes" in out
    assert "\t\tnodeid:          2:\tconnected" in out
    assert "runtime.members.2.status (str) = joined" in out
    for reason in ("malformed", "foreign", "forged", "spoofed", "replayed", "stale", "relayed",
                   "overload"):
        assert f"stats.hacluster.drops.{reason} (u64) = 0\n" in out
    assert re.search(r"^stats\.srp\.udp\.received \(u64\) = [1-9]\d*$", out, re.M)


def test_hexadecimal_ids_parsable_columns_and_orders() -> None:
    status = api.status_from_reply(REPLY)
    assert tools.render_quorum(status, "now", True)[5] == "Node ID:          0x00000001"
    assert tools.render_members(status, False, True)[-1] == "0x00000003          1 node-3"
    parsable = tools.render_members(status, False, parsable=True)
    assert parsable[2] == "    Nodeid      Votes    Qdevice Name"
    assert parsable[-1] == "         3          1         NR node-3"
    by_name = tools.render_members(status, False, order="n")
    assert [row.split()[-1] for row in by_name[3:]] == ["(local)", "node-3"]
