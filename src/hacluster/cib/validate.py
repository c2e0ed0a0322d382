"""Our structural and semantic checks of a CIB: every problem at once, never raising.

Owns: the schema names we accept (pacemaker-1.2 … pacemaker-3.x), the newest
crm_feature_set we write (3.16.1, Pacemaker 2.1.5's own), missing and duplicate ids,
constraints naming unknown resources, bad scores, unknown resource classes, ops without a
name or interval. The RelaxNG schemas themselves are checked by the tests with the installed
Pacemaker's files; this module never reads files. Spec: Pacemaker Explained, "Resources",
"Constraints", "Rules".
"""

from __future__ import annotations

import re
from types import MappingProxyType

from hacluster.cib.document import NEWEST_FEATURE_SET, CIBDocument, XMLElement, iter_elements
from hacluster.common import Code, Problem, Severity, parse_score

_SCHEMA = re.compile(r"^pacemaker-(\d+)\.(\d+)$")
OLDEST_SCHEMA = (1, 2)
NEWEST_SCHEMA = (3, 9)

RESOURCE_CLASSES = frozenset(
    {"ocf", "lsb", "heartbeat", "stonith", "upstart", "service", "systemd", "nagios"})
RESOURCE_TAGS = frozenset({"primitive", "group", "clone", "master", "bundle", "template"})
# Elements whose "id" attribute refers to another element instead of naming itself.
ID_REFERENCE_TAGS = frozenset({"resource_ref", "obj_ref", "role"})
ID_REQUIRED_TAGS = frozenset({
    "primitive", "group", "clone", "master", "bundle", "template", "op", "nvpair",
    "instance_attributes", "meta_attributes", "utilization", "cluster_property_set",
    "rsc_location", "rsc_colocation", "rsc_order", "rsc_ticket", "resource_set", "rule",
    "expression", "date_expression", "node", "tag", "fencing-level", "alert", "recipient",
})
# Constraint attributes that name a resource (or a tag of resources).
REFERENCE_ATTRS = MappingProxyType({
    "rsc_location": ("rsc",),
    "rsc_colocation": ("rsc", "with-rsc"),
    "rsc_order": ("first", "then"),
    "rsc_ticket": ("rsc",),
})
SCORE_TAGS = frozenset({"rsc_location", "rsc_colocation", "rsc_order", "rule", "resource_set"})


def _problem(code: Code, message: str, **details: str) -> Problem:
    return Problem(code, message, MappingProxyType(dict(details)), Severity.ERROR)


def schema_version(name: str) -> tuple[int, int] | None:
    """(major, minor) of a "pacemaker-X.Y" schema name, None for anything else."""
    match = _SCHEMA.match(name)
    return (int(match.group(1)), int(match.group(2))) if match else None


