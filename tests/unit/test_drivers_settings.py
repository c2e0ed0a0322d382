"""corosync.conf + command line + authkey → DaemonSettings (drivers/nodecore.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.common import Code, HaError
from hacluster.drivers.nodecore import build_node, format_ring_id, load_settings, status_view
from shared_paths import SHARED

SEED = SHARED / "eayunstack"

NODELIST = """totem {
    version: 2
    cluster_name: lab
    transport: udpu
    token: 3000
    crypto_cipher: %s
    crypto_hash: %s
    keyfile: %s
}
nodelist {
    node {
        ring0_addr: 127.0.0.1
        nodeid: 1
        name: node-1
    }
    node {
        ring0_addr: 127.0.0.2
        nodeid: 2
        name: node-2
    }
    node {
        ring0_addr: 127.0.0.3
        nodeid: 3
        name: node-3
    }
}
quorum {
    provider: corosync_votequorum
}
logging {
    to_stderr: no
    to_logfile: yes
    logfile: /tmp/x.log
    debug: on
    timestamp: off
}
"""


def write(tmp_path: Path, cipher: str = "none", crypto_hash: str = "none",
          key: bytes | None = None) -> Path:
    keyfile = tmp_path / "authkey"
    if key is not None:
        keyfile.write_bytes(key)
    path = tmp_path / "corosync.conf"
    path.write_text(NODELIST % (cipher, crypto_hash, keyfile))
    return path


def test_the_seed_loopback_config_gives_each_address_its_node(tmp_path: Path) -> None:
    seed = SEED / "corosync.loopback.conf"
    if not seed.exists():
        pytest.skip(f"shared seed config not found at {seed}")
    settings = load_settings(str(seed), "127.0.0.2", str(tmp_path))
    assert settings.node_id == 0x7F000002 and settings.address == "127.0.0.2"
    assert settings.port == 5405 and settings.token_ms == 3000 and not settings.secauth
    assert dict(settings.peers) == {0x7F000001: "127.0.0.1", 0x7F000003: "127.0.0.3"}
    cmap = {key: value for key, _, value in settings.cmap}
    assert cmap["runtime.config.totem.token_retransmit"] == 294
    assert cmap["runtime.config.totem.consensus"] == 3600
    assert cmap["nodelist.local_node_pos"] == 1


def test_a_nodelist_with_crypto_loads_the_key_names_and_logging(tmp_path: Path) -> None:
    settings = load_settings(str(write(tmp_path, "aes256", "sha256", b"k" * 128)),
                             "127.0.0.3", str(tmp_path))
    assert settings.node_id == 3 and settings.names[1] == "node-1"
    assert settings.secauth and settings.authkey == b"k" * 128
    assert (settings.crypto_cipher, settings.crypto_hash) == ("aes256", "sha256")
    assert settings.token_ms == 3650, "a 3-node nodelist adds one token_coefficient"
    log = settings.logging
    assert (log.to_stderr, log.to_logfile, log.logfile, log.debug, log.timestamp) == (
        False, True, "/tmp/x.log", True, False)


def test_secauth_without_a_key_file_is_a_daemon_authkey_error(tmp_path: Path) -> None:
    with pytest.raises(HaError) as failure:
        load_settings(str(write(tmp_path, "aes256", "sha256")), "127.0.0.1", str(tmp_path))
    assert failure.value.problems[0].code is Code.DAEMON_AUTHKEY


def test_a_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HaError) as failure:
        load_settings(str(write(tmp_path, "aes256", "sha256", b"short")), "127.0.0.1",
                      str(tmp_path))
    assert "too short" in failure.value.problems[0].message


def test_an_address_of_no_node_is_refused(tmp_path: Path) -> None:
    with pytest.raises(HaError) as failure:
        load_settings(str(write(tmp_path)), "127.0.0.9", str(tmp_path))
    assert failure.value.problems[0].code is Code.CONFIG_LOCAL_NODE_NOT_FOUND


def test_a_missing_config_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(HaError) as failure:
        load_settings(str(tmp_path / "nope.conf"), None, str(tmp_path))
    assert failure.value.problems[0].code is Code.FILE_NOT_FOUND


def test_without_an_override_a_local_member_address_is_found(tmp_path: Path) -> None:
    settings = load_settings(str(write(tmp_path)), None, str(tmp_path))
    assert settings.node_id in (1, 2, 3)  # every 127/8 address is local on Linux


def test_the_node_resumes_its_persisted_ring_seq_and_its_view_is_for_the_tools(
        tmp_path: Path) -> None:
    settings = load_settings(str(write(tmp_path)), "127.0.0.1", str(tmp_path))
    (tmp_path / "totem.ringseq").write_text("40\n")
    node = build_node(settings)
    view = status_view(node.status())
    assert view.members == (1,) and view.quorate is False
    assert view.expected_votes == 3 and view.quorum == 2
    assert int(view.ring_id.split(".")[1], 16) >= 40
    assert view.cib_syncing is not None  # the daemon's node holds a CIB
    assert format_ring_id(None) == ""
