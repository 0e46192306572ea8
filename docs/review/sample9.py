"""Draw the ninth issue-12 review sample: 15 text-read legal facts (provision effects and jurisdiction
positions) from the whole graph, and 8 cases, none of them in the earlier samples (docs/review/sample.py
to sample8.py).

The population is sample5's to sample8's: every `nsp:ProvisionEffect` or `nsp:JurisdictionPosition` of a
law file with at least one `conf:text-read` evidence node at REV, changed or not. The eight earlier draws are
recomputed with their own scripts at their own revisions. One fact from each of min(15, #jurisdictions)
random jurisdictions, the rest from the remaining facts. Reads the committed data files, so edits in the
working tree do not change the draw. Usage: .venv/bin/python docs/review/sample9.py [--rev REV]
"""
from __future__ import annotations

import argparse

import sample  # first review's draw and the printing (same folder)
import sample2  # the shared draw_from
import sample5  # the whole-graph population
import sample8  # eighth review's draw and its earlier samples
from sample import git

SEED = 20261211
EIGHTH_REV = "316de8fdc40f23d333bfcbc6a8b2e691d2f7eb82"  # the revision the eighth review sampled


def earlier_samples() -> tuple[set[str], set[str]]:
    """The facts and cases of the first eight samples, recomputed with their scripts."""
    facts, cases = sample8.earlier_samples()
    facts8, cases8, _ = sample8.draw(EIGHTH_REV)
    return facts | set(facts8), cases | set(cases8)


def draw(rev: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """15 facts over as many jurisdictions as possible, 8 cases; also the population drawn from."""
    old_facts, old_cases = earlier_samples()
    return sample2.draw_from(sample5.text_read_facts(rev), old_facts, old_cases, rev, SEED, spread=sample.N_FACTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to read the data from")
    rev = git("rev-parse", parser.parse_args().rev).strip()
    old_facts, old_cases = earlier_samples()
    facts, cases, groups = draw(rev)
    print(f"revision {rev}, seed {SEED}")
    print(f"earlier samples: {len(old_facts)} facts, {len(old_cases)} cases")
    print(f"population: {sum(map(len, groups.values()))} text-read effects and positions"
          f" in {len(groups)} jurisdictions (earlier samples removed)")
    sample.print_sample(facts, cases)


if __name__ == "__main__":
    main()
