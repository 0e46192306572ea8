"""Draw the fifth issue-12 review sample: 15 text-read legal facts (provision effects and jurisdiction
positions) from the whole graph, and 8 cases, none of them in the earlier samples (docs/review/sample.py,
sample2.py, sample3.py, sample4.py).

A fact is an `nsp:ProvisionEffect` or `nsp:JurisdictionPosition` of a law file with at least one
`conf:text-read` evidence node at REV, changed or not (this sample tests the data as it stands). The
four earlier draws are recomputed with their own scripts at their own revisions. Facts are spread over
as many jurisdictions as possible: one from each of min(15, #jurisdictions) random jurisdictions, the
rest from the remaining facts. Reads the committed data files, so edits in the working tree do not
change the draw. Usage: .venv/bin/python docs/review/sample5.py [--rev REV]
"""
from __future__ import annotations

from rdflib.namespace import RDF

import sample  # first review's draw (same folder)
import sample2  # second review's draw, the shared draw_from and law_graphs
import sample4  # fourth review's draw and the fact types
from sample import NSP, TEXT_READ

SEED = 20261207
FOURTH_REV = "45b07c7551f868318fd4de670bc3f655a6e37df9"  # the revision the fourth review sampled


def earlier_samples() -> tuple[set[str], set[str]]:
    """The facts and cases of the first four samples, recomputed with their scripts."""
    facts, cases = sample4.earlier_samples()
    facts4, cases4, _ = sample4.draw(FOURTH_REV, sample4.BASE)
    return facts | set(facts4), cases | set(cases4)


def text_read_facts(rev: str) -> dict[str, list[str]]:
    """Effects and positions with at least one conf:text-read evidence node at `rev`, by law file."""
    groups: dict[str, list[str]] = {}
    for stem, g in sample2.law_graphs(rev).items():
        found = {
            str(fact)
            for kind in sample4.FACT_TYPES
            for fact in g.subjects(RDF.type, kind)
            if any((ev, NSP.confidence, TEXT_READ) in g for ev in g.objects(fact, NSP.evidence))
        }
        if found:
            groups[stem] = sorted(found)
    return groups


def draw(rev: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """15 facts over as many jurisdictions as possible, 8 cases; also the population drawn from."""
    old_facts, old_cases = earlier_samples()
    return sample2.draw_from(text_read_facts(rev), old_facts, old_cases, rev, SEED, spread=sample.N_FACTS)


def main() -> None:
    from whole_graph import main as draw_and_print  # the later reviews' module, which builds on this one

    draw_and_print(5)


if __name__ == "__main__":
    main()
