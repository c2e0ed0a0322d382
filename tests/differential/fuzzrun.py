"""Random command scripts (tests/differential/cmdgen.py) through the real tools and ours.

Owns running one seeded script: each command goes to the real tool (`pcs -f`, or
CIB_file= for the crm_* tools) on one copy of a CIB and to ours, in this process, on
another; after each command it compares the configuration sections (lifetime ends
blanked), the exit statuses, the first line of stderr and, for listings and queries,
stdout (timestamps and file names normalised). A command whose CIBs differ is counted
once, then our copy is reset to theirs so the next command is measured on its own.
Must only write inside the directory it is given.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import json
import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from tests.differential import cmdgen

SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SERVER = Path(__file__).resolve().parent / "pcs_server.py"
REPO = Path(__file__).resolve().parents[2]
EAYUN = REPO / "src" / "hacluster" / "demo" / "data" / "eayunstack-cib.xml"
CRM_TOOLS = ("crm_resource", "crm_attribute", "cibadmin", "crm_node", "crm_verify",
             "crm_standby", "crm_failcount", "crm_mon", "crm")


@dataclass(frozen=True)
class Outcome:
    """What one command did on each side, and which parts agree."""

    command: cmdgen.Command
    real: tuple[int, str, str]
    ours: tuple[int, str, str]
    same_cib: bool
    cib_diff: str = ""  # how the configuration sections differ, theirs then ours

    @property
    def same_rc(self) -> bool:
        return self.real[0] == self.ours[0]

    @property
    def same_err(self) -> bool:
        return first_line(self.real[2]) == first_line(self.ours[2])

    @property
    def same_out(self) -> bool:
        return not self.command.reads or normal(self.real[1]) == normal(self.ours[1])

    @property
    def agrees(self) -> bool:
        return self.same_cib and self.same_rc and self.same_err and self.same_out

    def differences(self) -> list[str]:
        return [name for name, same in (("cib", self.same_cib), ("rc", self.same_rc),
                                        ("stderr", self.same_err), ("stdout", self.same_out))
                if not same]


_STAMPS = (
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:Z|[+-]\d\d:?\d\d)?"), "<time>"),
    (re.compile(r"(?m)^.*(Last updated|Last change):.*$"), "<stamp line>"),
    (re.compile(r"\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}"), "<time>"),
    (re.compile(r"/tmp/\S+"), "<path>"),
    (re.compile(r"/usr/sbin/"), ""),
    (re.compile(r'end="[^"]*"'), 'end="*"'),
    (re.compile(r'(cib-last-written|update-origin|update-client|update-user|have-quorum|'
                r'crm_feature_set|dc-uuid|epoch|num_updates|admin_epoch|execution-date)="[^"]*"'),
     r'\1="*"'),
)


def normal(text: str) -> str:
    for pattern, repl in _STAMPS:
        text = pattern.sub(repl, text)
    return text.rstrip()


def first_line(text: str) -> str:
    return normal(next((line for line in text.splitlines() if line.strip()), ""))


def pretty_configuration(path: Path) -> list[str]:
    root = etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()
    found = root.find("configuration")
    text = etree.tostring(found, pretty_print=True).decode() if found is not None else ""
    return normal(text).splitlines()


def configuration(path: Path) -> str:
    root = etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()
    found = root.find("configuration")
    text = etree.tostring(found, method="c14n").decode() if found is not None else ""
    return normal(text)


class RealTools:
    """The installed tools: pcs through a fork server (see pcs_server.py), the rest as
    plain subprocesses, always from the system paths, never our venv's entry points."""

    def __init__(self) -> None:
        self._pcs: subprocess.Popen[str] | None = None

    @staticmethod
    def missing() -> str | None:
        for tool in ("pcs", *CRM_TOOLS):
            if shutil.which(tool, path=SYSTEM_PATH) is None:
                return f"the real {tool} is not installed"
        return None

    def _server(self) -> subprocess.Popen[str]:
        if self._pcs is None:
            self._pcs = subprocess.Popen(["/usr/bin/python3", "-Es", str(SERVER)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, cwd="/")
            assert self._pcs.stdout is not None
            json.loads(self._pcs.stdout.readline())
        return self._pcs

    def run(self, tool: str, argv: Sequence[str], cib: Path) -> tuple[int, str, str]:
        env = {"CIB_file": str(cib), "PATH": SYSTEM_PATH, "LC_ALL": "C", "HOME": "/root"}
        if tool == "pcs":
            server = self._server()
            assert server.stdin is not None and server.stdout is not None
            server.stdin.write(json.dumps({"argv": ["-f", str(cib), *argv], "env": env})
                               + "\n")
            server.stdin.flush()
            reply = json.loads(server.stdout.readline())
            return reply["rc"], reply["out"], reply["err"]
        path = shutil.which(tool, path=SYSTEM_PATH)
        assert path is not None
        done = subprocess.run([path, *argv], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        return done.returncode, done.stdout, done.stderr

    def close(self) -> None:
        if self._pcs is not None:
            assert self._pcs.stdin is not None
            self._pcs.stdin.close()
            self._pcs.wait(timeout=30)
            self._pcs = None


def our_main(tool: str) -> Callable[[list[str]], int]:
    from hacluster.cli import (
        cibadmin,
        crm,
        crm_attribute,
        crm_mon,
        crm_node,
        crm_resource,
        crm_standby,
        crm_verify,
        pcs,
    )

    return {"pcs": pcs.main, "crm_resource": crm_resource.main,
            "crm_attribute": crm_attribute.main, "cibadmin": cibadmin.main,
            "crm_node": crm_node.main, "crm_verify": crm_verify.main,
            "crm_standby": crm_standby.standby_main,
            "crm_failcount": crm_standby.failcount_main, "crm_mon": crm_mon.main,
            "crm": crm.main}[tool]


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_ours(tool: str, argv: Sequence[str], cib: Path, state: Path) -> tuple[int, str, str]:
    words = ["-f", str(cib), *argv] if tool == "pcs" else list(argv)
    out, err = io.StringIO(), io.StringIO()
    with environment({"CIB_file": str(cib), "HACLUSTER_STATE_DIR": str(state)}), \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = our_main(tool)(words)
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None
                                                                   else 1)
    return int(status), out.getvalue(), err.getvalue()


def base_cib(kind: str) -> bytes:
    """"empty": `cibadmin --empty` with three nodes; "eayun": the same CIB holding the
    demo's EayunStack configuration (the demo file lacks the version attributes that pcs
    needs to apply its diff)."""
    path = shutil.which("cibadmin", path=SYSTEM_PATH)
    assert path is not None
    text = subprocess.run([path, "--empty"], capture_output=True, text=True,
                          check=True).stdout
    nodes = "".join(f'<node id="{i}" uname="{n}"/>' for i, n in enumerate(cmdgen.NODES, 1))
    text = text.replace("<nodes/>", f"<nodes>{nodes}</nodes>")
    if kind != "eayun":
        return text.encode()
    root = etree.fromstring(text.encode())
    demo = etree.parse(str(EAYUN), etree.XMLParser(remove_comments=True)).getroot()
    for section in ("configuration", "status"):
        old, new = root.find(section), demo.find(section)
        if old is not None and new is not None:
            root.replace(old, new)
    return etree.tostring(root)


def run_script(real: RealTools, seed: int, length: int, workdir: Path,
               kinds: str = "pcs,crm", base: str = "") -> list[Outcome]:
    """One seeded script of `length` commands; base "" picks the base CIB from the seed."""
    rng = random.Random(seed)
    base = base or ("eayun" if seed % 4 == 3 else "empty")
    theirs_dir, ours_dir = workdir / "theirs", workdir / "ours"
    for folder in (theirs_dir, ours_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    theirs, ours = theirs_dir / "cib.xml", ours_dir / "cib.xml"
    theirs.write_bytes(base_cib(base))
    ours.write_bytes(theirs.read_bytes())
    outcomes = []
    for _ in range(length):
        command = cmdgen.draw(rng, theirs.read_bytes(), kinds)
        got_real = real.run(command.tool, command.argv, theirs)
        got_ours = run_ours(command.tool, command.argv, ours, ours_dir)
        same = configuration(theirs) == configuration(ours)
        diff = "" if same else "\n".join(difflib.unified_diff(
            pretty_configuration(theirs), pretty_configuration(ours), "theirs", "ours",
            n=1, lineterm=""))
        outcomes.append(Outcome(command, got_real, got_ours, same, diff))
        if not same:
            ours.write_bytes(theirs.read_bytes())
    return outcomes
