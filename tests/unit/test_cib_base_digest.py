"""The sync's base digest: everything of a copy but the members' own node_state entries,
taken from per-copy digest parts (one canonical pass, no copy of the document)."""

from __future__ import annotations

from hacluster.cib import parse_cib
from hacluster.cib.merge import base_digest, digest_parts
from hacluster.common import NodeId

CIB = ('<cib validate-with="pacemaker-3.7" admin_epoch="0" epoch="3" num_updates="{n}" '
       'cib-last-written="{w}"><configuration><crm_config/><nodes/><resources>{r}'
       '</resources><constraints/></configuration><status>'
       '<node_state id="1" uname="n1" crmd="{c1}"/><node_state id="2" uname="n2" crmd="{c2}"/>'
       '</status></cib>')


def parts(n: int = 0, w: str = "a", r: str = "", c1: str = "online", c2: str = "online"
          ) -> tuple[tuple[str, str], ...]:
    return digest_parts(parse_cib(CIB.format(n=n, w=w, r=r, c1=c1, c2=c2)))


def test_members_own_entries_do_not_count_the_rest_does() -> None:
    members = (NodeId(1),)
    same = base_digest(parts(), members)
    assert base_digest(parts(c1="offline"), members) == same, "a member's own entry"
    assert base_digest(parts(w="b"), members) == same, "cib-last-written is volatile"
    assert base_digest(parts(c2="offline"), members) != same, "another node's entry"
    assert base_digest(parts(n=1), members) != same, "the version"
    assert base_digest(parts(r='<primitive id="d" class="ocf" provider="pacemaker" '
                               'type="Dummy"/>'), members) != same, "the configuration"
    assert base_digest(parts(c2="offline"), (NodeId(1), NodeId(2))) == \
        base_digest(parts(), (NodeId(1), NodeId(2)))
