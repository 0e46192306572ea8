"""Draw the issue-12 review sample: 15 text-read legal facts and 8 cases, reproducibly.

Reads the data files as committed at a git revision (default HEAD), so that edits in the working
tree do not change the draw. Usage: .venv/bin/python docs/review/sample.py [--rev REV]
"""
from __future__ import annotations

import argparse
import random
import subprocess
from collections import defaultdict
from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

SEED = 20261203
N_FACTS, N_CASES, MIN_JURISDICTIONS = 15, 8, 10
NSP = Namespace("https://w3id.org/nso-partnership/ontology#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
TEXT_READ = URIRef("https://w3id.org/nso-partnership/vocab/confidence/text-read")
ROOT = Path(__file__).resolve().parents[2]


def git(*args: str) -> str:
    """Run git in the repository and return its standard output."""
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def files_at(rev: str, folder: str) -> list[str]:
    """The .ttl files directly in `folder` at `rev`, sorted."""
    names = git("ls-tree", "--name-only", rev, folder + "/").split()
    return sorted(n for n in names if n.endswith(".ttl"))


def text_read_effects(rev: str) -> dict[str, list[str]]:
    """Provision effects with at least one conf:text-read evidence node, grouped by law file."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in files_at(rev, "data/laws"):
        g = Graph().parse(data=git("show", f"{rev}:{path}"), format="turtle", publicID=ROOT.as_uri())
        for effect in g.subjects(RDF.type, NSP.ProvisionEffect):
            if any((ev, NSP.confidence, TEXT_READ) in g for ev in g.objects(effect, NSP.evidence)):
                groups[Path(path).stem].append(str(effect))
    return {k: sorted(v) for k, v in groups.items()}


def draw(rev: str) -> tuple[list[str], list[str]]:
    """15 facts (one from each of 10 random jurisdictions, then 5 from the rest) and 8 cases."""
    rng = random.Random(SEED)
    groups = text_read_effects(rev)
    jurisdictions = rng.sample(sorted(groups), MIN_JURISDICTIONS)
    facts = [rng.choice(groups[j]) for j in jurisdictions]
    rest = sorted(e for v in groups.values() for e in v if e not in facts)
    facts += rng.sample(rest, N_FACTS - len(facts))
    cases = rng.sample([Path(p).stem for p in files_at(rev, "data/cases")], N_CASES)
    return facts, cases


def print_sample(facts: list[str], cases: list[str], what: str = "") -> None:
    """The drawn facts (F01...) and cases (C1...), one per line."""
    print(f"{len(facts)} legal facts{' ' + what if what else ''}:")
    for i, f in enumerate(facts, 1):
        print(f"  F{i:02d} {f}")
    print(f"{len(cases)} cases (data/cases/):")
    for i, c in enumerate(cases, 1):
        print(f"  C{i} {c}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rev", default="HEAD", help="git revision to read the data from")
    rev = git("rev-parse", parser.parse_args().rev).strip()
    facts, cases = draw(rev)
    print(f"revision {rev}, seed {SEED}")
    print_sample(facts, cases, "(ProvisionEffect with text-read evidence)")


if __name__ == "__main__":
    main()
