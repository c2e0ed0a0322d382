"""The graph-only and late stages on small CIBs: unfencing, clone notifications, history
deletes, and the names executed actions carry (Pacemaker Explained: unfencing, clone
notifications, resource history)."""

from __future__ import annotations

import cibkit

from hacluster.api.simulate import simulate


def cib(resources: str, status: dict[str, str], props: str = "", attrs: str = "") -> str:
    states = "".join(cibkit.node_state(n, lrm=status.get(n, ""), inner=attrs if n == "n2" else "")
                     for n in ("n1", "n2"))
    return cibkit.cib_text(("n1", "n2"), resources, "", states, props=props, stonith=None,
                           root='have-quorum="1" execution-date="1000"')


def op(rid: str, task: str, rc: int, call: int, agent: str = 'class="ocf" '
       'provider="pacemaker" type="Dummy"') -> str:
    key = f"{call}:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    return (f'<lrm_resource id="{rid}" {agent}><lrm_rsc_op id="{rid}_last_0" '
            f'operation_key="{rid}_{task}_0" operation="{task}" transition-key="{key}" '
            f'transition-magic="0:{rc};{key}" call-id="{call}" rc-code="{rc}" op-status="0" '
            f'interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource>')


def dummy(rid: str, meta: str = "") -> str:
    return f'<primitive id="{rid}" class="ocf" provider="pacemaker" type="Dummy">{meta}</primitive>'


def lines(xml: str) -> tuple[list[str], list[str]]:
    t = simulate(xml, now_s=0).transition
    return ([" ".join(x.split()) for x in t.summary_lines()],
            [" ".join(x.split()) for x in t.execution_lines()])


def test_a_node_not_yet_unfenced_is_unfenced_before_a_resource_starts_there() -> None:
    fence = ('<primitive id="f" class="stonith" type="fence_xvm"><meta_attributes id="fm">'
             '<nvpair id="fp" name="provides" value="unfencing"/></meta_attributes></primitive>')
    done = '<transient_attributes id="t"><instance_attributes id="ti"><nvpair id="tu" ' \
           'name="#node-unfenced" value="1"/></instance_attributes></transient_attributes>'
    stonith = 'class="stonith" type="fence_xvm"'
    status = {"n1": op("f", "start", 0, 1, stonith) + op("a", "start", 0, 2),
              "n2": op("f", "monitor", 7, 1, stonith) + op("a", "monitor", 7, 2)}
    sticky = ('<meta_attributes id="am"><nvpair id="as" name="resource-stickiness" '
              'value="100"/></meta_attributes>')
    summary, executed = lines(cib(fence + dummy("a", sticky), status,
                                  '<nvpair id="s" name="stonith-enabled" value="true"/>', done))
    assert "* Fence (on) n1 'required by f start'" in summary
    assert "* Restart f ( n1 ) due to required stonith" in summary
    assert "* Restart a ( n1 ) due to required stonith" in summary
    assert "* Fencing n1 (on)" in executed
    assert executed.index("* Resource action: a stop on n1") \
        < executed.index("* Fencing n1 (on)") < executed.index("* Resource action: a start on n1")
    assert not any("n2" in line and "Fence" in line for line in summary)  # already unfenced


def test_notify_clones_notify_instances_active_before_and_after() -> None:
    clone = ('<clone id="cl">' + dummy("a") + '<meta_attributes id="clm"><nvpair id="cln" '
             'name="notify" value="true"/></meta_attributes></clone>')
    status = {"n1": op("a", "start", 0, 1), "n2": op("a", "monitor", 7, 1)}
    _, executed = lines(cib(clone, status, '<nvpair id="s" name="stonith-enabled" value="false"/>'))
    notes = [x for x in executed if x.endswith(("notify on n1", "notify on n2"))]
    # pre-start to the instance on n1; post-start to both
    assert notes.count("* Resource action: a notify on n1") == 2
    assert notes.count("* Resource action: a notify on n2") == 1


def test_history_of_an_unconfigured_stopped_resource_is_deleted() -> None:
    status = {"n1": op("gone", "stop", 0, 3)}
    summary, executed = lines(cib(dummy("a"), status,
                                  '<nvpair id="s" name="stonith-enabled" value="false"/>'))
    assert "* Resource action: gone delete on n1" in executed
    assert not any("gone" in line for line in summary)


def test_an_anonymous_instance_acts_under_its_plain_history_id() -> None:
    clone = '<clone id="cl">' + dummy("a") + "</clone>"
    status = {"n1": op("a", "monitor", 7, 1), "n2": op("a", "monitor", 7, 1)}
    _, executed = lines(cib(clone, status, '<nvpair id="s" name="stonith-enabled" value="false"/>'))
    assert "* Resource action: a start on n1" in executed
    assert "* Resource action: a start on n2" in executed
