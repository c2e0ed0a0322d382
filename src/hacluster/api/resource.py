"""Resource configuration commands: create, delete, update, meta, enable/disable, utilization.

Owns what `pcs resource create/delete/update/meta/enable/disable/utilization` change in the
CIB, with pcs 0.11's ids (<rsc>-instance_attributes-<name>, <rsc>-<op>-interval-<interval>)
and checks against the agent's meta-data (unknown or missing parameters are forceable
errors). Groups, clones and operations live in api/resource_layout.py.
Must never print or parse command lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hacluster.api import agents, cibedit
from hacluster.api import env as api_env
from hacluster.api.cibedit import error, warning
from hacluster.api.env import CIBEnvironment
from hacluster.cib import XMLElement
from hacluster.common import Code, Problem, is_true

Pairs = tuple[tuple[str, str], ...]
TRACE_PARAMETERS = ("trace_ra", "trace_file")
STANDARDS = frozenset({"ocf", "lsb", "service", "systemd", "stonith", "nagios", "upstart"})
FENCER_SUPPLIED = ("action", "port", "plug", "nodename")


@dataclass(frozen=True, slots=True)
class CreateSpec:
    """Everything `pcs resource create` was told, already split into its parts."""

    rid: str
    agent: str
    instance: Pairs = ()
    operations: tuple[Pairs, ...] = ()  # each: ("name", NAME) first, then its options
    meta: Pairs = ()
    clone: str = ""  # "", "clone" or "promotable"
    clone_id: str = ""
    clone_meta: Pairs = ()
    group: str = ""
    disabled: bool = False


def resolve_agent(text: str) -> tuple[agents.AgentName | None, agents.AgentMetadata | None,
                                      list[Problem]]:
    name = agents.parse_agent_name(text)
    if name is None or (name.standard and name.standard not in STANDARDS):
        return None, None, [error(
            Code.RSC_AGENT_UNKNOWN, f"Invalid resource agent name '{text}'. Use "
            "standard:provider:type when standard is 'ocf' or standard:type otherwise. List "
            "of standards and providers can be obtained by using commands 'pcs resource "
            "standards' and 'pcs resource providers'.", agent=text, closing="yes")]
    assumed: list[Problem] = []
    if not name.standard:
        providers = sorted(set(api_env.providers_of(name.type)))
        if not providers:
            return None, None, [error(Code.RSC_AGENT_UNKNOWN, f"Unable to find agent "
                                      f"'{text}', try specifying its full name", agent=text)]
        if len(providers) > 1:
            names = [f"'ocf:{p}:{name.type}'" for p in providers]
            return None, None, [error(
                Code.RSC_AGENT_UNKNOWN, f"Multiple agents match '{text}', please specify full "
                f"name: {', '.join(names[:-1])} or {names[-1]}", agent=text, closing="yes")]
        name = agents.AgentName("ocf", providers[0], name.type)
        assumed.append(warning(Code.RSC_AGENT_UNKNOWN, f"Assumed agent name '{name}' "
                               f"(deduced from '{text}')", plain="yes"))
    text_md = api_env.agent_metadata(name.standard, name.provider, name.type)
    metadata = agents.parse_metadata(name, text_md) if text_md else None
    if metadata is None:
        return name, None, [*assumed, missing_agent(name)]
    return name, metadata, assumed


def missing_agent(name: agents.AgentName) -> Problem:
    """pcs quotes what crm_resource said when it asked for the meta-data."""
    return error(Code.RSC_AGENT_UNKNOWN, f"Agent '{name}' is not installed or does not provide "
                 f"valid metadata: crm_resource: Metadata query for {name} failed: No such "
                 "device or address, Error performing operation: No such object",
                 forceable=True, agent=str(name))


def agent_of(primitive: XMLElement) -> tuple[agents.AgentName | None,
                                               agents.AgentMetadata | None]:
    """A configured primitive's agent name and meta-data (None when not installed)."""
    provider = primitive.get("provider", "")
    text = ":".join(p for p in (primitive.get("class", ""), provider, primitive.get("type", ""))
                    if p or provider)
    name = agents.parse_agent_name(text)
    if name is None or not name.standard:
        return None, None
    md_text = api_env.agent_metadata(name.standard, name.provider, name.type)
    return name, agents.parse_metadata(name, md_text) if md_text else None


