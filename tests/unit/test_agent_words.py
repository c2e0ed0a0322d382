"""The agents' copy of Pacemaker's boolean words is the package's, word for word.

The OCF agents run on a bare /usr/bin/python3 and never import the rest of hacluster, so
hacluster.agents.ocf (and standin_daemon, run as a file) spell the words again: this test is
what keeps the copies from drifting apart (issue 10: one home for each shared concept)."""

from __future__ import annotations

import ast
from pathlib import Path

from hacluster.agents import ocf, openstack, standin_daemon
from hacluster.common import values

AGENTS_DIR = Path(ocf.__file__).resolve().parent


def test_the_agents_true_and_false_words_are_the_packages():
    assert ocf.TRUE_WORDS == values.TRUE_WORDS == standin_daemon.TRUE_WORDS
    assert ocf.FALSE_WORDS == values.FALSE_WORDS
    assert ocf.BOOLEAN_WORDS == values.BOOLEAN_WORDS


def test_agents_read_booleans_as_pacemaker_does():
    for word in ("Yes", " on", "Y", "1", "TRUE"):
        assert ocf.is_true(word) and values.is_true(word)
    for word in ("no", "0", "", "enabled", "2"):
        assert not ocf.is_true(word) and not values.is_true(word)


def test_openstack_validates_booleans_with_the_shared_words():
    assert openstack.BOOLEAN_WORDS is ocf.BOOLEAN_WORDS


def _literal_word_sets(path: Path) -> list[int]:
    """Lines of set/tuple/frozenset literals holding three or more boolean words (a set of them)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            words = {e.value for e in node.elts
                     if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if len(words & values.BOOLEAN_WORDS) >= 3 and words <= values.BOOLEAN_WORDS:
                found.append(node.lineno)
    return found


def test_no_agent_module_spells_its_own_boolean_words():
    homes = {"ocf.py": 2, "standin_daemon.py": 1}  # TRUE and FALSE; TRUE
    for path in sorted(AGENTS_DIR.glob("*.py")):
        lines = _literal_word_sets(path)
        assert len(lines) == homes.get(path.name, 0), f"{path.name}: boolean words at {lines}"
