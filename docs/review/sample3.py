"""Draw the third issue-12 review sample: 15 text-read legal facts in a fixed list of jurisdictions and
8 cases, none of them in the first two samples (docs/review/sample.py, docs/review/sample2.py).

The two earlier draws are recomputed with their own scripts at the revisions they were made at. Only
the listed jurisdictions are drawn from (the others were being edited while this review ran). Reads
the committed data files at REV, so edits in the working tree do not change the draw.
Usage: .venv/bin/python docs/review/sample3.py [--rev REV]
"""
from __future__ import annotations

import argparse

import sample  # first review's draw (same folder)
import sample2  # second review's draw
from sample import git

SEED = 20261205
JURISDICTIONS = (
    "BEL BGR BRA CAN DEU DNK ESP FIN GHA HRV HUN IND IRL ISL KOR LVA MEX MLT NOR POL SVK SWE UGA USA"
).split()
SECOND_REV = "e45199c70b4d7f4ba5e9ebe5705a9522299fbbb3"  # the revision the second review sampled


def earlier_samples() -> tuple[set[str], set[str]]:
    """The facts and cases of the first two samples, recomputed with their scripts."""
    facts1, cases1 = sample.draw(sample2.FIRST_REV)
    facts2, cases2, _ = sample2.draw(SECOND_REV, sample2.FIRST_REV)
    return set(facts1) | set(facts2), set(cases1) | set(cases2)


def draw(rev: str) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """15 facts (one from each of 10 random jurisdictions, then 5 from the rest) and 8 cases."""
    old_facts, old_cases = earlier_samples()
    allowed = {j.lower() for j in JURISDICTIONS}
    effects = {k: v for k, v in sample.text_read_effects(rev).items() if k in allowed}
    return sample2.draw_from(effects, old_facts, old_cases, rev, SEED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to read the data from")
    rev = git("rev-parse", parser.parse_args().rev).strip()
    facts, cases, groups = draw(rev)
    print(f"revision {rev}, seed {SEED}")
    print(f"population: {sum(map(len, groups.values()))} text-read effects in {len(groups)} jurisdictions"
          " (listed ones, earlier samples removed)")
    sample.print_sample(facts, cases)


if __name__ == "__main__":
    main()
