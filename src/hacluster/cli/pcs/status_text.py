"""`pcs status [resources | nodes | cluster] [--full] [--output-format=json]`.

Owns pcs 0.11's status text: "Cluster name:", the WARNINGS block, crm_mon's text, and
`status nodes` ("Pacemaker Nodes:" by state). With -f, pcs wants --corosync_conf for the
whole status (the cluster name comes from it) but not for `status resources|nodes`.
Must never decide anything about the cluster: hacluster.api owns the views.
"""

from __future__ import annotations

import dataclasses
import json
import time

from hacluster.api import cluster as api_cluster
from hacluster.api import status as api_status
from hacluster.api import status_notes
from hacluster.cli import render
from hacluster.cli.pcs import lifecycle
from hacluster.cli.pcs.common import Options
from hacluster.cli.pcs.resource import resource_status
from hacluster.common import Code, HaError


def as_json(value: object) -> object:
    """Frozen status dataclasses as dicts (with their kind), for --output-format=json."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"kind": type(value).__name__, **fields}
    return str(value)


def corosync_text(options: Options) -> str | None:
    path = options.values.get("--corosync_conf")
    if path is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise HaError.single(Code.FILE_NOT_FOUND,
                             f"Unable to read {path}: {error.strerror}") from None


def live_name(options: Options, conf_text: str | None) -> str:
    """The running node's cluster name (its corosync.conf's) when no file is in play."""
    if options.file or conf_text is not None:
        return ""
    try:
        return api_cluster.local_status().cluster_name
    except HaError:
        return ""


def status(words: list[str], options: Options) -> int:
    what = words[0] if words else ""
    if what == "cluster":
        return lifecycle.cluster_status(words[1:], options)
    if what in ("resources", "resource") and options.values.get("--output-format") != "json":
        return resource_status(words[1:], options)
    if what in ("nodes", "node") and options.values.get("--output-format") != "json":
        return nodes_status(options)
    if options.file and "--corosync_conf" not in options.values and not what:
        raise HaError.single(Code.TOOL_NOT_WITH_FILE, "When '-f' is specified, "
                             "'--corosync_conf' must be specified as well")
    now_s = int(time.time())
    env = options.env()
    view = api_status.status_of(env, now_s)
    if options.values.get("--output-format") == "json":
        chosen = {"resources": view.resources, "resource": view.resources,
                  "nodes": view.nodes, "node": view.nodes}.get(what, view)
        print(json.dumps(chosen, default=as_json, indent=2))
        return 0
    root = env.read().root
    text = corosync_text(options)
    print(f"Cluster name: {status_notes.cluster_name(root, text, live_name(options, text))}")
    notes = status_notes.warnings(root)
    if notes:
        print("\nWARNINGS:\n" + "\n".join(notes) + "\n")
    print("\n".join(render.render_crm_mon(view, now_s, inactive=True,
                                          fail_counts=options.has("--full"))))
    return 0


def nodes_status(options: Options) -> int:
    """pcs 0.11 `status nodes`: cluster nodes, then remote nodes, by state."""
    view = api_status.status_of(options.env(), int(time.time()))
    online = [n.name for n in view.nodes if n.online and not n.standby and not n.maintenance]
    standby = [n.name for n in view.nodes if n.online and n.standby and not n.active_resources]
    busy = [n.name for n in view.nodes if n.online and n.standby and n.active_resources]
    maintenance = [n.name for n in view.nodes if n.online and n.maintenance]
    offline = [n.name for n in view.nodes if not n.online]
    for title, groups in (("Pacemaker Nodes:", (online, standby, busy, maintenance, offline)),
                          ("Pacemaker Remote Nodes:", ([], [], [], [], []))):
        print(title)
        for label, names in zip(("Online:", "Standby:", "Standby with resource(s) running:",
                                 "Maintenance:", "Offline:"), groups, strict=True):
            print(" ".join([f" {label}", *names]))
    return 0