def feature_set_tuple(text: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        return None


def check_header(doc: CIBDocument) -> list[Problem]:
    problems: list[Problem] = []
    version = schema_version(doc.validate_with)
    if version is None or not OLDEST_SCHEMA <= version <= NEWEST_SCHEMA:
        problems.append(_problem(
            Code.CIB_UNKNOWN_SCHEMA,
            f"validate-with '{doc.validate_with}' is not a schema we support "
            f"(pacemaker-1.2 to pacemaker-3.9)", schema=doc.validate_with))
    feature_set = doc.crm_feature_set
    if feature_set:
        parsed = feature_set_tuple(feature_set)
        newest = feature_set_tuple(NEWEST_FEATURE_SET)
        if parsed is None or (newest is not None and parsed > newest):
            problems.append(_problem(
                Code.CIB_FEATURE_SET_TOO_NEW,
                f"crm_feature_set {feature_set} is newer than {NEWEST_FEATURE_SET}",
                crm_feature_set=feature_set))
    return problems


def check_ids(configuration: XMLElement) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for element in iter_elements(configuration):
        tag = str(element.tag)
        if tag in ID_REFERENCE_TAGS:
            continue
        element_id = element.get("id")
        if element_id is None:
            if tag in ID_REQUIRED_TAGS and element.get("id-ref") is None:
                problems.append(_problem(Code.CIB_ID_MISSING, f"<{tag}> has no id", tag=tag))
            continue
        if element_id in seen:
            problems.append(_problem(
                Code.CIB_ID_DUPLICATE,
                f"id '{element_id}' is used by both <{seen[element_id]}> and <{tag}>",
                id=element_id))
        else:
            seen[element_id] = tag
    return problems


def resource_names(configuration: XMLElement) -> frozenset[str]:
    """Ids a constraint may name: resources, templates and tags."""
    return frozenset(
        e.get("id", "") for e in iter_elements(configuration)
        if e.tag in RESOURCE_TAGS or (e.tag == "tag" and e.getparent() is not None
                                      and e.getparent().tag == "tags")  # type: ignore[union-attr]
    )


def check_references(configuration: XMLElement) -> list[Problem]:
    problems: list[Problem] = []
    known = resource_names(configuration)
    for element in iter_elements(configuration):
        tag = str(element.tag)
        names = [(a, element.get(a)) for a in REFERENCE_ATTRS.get(tag, ())]
        if tag == "resource_ref":
            names.append(("id", element.get("id")))
        for attr, name in names:
            if name is not None and name not in known:
                owner = element.get("id") or tag
                problems.append(_problem(
                    Code.CIB_UNKNOWN_REFERENCE,
                    f"{tag} '{owner}' {attr}='{name}' names no resource",
                    constraint=owner, resource=name))
    return problems


def check_scores(configuration: XMLElement) -> list[Problem]:
    problems: list[Problem] = []
    for element in iter_elements(configuration):
        if element.tag not in SCORE_TAGS:
            continue
        score = element.get("score")
        if score is not None and parse_score(score) is None:
            problems.append(_problem(
                Code.CIB_BAD_SCORE, f"<{element.tag} id='{element.get('id', '')}'> has an "
                f"invalid score '{score}'", id=element.get("id", ""), score=score))
    return problems


def check_primitive(element: XMLElement) -> list[Problem]:
    problems: list[Problem] = []
    rsc_id = element.get("id", "")
    if element.get("template") is not None:
        return problems
    rsc_class = element.get("class")
    if rsc_class not in RESOURCE_CLASSES:
        problems.append(_problem(
            Code.CIB_UNKNOWN_RESOURCE_CLASS,
            f"resource '{rsc_id}' has unknown class '{rsc_class or ''}'",
            id=rsc_id, **{"class": rsc_class or ""}))
    if rsc_class == "ocf" and not element.get("provider"):
        problems.append(_problem(Code.CIB_MISSING_ATTRIBUTE,
                                 f"ocf resource '{rsc_id}' has no provider", id=rsc_id))
    if not element.get("type"):
        problems.append(_problem(Code.CIB_MISSING_ATTRIBUTE,
                                 f"resource '{rsc_id}' has no type", id=rsc_id))
    return problems


def check_resources(configuration: XMLElement) -> list[Problem]:
    problems: list[Problem] = []
    for element in iter_elements(configuration):
        if element.tag in ("primitive", "template"):
            problems += check_primitive(element)
        elif element.tag == "op":
            for attr in ("name", "interval"):
                if element.get(attr) is None:
                    problems.append(_problem(
                        Code.CIB_MISSING_ATTRIBUTE,
                        f"op '{element.get('id', '')}' has no {attr}",
                        id=element.get("id", ""), attribute=attr))
        elif element.tag == "nvpair" and element.get("name") is None:
            problems.append(_problem(Code.CIB_MISSING_ATTRIBUTE,
                                     f"nvpair '{element.get('id', '')}' has no name",
                                     id=element.get("id", "")))
    return problems


def validate(doc: CIBDocument) -> list[Problem]:
    """Every structural and semantic problem of `doc`, in document order per check."""
    configuration = doc.configuration
    return (check_header(doc) + check_ids(configuration) + check_references(configuration)
            + check_scores(configuration) + check_resources(configuration))
