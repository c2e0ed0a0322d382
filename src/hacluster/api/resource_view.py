"""Resource configuration as plain values, for `pcs resource config` and `crm configure show`.

Owns turning the resources section (or one resource) into frozen `ResourceConfig` trees:
kind, id, XML attributes, nvpair sets, operations (with an op's OCF_CHECK_LEVEL) and
children. Must never format text:
the cli renders pcs's or crmsh's layout from these values.
"""

from __future__ import annotations

from dataclasses import dataclass

from hacluster.api import cibedit
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, HaError

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class NvSet:
    tag: str  # instance_attributes, meta_attributes, utilization
    id: str
    pairs: Pairs


@dataclass(frozen=True, slots=True)
class ResourceConfig:
    tag: str  # primitive, group, clone, master, bundle
    id: str
    attributes: Pairs  # class, provider, type ... (id excluded)
    sets: tuple[NvSet, ...]
    operations: tuple[tuple[str, Pairs], ...]  # (op id, its attributes without id)
    children: tuple[ResourceConfig, ...]


def view(element: XMLElement) -> ResourceConfig:
    sets = tuple(NvSet(str(s.tag), str(s.get("id", "")), tuple(cibedit.nvpairs(s)))
                 for s in element if s.tag in ("instance_attributes", "meta_attributes",
                                               "utilization"))
    ops = tuple((str(o.get("id", "")), _op_pairs(o))
                for o in cibedit.find_all(element, "operations/op"))
    children = tuple(view(c) for c in element if c.tag in cibedit.RESOURCE_TAGS)
    attributes = tuple((str(k), str(v)) for k, v in element.attrib.items() if k != "id")
    return ResourceConfig(str(element.tag), str(element.get("id")), attributes, sets, ops,
                          children)


def _op_pairs(op: XMLElement) -> Pairs:
    """An op's attributes (id excluded), then OCF_CHECK_LEVEL from its instance attributes."""
    pairs = [(str(k), str(v)) for k, v in op.attrib.items() if k != "id"]
    pairs += [(k, v) for nvs in op.findall("instance_attributes")
              for k, v in cibedit.nvpairs(nvs) if k == "OCF_CHECK_LEVEL"]
    return tuple(pairs)


def is_stonith(config: ResourceConfig) -> bool:
    return config.tag == "primitive" and dict(config.attributes).get("class") == "stonith"


def resources_found(env: CIBEnvironment, rids: tuple[str, ...]
                    ) -> tuple[list[ResourceConfig], list[str]]:
    """The resources with these ids (any depth, each once), and the ids not found."""
    root = env.read().root
    found: list[ResourceConfig] = []
    missing: list[str] = []
    for rid in dict.fromkeys(rids):
        element = cibedit.find_resource(root, rid)
        if element is None:
            missing.append(rid)
        else:
            found.append(view(element))
    return found, missing


def resources(env: CIBEnvironment, rids: tuple[str, ...] = ()) -> list[ResourceConfig]:
    root = env.read().root
    if not rids:
        section = cibedit.section(root, "resources")
        return [view(e) for e in section if e.tag in cibedit.RESOURCE_TAGS]
    found = []
    for rid in rids:
        element = cibedit.find_resource(root, rid)
        if element is None:
            raise HaError.single(Code.RSC_NOT_FOUND, f"Unable to find resource '{rid}'", id=rid)
        found.append(view(element))
    return found
