"""The CIB kit of the unit tests: one way to write the document a scheduler test starts from.

A test names only what its case is about (resources, constraints, operation history, node
attributes, properties); the kit writes the rest the same way every time: have-quorum="1",
one <node> per name, stonith-enabled (false unless asked), every node a member with its
controller online unless the test says otherwise. `cib_text` gives the XML text (for
api.simulate), `cib` the parsed root (for scheduler.schedule). Only tests import it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree


def node_state(name: str, *, lrm: str | None = None, online: bool = True, down: bool = False,
               inner: str = "", node_id: str | None = None) -> str:
    """The <node_state> of `name`: a member with its controller online, or (online=False) out
    of the membership with its controller offline, its join and expected states also "down"
    when `down`. `inner`: elements before its <lrm> (transient_attributes); `lrm`: the
    content of its <lrm_resources> (None: no <lrm> element at all)."""
    join = "down" if down else "member"
    state = (f'<node_state id="{node_id or name}" uname="{name}" '
             f'in_ccm="{"true" if online else "false"}" '
             f'crmd="{"online" if online else "offline"}" join="{join}" expected="{join}"')
    if lrm is None and not inner:
        return state + "/>"
    history = "" if lrm is None else (f'<lrm id="{node_id or name}"><lrm_resources>{lrm}'
                                      "</lrm_resources></lrm>")
    return f"{state}>{inner}{history}</node_state>"


def node_states(names: Iterable[str], lrm: Mapping[str, str] | None = None,
                offline: Iterable[str] = (), down: bool = False) -> str:
    """node_state of every name: with an <lrm> (from `lrm`, empty when a node has none) when
    `lrm` is given; the names in `offline` out of the membership."""
    gone = frozenset(offline)
    return "".join(node_state(n, lrm=None if lrm is None else lrm.get(n, ""),
                              online=n not in gone, down=down and n in gone) for n in names)


def cib_text(nodes: Iterable[str], resources: str = "", constraints: str = "",
             states: str | None = None, *, props: str = "", stonith: bool | None = False,
             node_xml: str | None = None, root: str = 'have-quorum="1"', set_id: str = "c") -> str:
    """A whole CIB. `states`: the status section (None: every node online, no history);
    `props`: more nvpairs of the cluster_property_set; `stonith`: the stonith-enabled value
    (None: not set); `node_xml`: the nodes section (None: one <node> per name); `set_id`: the
    id of the cluster_property_set."""
    names = tuple(nodes)
    if states is None:
        states = node_states(names)
    if node_xml is None:
        node_xml = "".join(f'<node id="{n}" uname="{n}"/>' for n in names)
    if stonith is not None:
        props = f'<nvpair id="se" name="stonith-enabled" value="{str(stonith).lower()}"/>{props}'
    return (f'<cib {root}><configuration><crm_config><cluster_property_set id="{set_id}">{props}'
            f"</cluster_property_set></crm_config><nodes>{node_xml}</nodes>"
            f"<resources>{resources}</resources><constraints>{constraints}</constraints>"
            f"</configuration><status>{states}</status></cib>")


def cib(nodes: Iterable[str], resources: str = "", constraints: str = "",
        states: str | None = None, **options: object) -> etree._Element:
    """cib_text parsed, as schedule() takes it."""
    return etree.fromstring(cib_text(nodes, resources, constraints, states,
                                     **options))  # type: ignore[arg-type]


STATEFUL_DIGEST = "f2317cad3d54cec5d7d7aa7d0bf35cf8"


def stateful_op(task: str, call: int, rc: int = 0, interval: int = 0, target: int = 0,
                rsc: str = "s") -> str:
    """One recorded operation of `rsc` (an ocf:pacemaker:Stateful) as the controller writes
    it: `target` is the rc the transition expected (8 for a Promoted-role monitor)."""
    return (f'<lrm_rsc_op id="{rsc}_{task}_{call}" operation_key="{rsc}_{task}_{interval}" '
            f'operation="{task}" interval="{interval}" op-status="0" rc-code="{rc}" '
            f'call-id="{call}" transition-key="1:1:{target}:x" '
            f'transition-magic="0:{rc};1:1:{target}:x" '
            f'op-digest="{STATEFUL_DIGEST}"/>')


def stateful_history(ops: str, rsc: str = "s") -> str:
    """The lrm_resource of `rsc` (ocf:pacemaker:Stateful) holding `ops`."""
    return (f'<lrm_resource id="{rsc}" class="ocf" provider="pacemaker" type="Stateful">'
            f"{ops}</lrm_resource>")
