"""ocf:pacemaker:ping: pingd = reachable hosts × multiplier, published through attrd.

Until hacluster's attrd_updater is on PATH, the agent's attribute command is a recorder
($HACLUSTER_ATTRD_UPDATER) that logs each call, so the -B/-U/-D calls can be checked.
Hosts: loopback only, and an address with no route in a test namespace.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from agentkit import Site, ocf_tester, recorder, require_ocf_tester, run_agent

from hacluster.demo.files import EAYUNSTACK_CIB, data_file


def ping_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    script, log = recorder(tmp_path)
    return {"HACLUSTER_ATTRD_UPDATER": str(script), "HA_RSCTMP": str(tmp_path / "rsc")}, log


def test_ping_passes_the_real_ocf_tester(tmp_path: Path) -> None:
    require_ocf_tester()
    extra, log = ping_env(tmp_path)
    done = ocf_tester("pacemaker", "ping", {"host_list": "127.0.0.1", "multiplier": "1000",
                                            "dampen": "30s", "timeout": "1s"}, extra)
    assert done.returncode == 0 and "passed all tests" in done.stdout, done.stdout + done.stderr
    assert "-n pingd -B 1000 -d 30s" in log.read_text()


def test_start_monitor_stop_publish_then_delete_the_score(tmp_path: Path) -> None:
    extra, log = ping_env(tmp_path)
    params = {"host_list": "127.0.0.1 127.0.0.2", "multiplier": "1000", "dampen": "30s",
              "name": "pingd"}
    assert run_agent("pacemaker", "ping", "start", params, extra).rc == 0
    assert run_agent("pacemaker", "ping", "monitor", params, extra).rc == 0
    assert run_agent("pacemaker", "ping", "stop", params, extra).rc == 0
    assert run_agent("pacemaker", "ping", "monitor", params, extra).rc == 7
    assert log.read_text().splitlines() == ["-n pingd -B 2000 -d 30s", "-n pingd -U 2000 -d 30s",
                                            "-n pingd -D"]


def test_unreachable_hosts_lower_the_score_but_not_the_resource(
        site: Site, tmp_path: Path) -> None:
    extra, log = ping_env(tmp_path)
    params = {"host_list": f"127.0.0.1 {site.client_ip} 10.213.9.9", "multiplier": "1000",
              "timeout": "1", "attempts": "1"}
    assert run_agent("pacemaker", "ping", "start", params, extra, site.node).rc == 0
    site.in_node("ip", "link", "set", site.nic, "down")  # the 'gateway' is gone
    assert run_agent("pacemaker", "ping", "monitor", params, extra, site.node).rc == 0
    assert log.read_text().splitlines() == ["-n pingd -B 2000 -d 5s", "-n pingd -U 1000 -d 5s"]


def test_failure_score_turns_a_low_score_into_a_monitor_failure(
        site: Site, tmp_path: Path) -> None:
    extra, _ = ping_env(tmp_path)
    params = {"host_list": "10.213.9.9", "timeout": "1", "attempts": "1", "failure_score": "1"}
    outcome = run_agent("pacemaker", "ping", "start", params, extra, site.node)
    assert outcome.rc == 1 and "below failure_score" in outcome.err
    assert run_agent("pacemaker", "ping", "monitor", params, extra, site.node).rc == 7


def test_a_failing_attribute_command_fails_the_start_with_its_code(tmp_path: Path) -> None:
    failing = tmp_path / "attrd-down"
    failing.write_text("#!/bin/sh\necho 'Connection refused' >&2\nexit 102\n")
    failing.chmod(0o755)
    extra = {"HACLUSTER_ATTRD_UPDATER": str(failing), "HA_RSCTMP": str(tmp_path / "rsc")}
    params = {"host_list": "127.0.0.1"}
    assert run_agent("pacemaker", "ping", "start", params, extra).rc == 102
    assert run_agent("pacemaker", "ping", "monitor", params, extra).rc == 7


@pytest.mark.parametrize("missing", ["/nonexistent/attrd_updater"])
def test_a_missing_attribute_command_is_not_installed(tmp_path: Path, missing: str) -> None:
    outcome = run_agent("pacemaker", "ping", "validate-all", {"host_list": "127.0.0.1"},
                        {"HACLUSTER_ATTRD_UPDATER": missing})
    assert outcome.rc == 5 and missing in outcome.err


def test_ping_publishes_pingd_through_hacluster_attrd_updater_into_the_cib(
        tmp_path: Path) -> None:
    """Our own attrd_updater (on a CIB file here; live it talks to the local haclusterd): the
    score lands in node-2's transient attributes and goes again on stop."""
    attrd_updater = Path(sys.executable).parent / "attrd_updater"
    if not attrd_updater.exists():
        pytest.skip(f"hacluster's attrd_updater is not installed next to {sys.executable}")
    cib = tmp_path / "cib.xml"
    shutil.copyfile(data_file(EAYUNSTACK_CIB), cib)
    extra = {"HACLUSTER_ATTRD_UPDATER": str(attrd_updater), "CIB_file": str(cib),
             "OCF_RESKEY_CRM_meta_on_node": "node-2", "HA_RSCTMP": str(tmp_path / "rsc")}
    params = {"host_list": "127.0.0.1", "multiplier": "1000", "dampen": "30s"}
    assert run_agent("pacemaker", "ping", "start", params, extra).rc == 0
    assert 'id="status-2-pingd" name="pingd" value="1000"' in cib.read_text()
    assert run_agent("pacemaker", "ping", "stop", params, extra).rc == 0
    assert 'name="pingd" value=' not in cib.read_text()