def clone_problems(name: agents.AgentName, metadata: agents.AgentMetadata | None,
                   clone_meta: Pairs, where: str = "",
                   check_missing: bool = False) -> list[Problem]:
    """Clone options an agent cannot honour: globally-unique or promotable for a non-OCF
    agent (always refused), promotable for an OCF 1.1 agent without promote and demote
    actions (forceable). `where` is " of resource 'x' [in group 'g']"."""
    wanted = {key for key, value in clone_meta
              if key in ("globally-unique", "promotable") and is_true(value)}

    def refused(option: str, forceable: bool) -> Problem:
        return error(Code.RSC_WRONG_KIND, f"Clone option '{option}' is not compatible with "
                     f"'{name}' resource agent{where}", forceable=forceable, option=option)

    if name.standard != "ocf":
        return [refused(o, False) for o in ("globally-unique", "promotable") if o in wanted]
    if metadata is None:
        return [missing_agent(name)] if check_missing else []
    if metadata.version == "1.1" and "promotable" in wanted \
            and not metadata.provides_promotability:
        return [refused("promotable", True)]
    return []


def parameter_problems(metadata: agents.AgentMetadata | None, given: Pairs,
                       check_required: bool) -> list[Problem]:
    if metadata is None:
        return []
    known = metadata.parameter_names
    if metadata.name.standard == "ocf":
        known += TRACE_PARAMETERS  # resource-agents' tracing, which pcs allows on every agent
    allowed = ", ".join(f"'{n}'" for n in sorted(known))
    fencing = metadata.name.standard == "stonith"
    unknown = sorted({name for name, _ in given
                      if name not in known and not (fencing and name.startswith("pcmk_"))})
    # pcs names every unknown option in one error, sorted: "option 'a'" or "options: 'a', 'b'"
    listed = ", ".join(f"'{n}'" for n in unknown)
    what = f"options: {listed}" if len(unknown) > 1 else f"option {listed}"
    problems = [error(Code.RSC_OPTION_UNKNOWN, f"invalid resource {what}, allowed options "
                      f"are: {allowed}", forceable=True, option=",".join(unknown))
                ] if unknown else []
    if check_required:
        names = {name for name, _ in given}
        # The fencer supplies a device's action and target port (pcmk_host_map), so pcs does
        # not ask for them.
        supplied = FENCER_SUPPLIED if fencing else ()
        problems += [error(Code.RSC_OPTION_MISSING, f"required resource option '{p.name}' is "
                           "missing", forceable=True, option=p.name)
                     for p in metadata.parameters
                     if p.required and p.name not in names and p.name not in supplied]
    return problems


