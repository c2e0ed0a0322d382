"""pcs cluster setup writes a corosync.conf our config layer accepts (nodelist dialect,
two_node for two nodes); pcs cluster authkey corosync writes a 256-byte key, mode 0400."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from hacluster.api import cluster_setup
from hacluster.cli import pcs
from hacluster.common import Code, HaError
from hacluster.config import parse_config


def test_setup_writes_a_nodelist_config(tmp_path: Path) -> None:
    path = tmp_path / "corosync.conf"
    status = pcs.main(["cluster", "setup", "eayun", "node-1", "addr=127.0.0.1", "node-2",
                       "addr=127.0.0.2", "transport", "udpu", "totem", "token=3000",
                       "--corosync_conf", str(path)])
    assert status == 0
    config = parse_config(path.read_text())
    assert [n.name for n in config.nodes] == ["node-1", "node-2"]
    assert "two_node: 1" in path.read_text()
    assert "token: 3000" in path.read_text()


def test_setup_reports_every_problem() -> None:
    with pytest.raises(HaError) as caught:
        cluster_setup.setup_text("c", [("a", ""), ("a", "")], transport="carrier-pigeon")
    codes = [p.code for p in caught.value.problems]
    assert codes == [Code.CONFIG_BAD_VALUE, Code.CONFIG_DUPLICATE_ADDRESS]


def test_authkey_writes_a_private_key(tmp_path: Path) -> None:
    conf = tmp_path / "corosync.conf"
    assert pcs.main(["cluster", "authkey", "corosync", "--corosync_conf", str(conf)]) == 0
    key = tmp_path / "authkey"
    assert key.stat().st_size == 256
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
