"""Seeded random read-only operator commands: what crm_mon, crm_resource, pcs and crmsh show.

Owns the listing and query families of the random command scripts (tests/differential/
cmdgen.py draws the changing ones): `crm_mon -1` with -r/-f/-A/-n and --output-as=xml,
crm_resource --why/--constraints/--list-operations/--query-xml/--locate/--list, pcs's
status and config listings, and crmsh's `crm status` / `crm configure show`. Every command
here has stdout compared. Pure: the same seed and CIB always give the same command.
"""

from __future__ import annotations

from tests.differential.cmdgen import Command, Drawer

CRM_MON_OPTIONS = ("-r", "-f", "-A", "-n", "-o", "-t")


def crm_mon(d: Drawer) -> Command:
    extra = d.rng.sample(CRM_MON_OPTIONS, d.rng.randint(0, 3))
    if d.chance(0.25):
        extra = ["--output-as=xml"]
    return Command("crm_mon", ("-1", *sorted(extra)), reads=True)


def crm_resource_reads(d: Drawer) -> Command:
    kind = d.pick(("why", "why", "constraints", "list-operations", "query-xml", "locate",
                   "list", "list-raw"))
    rsc = ["-r", d.resource()] if d.chance(0.9) else []
    if kind == "why":
        node = ["-N", d.node()] if d.chance(0.4) else []
        return Command("crm_resource", ("--why", *rsc, *node), reads=True)
    if kind == "list-operations":
        return Command("crm_resource", ("--list-operations", *rsc), reads=True)
    if kind in ("list", "list-raw"):
        return Command("crm_resource", (f"--{kind}",), reads=True)
    return Command("crm_resource", (f"--{kind}", *rsc), reads=True)


def pcs_reads(d: Drawer) -> Command:
    words = d.pick(("status", "status --full", "status resources", "status nodes",
                    "resource config", "resource config ID", "resource status",
                    "constraint config", "constraint config --full", "constraint ref ID",
                    "property config", "stonith status", "cluster status"))
    return Command("pcs", tuple(words.replace("ID", d.resource()).split()), reads=True)


def crmsh_reads(d: Drawer) -> Command:
    words = d.pick(("status", "configure show", "configure show", "configure show ID"))
    return Command("crm", tuple(words.replace("ID", d.resource()).split()), reads=True)
