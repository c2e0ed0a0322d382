"""v2 patchsets on random trees: apply(old, create_diff(old, new)) always gives new."""

from __future__ import annotations

import random

import pytest

from hacluster.cib import (
    CIBDocument,
    apply_diff,
    create_diff,
    diff_changes,
    element_path,
    parse_cib,
)

TAGS = ("primitive", "nvpair", "op", "rule", "expression")


def random_children(rng: random.Random, depth: int, ids: list[int]) -> str:
    parts = []
    for _ in range(rng.randint(0, 4 if depth < 3 else 0)):
        tag = rng.choice(TAGS)
        with_id = rng.random() < 0.7
        ids[0] += 1
        ident = f' id="e{ids[0]}"' if with_id else ""
        attrs = "".join(f' a{k}="{rng.randint(0, 3)}"' for k in range(rng.randint(0, 2)))
        parts.append(f"<{tag}{ident}{attrs}>{random_children(rng, depth + 1, ids)}</{tag}>")
    return "".join(parts)


def random_cib(rng: random.Random, epoch: int) -> CIBDocument:
    ids = [0]
    body = random_children(rng, 0, ids)
    return parse_cib(f'<cib validate-with="pacemaker-3.7" admin_epoch="0" epoch="{epoch}" '
                     f'num_updates="0"><configuration><crm_config/><nodes/><resources>{body}'
                     "</resources><constraints/></configuration><status/></cib>")


def mutate(rng: random.Random, doc: CIBDocument) -> CIBDocument:
    root = doc.copy_root()
    root.set("epoch", str(int(root.get("epoch", "0")) + 1))
    elements = root.xpath("/cib/configuration/resources//*")
    for _ in range(rng.randint(1, 6)):
        if not elements:
            break
        victim = rng.choice(elements)
        roll = rng.random()
        parent = victim.getparent()
        if roll < 0.3 and parent is not None:
            parent.remove(victim)
            elements = root.xpath("/cib/configuration/resources//*")
        elif roll < 0.5 and parent is not None:
            parent.remove(victim)
            parent.insert(rng.randint(0, len(parent)), victim)
        elif roll < 0.8:
            victim.set(f"a{rng.randint(0, 3)}", str(rng.randint(0, 9)))
            if victim.attrib and rng.random() < 0.3:
                del victim.attrib[sorted(victim.attrib.keys())[0]]
        else:
            new = victim.makeelement(rng.choice(TAGS), {"x": str(rng.randint(0, 9))})
            victim.insert(rng.randint(0, len(victim)), new)
            elements = root.xpath("/cib/configuration/resources//*")
    return CIBDocument(root)


@pytest.mark.parametrize("seed", range(400))
def test_a_patchset_turns_the_old_cib_into_the_new_one(seed: int) -> None:
    rng = random.Random(seed)
    old = random_cib(rng, 1)
    new = mutate(rng, old)
    diff = create_diff(old, new)
    result = apply_diff(old, diff)
    assert result.digest() == new.digest(), f"seed {seed}"
    # Element order must match too (attribute order need not: XML does not define one).
    assert [e.tag for e in result.root.iter()] == [e.tag for e in new.root.iter()], seed


def test_identical_documents_give_an_empty_patchset() -> None:
    doc = random_cib(random.Random(1), 1)
    assert diff_changes(create_diff(doc, doc)) == []


def test_paths_use_ids_and_positions_only_where_needed() -> None:
    doc = parse_cib(b'<cib validate-with="pacemaker-3.7"><configuration><crm_config/><nodes/>'
                    b'<resources><primitive id="p"><op/><op/></primitive></resources>'
                    b"<constraints/></configuration></cib>")
    ops = doc.xpath("//op")
    assert element_path(ops[1]) == "/cib/configuration/resources/primitive[@id='p']/op[2]"
    assert element_path(doc.xpath("//resources")[0]) == "/cib/configuration/resources"
