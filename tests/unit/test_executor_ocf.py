"""The OCF contract: environment, rc meanings, fence stdin, exit reasons, meta-data."""

from __future__ import annotations

import pytest

from hacluster.events import OpRequest
from hacluster.executor import MetadataError, ocf, parse_metadata

METADATA = """<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="Toy" version="1.1">
<version>1.1</version>
<shortdesc lang="en">A toy</shortdesc>
<parameters>
 <parameter name="ip" required="1" unique="1"><shortdesc>IP</shortdesc>
  <content type="string"/></parameter>
 <parameter name="delay"><content type="integer" default="5"/></parameter>
</parameters>
<actions>
 <action name="start" timeout="20s"/>
 <action name="monitor" timeout="10" interval="2min" depth="0"/>
 <action name="meta-data" timeout="500ms"/>
</actions>
</resource-agent>
"""


def test_the_environment_carries_params_meta_in_ms_and_this_nodes_rsctmp() -> None:
    request = OpRequest("web:1", "ocf", "heartbeat", "IPaddr2", "monitor", 10_000, 20_000,
                        params=(("ip", "127.0.0.200"),),
                        meta=(("clone-max", "2"), ("notify", "true")))
    env = dict(ocf.ocf_environment(request, "node2", "/state/node2/rsctmp"))
    assert env["OCF_RESOURCE_INSTANCE"] == "web:1"
    assert (env["OCF_RESOURCE_TYPE"], env["OCF_RESOURCE_PROVIDER"]) == ("IPaddr2", "heartbeat")
    assert env["OCF_RESKEY_ip"] == "127.0.0.200"
    assert env["OCF_RESKEY_CRM_meta_interval"] == "10000"
    assert env["OCF_RESKEY_CRM_meta_timeout"] == "20000"
    assert env["OCF_RESKEY_CRM_meta_clone_max"] == "2"
    assert env["OCF_RESKEY_CRM_meta_on_node"] == "node2"
    assert env["HA_RSCTMP"] == "/state/node2/rsctmp"
    assert "OCF_ROOT" not in env, "only the runner knows the root the agent lives under"


def test_rc_meanings_follow_pacemaker_and_unknown_codes_say_so() -> None:
    assert ocf.rc_meaning(7) == "not running"
    assert ocf.rc_meaning(5) == "not installed"
    assert ocf.rc_meaning(42) == "unknown exit code 42"
    assert ocf.is_known_rc(190) and not ocf.is_known_rc(10)


def test_fence_parameters_go_on_stdin_without_pacemakers_own() -> None:
    text = ocf.stonith_stdin("reboot", (("ipaddr", "127.0.0.1"), ("pcmk_host_list", "a b"),
                                        ("action", "off")), (("port", "node2"),))
    assert text == "action=reboot\nipaddr=127.0.0.1\nport=node2\n"


def test_the_last_exit_reason_line_wins() -> None:
    output = "x\nocf-exit-reason:first\nERROR: ocf-exit-reason:Cannot bind 1.2.3.4\n"
    assert ocf.exit_reason(output) == "Cannot bind 1.2.3.4"
    assert ocf.exit_reason("plain output") == ""


def test_lsb_and_fence_exit_codes_map_onto_ocf() -> None:
    assert [ocf.lsb_rc_to_ocf("monitor", rc) for rc in (0, 1, 3, 4)] == [0, 7, 7, 1]
    assert ocf.lsb_rc_to_ocf("start", 3) == 1
    assert ocf.stonith_rc_to_ocf("status", 2) == 7 and ocf.stonith_rc_to_ocf("off", 2) == 1


def test_meta_data_gives_parameters_and_action_timeouts() -> None:
    meta = parse_metadata(METADATA)
    assert (meta.name, meta.version, meta.shortdesc) == ("Toy", "1.1", "A toy")
    ip, delay = meta.parameters
    assert (ip.name, ip.required, ip.unique, ip.shortdesc) == ("ip", True, True, "IP")
    assert (delay.content_type, delay.default, delay.required) == ("integer", "5", False)
    assert [(a.name, a.timeout_ms, a.interval_ms) for a in meta.actions] == [
        ("start", 20_000, None), ("monitor", 10_000, 120_000), ("meta-data", 500, None)]
    assert meta.has_action("monitor") and not meta.has_action("promote")


@pytest.mark.parametrize("garbage", ["", "not xml", "<html/>", "\x00\xff<resource-agent"])
def test_garbage_meta_data_is_a_metadata_error(garbage: str) -> None:
    with pytest.raises(MetadataError):
        parse_metadata(garbage)
