"""The demo's first step: the loopback cluster described for an operator."""

from __future__ import annotations

from pathlib import Path

import pytest

from hacluster.drivers import demo


def test_demo_describes_nodes_timings_and_quorum(shared: Path) -> None:
    config, _ = demo.read_cluster(shared / demo.CONFIG_NAME)
    out = "\n".join(
        demo.describe_nodes(config) + demo.describe_timings(config) + demo.describe_quorum(config)
    )
    assert "3 nodes, transport udpu" in out
    for nodeid in ("2130706433", "2130706434", "2130706435"):
        assert nodeid in out
    assert "token 3000 ms, token_retransmit 294 ms" in out
    assert "consensus 3600 ms, join 60 ms" in out
    assert "expected votes 3, quorum 2" in out


def test_demo_fails_cleanly_without_the_shared_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HACLUSTER_SHARED", str(tmp_path))
    assert demo.main([]) == 66
    assert "cannot find" in capsys.readouterr().err