def create(env: CIBEnvironment, spec: CreateSpec, force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        if spec.clone and spec.group:  # the command line itself is wrong
            return [error(Code.RSC_WRONG_KIND, "you can specify only one of clone, "
                          "promotable, bundle or --group")]
        name, metadata, found = resolve_agent(spec.agent)
        if spec.clone:  # a clone's agent and clone options come before anything else
            promotable = (("promotable", "true"),) if spec.clone == "promotable" else ()
            found += clone_problems(name, metadata, spec.clone_meta + promotable) \
                if name is not None else []
            if any(p.is_error(force) for p in found):
                return found
        bad_id = id_problems(root, spec.rid)
        if bad_id:  # then pcs checks the new id, and reports it alone
            return bad_id
        found += parameter_problems(metadata, spec.instance, check_required=True)
        found += creation_problems(root, spec)
        if name is None or any(p.code is not Code.RSC_AGENT_UNKNOWN and p.is_error(force)
                               for p in found):
            return found
        if metadata is None and spec.operations:
            found.append(warning(Code.RSC_OP_NOT_FOUND,
                                 f"'{dict(spec.operations[0])['name']}' is not a valid "
                                 "operation name value"))
        add_primitive(root, spec, name, metadata)
        return found

    return cibedit.change(env, edit, force)


def id_problems(root: XMLElement, rid: str) -> list[Problem]:
    bad = cibedit.id_problem(rid)
    if bad is not None:
        return [bad]
    if cibedit.id_exists(root, rid):
        return [error(Code.RSC_ID_EXISTS, f"'{rid}' already exists", id=rid)]
    return []


def creation_problems(root: XMLElement, spec: CreateSpec) -> list[Problem]:
    problems: list[Problem] = []
    bad_group = cibedit.id_problem(spec.group, "group name") if spec.group else None
    if bad_group is not None:
        problems.append(error(bad_group.code, bad_group.message, closing="yes"))
    if spec.clone:
        clone_id = spec.clone_id or f"{spec.rid}-clone"
        if cibedit.id_exists(root, clone_id):
            problems.append(error(Code.RSC_ID_EXISTS, f"'{clone_id}' already exists",
                                  id=clone_id))
    if spec.group:
        group = cibedit.find_resource(root, spec.group)
        if group is not None and group.tag != "group":
            problems.append(error(Code.RSC_WRONG_KIND, f"'{spec.group}' is not a group",
                                  id=spec.group))
        elif group is None and cibedit.id_exists(root, spec.group):
            problems.append(error(Code.RSC_ID_EXISTS, f"'{spec.group}' already exists",
                                  id=spec.group))
    return problems


def add_primitive(root: XMLElement, spec: CreateSpec, name: agents.AgentName | None,
                  metadata: agents.AgentMetadata | None) -> XMLElement:
    assert name is not None
    attrs = {"id": spec.rid, "class": name.standard, "type": name.type}
    if name.provider:
        attrs["provider"] = name.provider
    primitive = root.makeelement("primitive", attrs)
    if spec.instance:
        nvs = cibedit.sub_element(primitive, "instance_attributes",
                                  {"id": f"{spec.rid}-instance_attributes"})
        cibedit.set_nvpairs(root, nvs, sorted(spec.instance))
    if spec.meta:
        cibedit.set_meta(root, primitive, sorted(spec.meta))
    if spec.disabled and not spec.clone:  # a new meta_attributes goes first, as pcs does
        cibedit.set_meta(root, primitive, [("target-role", "Stopped")], first=not spec.meta)
    add_operations(root, primitive, spec.operations, metadata)
    place_primitive(root, primitive, spec)
    return primitive


def add_operations(root: XMLElement, primitive: XMLElement, given: Sequence[Pairs],
                   metadata: agents.AgentMetadata | None) -> None:
    ops = [dict(op) for op in given]
    named = {op["name"] for op in ops}
    if primitive.get("class") == "stonith":
        # pcs gives a fence device only a monitor, whatever its agent advertises.
        ops += [{"name": "monitor", "interval": "60s"}] if "monitor" not in named else []
    elif metadata is not None:
        ops += [op for op in metadata.default_operations() if op["name"] not in named]
    elif "monitor" not in named:  # an agent pcs could not read gets pcs's default monitor
        ops.append({"name": "monitor", "interval": "60s"})
    if not ops:
        return
    ops.sort(key=lambda op: op["name"])
    operations = cibedit.sub_element(primitive, "operations")
    for op in ops:
        append_op(root, operations, str(primitive.get("id")), op)


def op_interval(op: dict[str, str]) -> str:
    return op.get("interval") or ("60s" if op["name"] == "monitor" else "0s")


def append_op(root: XMLElement, operations: XMLElement, rid: str, op: dict[str, str],
              index: int | None = None) -> XMLElement:
    attrs = {"name": op["name"], "interval": op_interval(op)}
    attrs.update({k: v for k, v in op.items() if k not in ("name", "interval", "id")})
    wanted = op.get("id") or f"{rid}-{op['name']}-interval-{attrs['interval']}"
    attrs["id"] = wanted if "id" in op else unique_in(root, operations, wanted)
    return cibedit.sub_element(operations, "op", attrs, index)


def unique_in(root: XMLElement, pending: XMLElement, wanted: str) -> str:
    """unique_id that also sees ids in a subtree not yet attached to `root`."""
    taken = {str(e.get("id")) for e in pending.iter() if e.get("id")}
    candidate = cibedit.unique_id(root, wanted)
    counter = 0
    while candidate in taken:
        counter += 1
        candidate = cibedit.unique_id(root, f"{wanted}-{counter}")
    return candidate


def place_primitive(root: XMLElement, primitive: XMLElement, spec: CreateSpec) -> None:
    resources = cibedit.section(root, "resources")
    if spec.group:
        group = cibedit.find_resource(root, spec.group)
        if group is None:
            group = cibedit.sub_element(resources, "group", {"id": spec.group})
        group.append(primitive)
        return
    if not spec.clone:
        resources.append(primitive)
        return
    clone = cibedit.sub_element(resources, "clone",
                                {"id": spec.clone_id or f"{spec.rid}-clone"})
    clone.append(primitive)
    meta = list(spec.clone_meta)
    if spec.clone == "promotable":
        meta.append(("promotable", "true"))
    if meta:
        cibedit.set_meta(root, clone, meta)
    if spec.disabled:
        cibedit.set_meta(root, clone, [("target-role", "Stopped")], first=not meta)


# ------------------------------------------------------------------ update / meta


def update(env: CIBEnvironment, rid: str, instance: Pairs = (), operations: Sequence[Pairs] = (),
           meta: Pairs = (), force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is None:
            return problems
        if element.tag != "primitive":
            if instance or operations:
                return [error(Code.RSC_WRONG_KIND, f"'{rid}' is not a primitive resource")]
            cibedit.set_meta(root, element, meta)
            return []
        problems += instance_problems(element, instance)
        if instance:
            nvs = cibedit.nvset(element, "instance_attributes", root)
            assert nvs is not None
            cibedit.set_nvpairs(root, nvs, instance)
        if meta:
            cibedit.set_meta(root, element, meta)
        if element.find("operations") is None:  # pcs always leaves an operations element
            cibedit.sub_element(element, "operations")
        for op in operations:
            problems += replace_operation(root, element, dict(op))
        return problems

    return cibedit.change(env, edit, force)


def instance_problems(primitive: XMLElement, given: Pairs) -> list[Problem]:
    """pcs reads the agent's meta-data on every update of a primitive: an agent it cannot
    read is a forceable error even when no instance attribute changes."""
    name, metadata = agent_of(primitive)
    if name is None:
        return []
    if metadata is None:
        return [missing_agent(name)]
    return parameter_problems(metadata, tuple((n, v) for n, v in given if v),
                              check_required=False)


def replace_operation(root: XMLElement, primitive: XMLElement,
                      op: dict[str, str]) -> list[Problem]:
    """pcs resource update ... op NAME ...: the first operation of that name and role gives
    way to this one, in its place; another operation of that name at the same interval is
    an error."""
    operations = primitive.find("operations")
    assert operations is not None
    role = op_role(op.get("role", ""))
    existing = operations.findall("op")
    same = next((o for o in existing
                 if o.get("name") == op["name"] and op_role(o.get("role", "")) == role), None)
    index = None
    if same is not None:
        index = list(operations).index(same)
        operations.remove(same)
    rid = str(primitive.get("id"))
    interval = legacy_seconds(op_interval(op))
    clash = [o for o in operations.findall("op") if o.get("name") == op["name"]
             and legacy_seconds(o.get("interval", "")) == interval]
    if clash:
        listing = "\n".join(op_listing(o) for o in clash)
        return [error(Code.RSC_ID_EXISTS, f"operation {op['name']} with interval {interval}s "
                      f"already specified for {rid}:\n{listing}")]
    new = append_op(root, operations, rid, op, index)
    # pcs writes only what it was given for a replaced operation: id, name, then the rest
    # sorted by name.
    attrs = {str(k): str(v) for k, v in new.attrib.items()}
    new.attrib.clear()
    new.set("id", attrs.pop("id"))
    new.set("name", attrs.pop("name"))
    for key in sorted(attrs):
        new.set(key, attrs[key])
    return []


def op_role(role: str) -> str:
    return {"Master": "Promoted", "Slave": "Unpromoted"}.get(role, role)


def legacy_seconds(text: str) -> str:
    """pcs's reading of an interval for comparing operations: whole seconds with an
    optional s/sec/m/min/h/hr unit, any other text compared as it is."""
    units = (("sec", 1), ("min", 60), ("hr", 3600), ("s", 1), ("m", 60), ("h", 3600))
    if text.isdigit():
        return str(int(text))
    for unit, factor in units:
        number = text[:-len(unit)]
        if text.endswith(unit) and number.isdigit():
            return str(int(number) * factor)
    return text


def op_listing(op: XMLElement) -> str:
    """pcs's one-line form of an operation: name, its other attributes sorted, its id."""
    words = [str(op.get("name"))]
    words += [f"{k!s}={v!s}" for k, v in sorted(op.attrib.items()) if k not in ("id", "name")]
    words += [f"{nv.get('name')}={nv.get('value')}" for nv in op.iter("nvpair")]
    return " ".join([*words, f"({op.get('id')})"])


def meta(env: CIBEnvironment, rid: str, pairs: Pairs, force: bool = False) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is not None:
            cibedit.set_meta(root, element, pairs)
        return problems

    return cibedit.change(env, edit, force)


def utilization(env: CIBEnvironment, rid: str, pairs: Pairs) -> list[Problem]:
    def edit(root: XMLElement) -> list[Problem]:
        element, problems = cibedit.resource_or_problem(root, rid)
        if element is not None:
            nvs = cibedit.nvset(element, "utilization", root)
            assert nvs is not None
            cibedit.set_nvpairs(root, nvs, pairs)
        return problems

    return cibedit.change(env, edit)


def set_target_role(env: CIBEnvironment, rids: Sequence[str], enabled: bool) -> list[Problem]:
    """pcs resource enable/disable: target-role removed / set to Stopped."""
    def edit(root: XMLElement) -> list[Problem]:
        problems: list[Problem] = []
        for rid in rids:
            element, missing = cibedit.resource_or_problem(root, rid)
            problems += missing
            if element is None:
                continue
            if not enabled:  # pcs puts a new meta_attributes first when disabling
                cibedit.set_meta(root, element, [("target-role", "Stopped")], first=True)
                continue
            for target in enable_targets(element):
                nvs = cibedit.nvset(target, "meta_attributes", root, create=False)
                if nvs is not None:
                    cibedit.set_nvpairs(root, nvs, [("target-role", "")])
        return problems

    return cibedit.change(env, edit)


def enable_targets(element: XMLElement) -> list[XMLElement]:
    """Enabling a resource also enables its clone and, for a clone, its child."""
    targets = [element]
    parent = element.getparent()
    if parent is not None and parent.tag in ("clone", "master"):
        targets.append(parent)
    if element.tag in ("clone", "master"):
        targets += [c for c in element if c.tag in cibedit.RESOURCE_TAGS]
    return targets
