"""Draw the fourth issue-12 review sample: 15 text-read legal facts (provision effects and jurisdiction
positions) added or changed since the third review's revision, and 8 cases, none of them in the
earlier samples (docs/review/sample.py, sample2.py, sample3.py).

A fact is an `nsp:ProvisionEffect` or `nsp:JurisdictionPosition` of a law file with at least one
`conf:text-read` evidence node; it counts as added or changed when its own triples and those of its
evidence nodes at REV differ from (or are absent at) BASE. The three earlier draws are recomputed with
their own scripts at their own revisions. Facts are spread over as many jurisdictions as possible: one
from each of min(15, #jurisdictions) random jurisdictions, the rest from the remaining facts. Reads
the committed data files, so edits in the working tree do not change the draw.
Usage: .venv/bin/python docs/review/sample4.py [--rev REV] [--base BASE]
"""
from __future__ import annotations

import argparse
from collections import defaultdict

from rdflib import URIRef
from rdflib.namespace import RDF

import sample  # first review's draw (same folder)
import sample2  # second review's draw and the change test
import sample3  # third review's draw
from sample import NSP, TEXT_READ, git

SEED = 20261206
BASE = "6cb03f1af0595a3a5326eaa51846c296c4b2e410"  # the revision the third review sampled
FACT_TYPES = (NSP.ProvisionEffect, NSP.JurisdictionPosition)


def earlier_samples() -> tuple[set[str], set[str]]:
    """The facts and cases of the first three samples, recomputed with their scripts."""
    facts, cases = sample3.earlier_samples()
    facts3, cases3, _ = sample3.draw(BASE)
    return facts | set(facts3), cases | set(cases3)


def changed_text_read_facts(rev: str, base: str) -> dict[str, list[str]]:
    """Effects and positions with conf:text-read evidence at `rev` whose description differs from `base`."""
    before: dict[URIRef, frozenset] = {}
    for g in sample2.law_graphs(base).values():
        for kind in FACT_TYPES:
            for fact in g.subjects(RDF.type, kind):
                before[fact] = sample2.description(g, fact)
    groups: dict[str, list[str]] = defaultdict(list)
    for stem, g in sample2.law_graphs(rev).items():
        for kind in FACT_TYPES:
            for fact in g.subjects(RDF.type, kind):
                if not any((ev, NSP.confidence, TEXT_READ) in g for ev in g.objects(fact, NSP.evidence)):
                    continue
                if before.get(fact) != sample2.description(g, fact):
                    groups[stem].append(str(fact))
    return {k: sorted(v) for k, v in groups.items()}


def draw(rev: str, base: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """15 facts over as many jurisdictions as possible, 8 cases; also the population drawn from."""
    old_facts, old_cases = earlier_samples()
    return sample2.draw_from(changed_text_read_facts(rev, base), set(old_facts), set(old_cases), rev, SEED,
                             spread=sample.N_FACTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to read the data from")
    parser.add_argument("--base", default=BASE, help="revision the changes are counted from")
    args = parser.parse_args()
    rev, base = (git("rev-parse", r).strip() for r in (args.rev, args.base))
    facts, cases, groups = draw(rev, base)
    print(f"revision {rev}, base {base}, seed {SEED}")
    print(f"population: {sum(map(len, groups.values()))} added/changed text-read effects and positions"
          f" in {len(groups)} jurisdictions (earlier samples removed):")
    for k, v in sorted(groups.items()):
        print(f"  {k}: {len(v)}")
    sample.print_sample(facts, cases)


if __name__ == "__main__":
    main()
