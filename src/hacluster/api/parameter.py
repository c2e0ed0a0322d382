"""Resource parameters one at a time, and resource history cleanup: crm_resource's verbs.

Owns --get-parameter / --set-parameter / --delete-parameter (instance attributes, or meta
attributes with --meta, or utilization), --query-xml, and --cleanup / --refresh, which
forget a resource's operation history (its lrm_resource entries and fail counts, in the
CIB and, on a live cluster, in attrd too) so the scheduler probes it again. Spec: crm_resource(8). Must never print or parse command lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.api import attrd, cibedit
from hacluster.api.cibedit import error
from hacluster.api.env import CIBEnvironment, CibFile
from hacluster.cib import XMLElement, serialize
from hacluster.common import INFINITY, Code, HaError, Problem

SET_TAGS = ("instance_attributes", "meta_attributes", "utilization")


@dataclass(frozen=True, slots=True)
class ParameterChange:
    rid: str  # the resource changed: a clone child's meta attributes go to the clone
    nvpair_id: str
    set_id: str
    name: str
    value: str
    created: bool = False
    redirected_from: str = ""  # the resource named, when its clone was changed instead


def owner_of(element: XMLElement, set_tag: str, force: bool) -> XMLElement:
    """crm_resource sets a clone child's meta attributes and utilization on the clone
    (unless forced), since the clone's own values would override the child's."""
    parent = element.getparent()
    if (force or set_tag == "instance_attributes" or parent is None
            or parent.tag not in ("clone", "master")):
        return element
    return parent


def meta_clash(element: XMLElement, name: str) -> tuple[str, str] | None:
    """crm_resource will not set a parameter its top-level resource has as a meta
    attribute (unless forced): (that resource's id, the nvpair's id), or None."""
    top = element
    for ancestor in element.iterancestors():
        if ancestor.tag in cibedit.RESOURCE_TAGS:
            top = ancestor
    for pair in top.iterfind("meta_attributes/nvpair"):
        if pair.get("name") == name:
            return str(top.get("id")), str(pair.get("id"))
    return None


def _resource(root: XMLElement, rid: str) -> XMLElement:
    element = cibedit.find_resource(root, rid)
    if element is None:
        raise HaError([error(Code.RSC_NOT_FOUND, f"Resource '{rid}' not found", id=rid)])
    return element


def get(env: CIBEnvironment, rid: str, name: str, set_tag: str = "instance_attributes"
        ) -> str | None:
    assert set_tag in SET_TAGS
    element: XMLElement | None = _resource(env.read().root, rid)
    while element is not None and element.tag != "resources":
        for nvs in element.findall(set_tag):
            for pair in nvs.findall("nvpair"):
                if pair.get("name") == name:
                    return str(pair.get("value", ""))
        # Meta attributes are inherited from the group or clone around the resource.
        element = element.getparent() if set_tag == "meta_attributes" else None
    return None


def set_value(env: CIBEnvironment, rid: str, name: str, value: str,
              set_tag: str = "instance_attributes", force: bool = False) -> ParameterChange:
    assert set_tag in SET_TAGS
    done: list[ParameterChange] = []

    def edit(root: XMLElement) -> list[Problem]:
        found = _resource(root, rid)
        clash = meta_clash(found, name) if set_tag == "instance_attributes" and not force \
            else None
        if clash is not None:
            top, pair_id = clash
            return [error(Code.RSC_ID_EXISTS, f"WARNING: There is already a meta attribute "
                          f"for '{top}' called '{name}' (id={pair_id})\n         Delete "
                          f"'{pair_id}' first or use the force option to override",
                          id=pair_id, multiple="yes")]
        element = owner_of(found, set_tag, force)
        nvs = cibedit.nvset(element, set_tag, root)
        assert nvs is not None
        created = not any(p.get("name") == name for p in nvs.findall("nvpair"))
        cibedit.set_nvpairs(root, nvs, [(name, value)])
        pair = [p for p in nvs.findall("nvpair") if p.get("name") == name][0]
        owner = str(element.get("id"))
        done.append(ParameterChange(owner, str(pair.get("id")), str(nvs.get("id")), name, value,
                                    created, rid if owner != rid else ""))
        return []

    cibedit.change(env, edit)
    return done[0]


def delete(env: CIBEnvironment, rid: str, name: str,
           set_tag: str = "instance_attributes", force: bool = False) -> list[ParameterChange]:
    assert set_tag in SET_TAGS
    done: list[ParameterChange] = []

    def edit(root: XMLElement) -> list[Problem]:
        element = owner_of(_resource(root, rid), set_tag, force)
        owner = str(element.get("id"))
        for nvs in element.findall(set_tag):
            for pair in nvs.findall("nvpair"):
                if pair.get("name") == name:
                    done.append(ParameterChange(owner, str(pair.get("id")), str(nvs.get("id")),
                                                name, str(pair.get("value", "")), False,
                                                rid if owner != rid else ""))
                    nvs.remove(pair)
        return []

    cibedit.change(env, edit)
    return done


def query_xml(env: CIBEnvironment, rid: str) -> tuple[str, str]:
    """(the resource's XML, its tag)."""
    element = _resource(env.read().root, rid)
    return serialize(element).decode("utf-8"), str(element.tag)


def cleanup(env: CIBEnvironment, rid: str | None, node: str | None,
            failed_only: bool) -> list[tuple[str, str]]:
    """Forget history (every op, or only failed ones) of `rid` (or of every resource) on
    `node` (or everywhere); returns the (resource, node) pairs cleaned."""
    cleaned: list[tuple[str, str]] = []
    forgotten: list[tuple[str, str]] = []  # (node, attribute) of the fail counts removed

    def edit(root: XMLElement) -> list[Problem]:
        cleaned.clear()
        forgotten.clear()
        ids = _history_ids(root, rid)
        problems = _node_problems(root, node)
        if problems:
            return problems
        for state in cibedit.find_all(root, "/cib/status/node_state"):
            uname = str(state.get("uname", ""))
            if node and uname != node:
                continue
            for lrm in cibedit.find_all(state, "lrm/lrm_resources/lrm_resource"):
                base = str(lrm.get("id", "")).split(":")[0]
                if base in ids and (not failed_only or _has_failure(lrm)):
                    cibedit.remove_element(lrm)
                    cleaned.append((str(lrm.get("id")), uname))
            forgotten.extend((uname, name) for name in _forget_failures(state, ids))
        return []

    cibedit.change(env, edit)
    if not isinstance(env, CibFile):
        # attrd holds the values it wrote: unless it forgets them too, its next full write
        # (a new writer after a node loss) puts the fail counts back into the CIB
        for uname, name in forgotten:
            attrd.update(env, name, None, uname)
    return cleaned


def _history_ids(root: XMLElement, rid: str | None) -> set[str]:
    if rid is None:
        return {str(e.get("id")) for e in cibedit.find_all(root, "/cib/configuration/resources//primitive")}
    element = _resource(root, rid)
    return {str(e.get("id")) for e in element.iter() if e.tag == "primitive"}


def _node_problems(root: XMLElement, node: str | None) -> list[Problem]:
    if not node or node in cibedit.node_names(root) or cibedit.find_all(root,
            "/cib/status/node_state[@uname=$n]", n=node):
        return []
    return [error(Code.NODE_NOT_FOUND, f"Node '{node}' not found", node=node)]


def _has_failure(lrm: XMLElement) -> bool:
    """Any failed op: an rc other than 0/7/8, or a `_last_failure_0` entry (a monitor that
    returned 7 where 0 was expected has rc 7 but is recorded as the last failure)."""
    return any(op.get("rc-code", "0") not in ("0", "7", "8") or
               str(op.get("id", "")).endswith("_last_failure_0")
               for op in lrm.findall("lrm_rsc_op"))


def _forget_failures(state: XMLElement, ids: set[str]) -> list[str]:
    """Remove the fail-count-/last-failure- attributes of `ids`; their names."""
    removed: list[str] = []
    for pair in cibedit.find_all(state, "transient_attributes/instance_attributes/nvpair"):
        name = str(pair.get("name", ""))
        for prefix in ("fail-count-", "last-failure-"):
            if name.startswith(prefix) and name[len(prefix):].split("#")[0].split(":")[0] in ids:
                cibedit.remove_element(pair)
                removed.append(name)
    return removed


def fail_count(env: CIBEnvironment, rid: str, node: str, operation: str = "") -> int:
    """The sum of a resource's fail-count-<rsc>#<op>_<interval> attributes (and the legacy
    fail-count-<rsc>) on a node, capped at INFINITY; 0 for a resource the CIB does not
    name (Pacemaker's crm_failcount only reads the attributes)."""
    root = env.read().root
    if _node_problems(root, node):
        raise HaError(_node_problems(root, node))
    total = 0
    for pair in cibedit.find_all(root, "/cib/status/node_state[@uname=$n]/transient_attributes"
                                 "/instance_attributes/nvpair", n=node):
        base, _, op = str(pair.get("name", "")).partition("#")
        value = str(pair.get("value", "0"))
        if base != f"fail-count-{rid}" or (operation and not op.startswith(operation)):
            continue
        if value == "INFINITY":
            return INFINITY
        total = min(total + (int(value) if value.isdigit() else 0), INFINITY)
    return total
