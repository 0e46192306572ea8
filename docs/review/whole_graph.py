"""The issue-12 review samples drawn from the whole graph (the fifth review on): 15 text-read legal facts
(provision effects and jurisdiction positions) and 8 cases, none of them in an earlier sample.

Review N draws from sample5's population (every `nsp:ProvisionEffect` or `nsp:JurisdictionPosition` of a law
file with at least one `conf:text-read` evidence node at REV, changed or not) with its own seed, after removing
the facts and cases of every earlier review: the first five recomputed with their own scripts
(sample5.earlier_samples and sample5.draw), the later ones with this module at the revisions they sampled.
One fact from each of min(15, #jurisdictions) random jurisdictions, the rest from the remaining facts. Reads the
committed data files, so edits in the working tree do not change a draw. sample6.py to sample15.py call `main`.
"""
from __future__ import annotations

import argparse

import sample  # first review's draw and the printing (same folder)
import sample2  # the shared draw_from
import sample5  # fifth review's draw, its earlier samples and the whole-graph population
from sample import git

# review -> (seed, the revision it sampled); the fifth's seed and draw are sample5's own
REVIEWS = {
    5: (sample5.SEED, "4dc92976c19775f7a108596a932e6e78285e312e"),
    6: (20261208, "65d1735cf84b38e14906a0b6110fec7b318b3183"),
    7: (20261209, "51aa27a1c138f6a24106d708288cd3a369c22dd9"),
    8: (20261210, "316de8fdc40f23d333bfcbc6a8b2e691d2f7eb82"),
    9: (20261211, "788106aaca27945acd19c7ae181111b0c399a571"),
    10: (20261212, "525f0be6a35bef96c78c0f9773946840b2e1c712"),
    11: (20261213, "2f4004d3805f539bc4660544091ebe54e42d6591"),
    12: (20261214, "42d3fe285db2c70682cc448d51fbf252277152f0"),
    13: (20261215, "56b0a25bbc5d94a4f4d81d190a05b6a8d0783317"),
    14: (20261216, "8ba81334b59e5459ab366a40834ba738ac37e28b"),
    15: (20261217, "ae9e59f1693ba3bede1c9ff34b6226e00b037617"),
}
ORDINALS = {5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth", 9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth", 13: "thirteenth", 14: "fourteenth", 15: "fifteenth"}


def earlier_samples(review: int) -> tuple[set[str], set[str]]:
    """The facts and cases of every review before `review`, each draw recomputed at the revision it sampled."""
    facts, cases = sample5.earlier_samples()
    for n in range(5, review):
        drawn_facts, drawn_cases, _ = draw(n, REVIEWS[n][1], (facts, cases))
        facts, cases = facts | set(drawn_facts), cases | set(drawn_cases)
    return facts, cases


def draw(review: int, rev: str, earlier: tuple[set[str], set[str]] | None = None
         ) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Review `review`'s 15 facts over as many jurisdictions as possible and 8 cases at `rev`; also the
    population drawn from. `earlier`: the earlier reviews' facts and cases, when the caller has them."""
    old_facts, old_cases = earlier if earlier is not None else earlier_samples(review)
    return sample2.draw_from(sample5.text_read_facts(rev), old_facts, old_cases, rev, REVIEWS[review][0],
                             spread=sample.N_FACTS)


def main(review: int) -> None:
    parser = argparse.ArgumentParser(description=f"Draw the {ORDINALS[review]} issue-12 review sample.")
    parser.add_argument("--rev", default="HEAD", help="git revision to read the data from")
    rev = git("rev-parse", parser.parse_args().rev).strip()
    old_facts, old_cases = earlier_samples(review)
    facts, cases, groups = draw(review, rev, (old_facts, old_cases))
    print(f"revision {rev}, seed {REVIEWS[review][0]}")
    print(f"earlier samples: {len(old_facts)} facts, {len(old_cases)} cases")
    print(f"population: {sum(map(len, groups.values()))} text-read effects and positions"
          f" in {len(groups)} jurisdictions (earlier samples removed)")
    sample.print_sample(facts, cases)
