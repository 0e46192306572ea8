"""Draw the second issue-12 review sample: 15 text-read legal facts added or changed since a base
revision, and 8 cases, none of them in the first sample (docs/review/sample.py).

A fact counts as added or changed when the triples of the effect and of its evidence nodes at REV
differ from those at BASE (rdflib graphs of the committed data files, so edits in the working tree
do not change the draw). Usage: .venv/bin/python docs/review/sample2.py [--rev REV] [--base BASE]
"""
from __future__ import annotations

import argparse
import random
from collections import defaultdict
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

import sample  # the first review's draw (same folder)
from sample import NSP, ROOT, TEXT_READ, files_at, git

SEED = 20261204
BASE = "87c763e"  # the revision the first review sampled: the session's starting point
FIRST_REV = "87c763ea98e90d06fa4e4333ffbd0c5ef4a700d3"


def law_graphs(rev: str) -> dict[str, Graph]:
    """The law files directly in data/laws at `rev`, parsed, by file stem."""
    return {
        Path(p).stem: Graph().parse(data=git("show", f"{rev}:{p}"), format="turtle", publicID=ROOT.as_uri())
        for p in files_at(rev, "data/laws")
    }


def description(g: Graph, effect: URIRef) -> frozenset:
    """The effect's own triples and those of its evidence nodes."""
    triples = set(g.triples((effect, None, None)))
    for ev in g.objects(effect, NSP.evidence):
        triples |= set(g.triples((ev, None, None)))
    return frozenset(triples)


def changed_text_read_effects(rev: str, base: str) -> dict[str, list[str]]:
    """Effects with conf:text-read evidence at `rev` whose description differs from (or is absent at) `base`."""
    before: dict[URIRef, frozenset] = {}
    for g in law_graphs(base).values():
        for effect in g.subjects(RDF.type, NSP.ProvisionEffect):
            before[effect] = description(g, effect)
    groups: dict[str, list[str]] = defaultdict(list)
    for stem, g in law_graphs(rev).items():
        for effect in g.subjects(RDF.type, NSP.ProvisionEffect):
            if not any((ev, NSP.confidence, TEXT_READ) in g for ev in g.objects(effect, NSP.evidence)):
                continue
            if before.get(effect) != description(g, effect):
                groups[stem].append(str(effect))
    return {k: sorted(v) for k, v in groups.items()}


def draw(rev: str, base: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """15 facts (one from each of 10 random jurisdictions, then 5 from the rest) and 8 cases."""
    first_facts, first_cases = sample.draw(FIRST_REV)
    return draw_from(changed_text_read_effects(rev, base), set(first_facts), set(first_cases), rev, SEED)


def draw_from(effects: dict[str, list[str]], old_facts: set[str], old_cases: set[str], rev: str,
              seed: int, spread: int | None = None) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The draw of a later sample from `effects` (jurisdiction -> effect IRIs), leaving out the facts
    and cases of earlier samples: one fact from each of 10 random jurisdictions, 5 more from the rest,
    8 cases of data/cases at `rev` (when fewer than 8 are left unreviewed, those and cases reviewed
    before); also the population drawn from."""
    groups = {k: [e for e in v if e not in old_facts] for k, v in effects.items()}
    groups = {k: v for k, v in groups.items() if v}
    rng = random.Random(seed)
    # one fact from each of `spread` jurisdictions (default: the first review's ten), at most all of them
    jurisdictions = rng.sample(sorted(groups), min(spread or sample.MIN_JURISDICTIONS, len(groups)))
    facts = [rng.choice(groups[j]) for j in jurisdictions]
    rest = sorted(e for v in groups.values() for e in v if e not in facts)
    facts += rng.sample(rest, sample.N_FACTS - len(facts))
    cases = [Path(p).stem for p in files_at(rev, "data/cases")]
    fresh = [c for c in cases if c not in old_cases]
    if len(fresh) >= sample.N_CASES:
        cases = rng.sample(fresh, sample.N_CASES)
    else:  # every case has been reviewed but a few: those few, then cases reviewed before, checked again
        cases = fresh + rng.sample([c for c in cases if c in old_cases], sample.N_CASES - len(fresh))
    return facts, cases, groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to read the data from")
    parser.add_argument("--base", default=BASE, help="revision the changes are counted from")
    args = parser.parse_args()
    rev, base = (git("rev-parse", r).strip() for r in (args.rev, args.base))
    facts, cases, groups = draw(rev, base)
    print(f"revision {rev}, base {base}, seed {SEED}")
    print(f"population: {sum(map(len, groups.values()))} added/changed text-read effects in {len(groups)} jurisdictions")
    sample.print_sample(facts, cases)


if __name__ == "__main__":
    main()
