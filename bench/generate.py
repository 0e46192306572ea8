"""Seeded generator of synthetic data in the project's own ontology, valid under shapes/.

Each synthetic jurisdiction gets what the shipped data has, at the same proportions: a country, its
statistical office, a statistics act with articles (some with paragraphs) and an amending act,
provision effects with evidence, source documents, jurisdiction positions, partner organisations,
and partnership cases with participations, data flows (resting on an article or an agreement),
agreements and difficulties. About 1,100 triples per jurisdiction; `generate(target)` adds
jurisdictions until the target is reached, writing N-Triples files of a few hundred thousand
triples at most (one named graph each, like the files of data/).

The output directory is a project root (ontology/, shapes/, queries/ and data/vocab/ copied from
the real project, data/synthetic/*.nt generated), so every `kg` step runs on it with KG_ROOT.

    python -m bench.generate --triples 100000 --out build/bench/100k
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
B = "https://w3id.org/nso-partnership/"
V = B + "vocab/"
NSP = B + "ontology#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
ELI = "http://data.europa.eu/eli/ontology#"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ORG = "http://www.w3.org/ns/org#"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
PAV = "http://purl.org/pav/"
XSD = "http://www.w3.org/2001/XMLSchema#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"

PARTNERSHIP_TYPES = ["policy-makers", "supplier-recipient", "open-innovation", "co-creation", "data-and-service-providers"]
STATUSES = ["ongoing", "completed", "pilot", "stopped", "failed", "unknown"]
ENDED = {"completed", "stopped", "failed"}
OUTCOMES = ["successful", "unsuccessful", "mixed", "unknown"]
PARTNER_ROLES = ["data-supplier", "service-provider", "co-producer", "methodological-partner", "funder", "adviser", "co-creator"]
SECTORS = ["private-company", "academia", "public-body", "civil-society", "it-provider", "media"]
PRIVATE_SOURCES = ["privately-held", "scanner-transaction", "mobile-network", "card-payment", "web-platform", "smart-meter"]
PUBLIC_SOURCES = ["administrative-register", "earth-observation", "official-statistics", "survey"]
DIFFICULTIES = ["legal", "privacy-data-protection", "organisational", "technical-methodological", "data-quality", "public-trust", "cost"]
MODALITIES = ["obligation-to-provide", "right-of-access", "permission", "prohibition", "confidentiality-duty"]
TOPICS = ["private-data-access", "administrative-data-access", "statistical-confidentiality", "microdata-access"]
POSITIONS = {"private-data-access": ["compulsory", "by-decision", "voluntary", "no-provision-found"],
             "administrative-data-access": ["compulsory", "by-decision"],
             "microdata-access": ["permitted", "not-permitted", "no-provision-found"]}
HOLDERS = ["public-bodies", "businesses", "households", "any-person"]
CONDITIONS = ["ministerial-decision", "anonymisation", "free-of-charge", "statistical-purposes-only", "agreement-required"]
AGREEMENTS = ["mou", "contract", "data-sharing-agreement", "licence"]

SCALES = {"smoke": 3_000, "10k": 10_000, "100k": 100_000, "1m": 1_000_000, "5m": 5_000_000}  # smoke: the test of bench/
MAX_TRIPLES_PER_FILE = 250_000


def iri(value: str) -> str:
    return f"<{value}>"


def lit(text: str, lang: str | None = None, dt: str | None = None) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    if lang:
        return f'"{text}"@{lang}'
    if dt:
        return f'"{text}"^^<{XSD}{dt}>'
    return f'"{text}"'


def code(i: int) -> str:
    """The i-th three-letter code (AAA, AAB, ...): 17,576 synthetic jurisdictions at most."""
    letters = []
    for _ in range(3):
        i, r = divmod(i, 26)
        letters.append(chr(65 + r))
    return "".join(reversed(letters))


@dataclass
class Writer:
    lines: list[str] = field(default_factory=list)

    def t(self, s: str, p: str, o: str) -> None:
        self.lines.append(f"{s} {p} {o} .")

    def a(self, s: str, cls: str) -> None:
        self.t(s, RDF_TYPE, iri(cls))


@dataclass
class Jurisdiction:
    """What a case needs to refer to in its jurisdiction (used for the extra case of the benchmark)."""
    code: str
    nso: str
    partners: list[str]
    articles: list[str]
    sources: list[str]


def jurisdiction(w: Writer, rng: random.Random, index: int) -> Jurisdiction:
    c = code(index)
    lc = c.lower()
    country = iri(COUNTRY + c)
    w.a(country, DCT + "Location")
    w.t(country, iri(SKOS + "prefLabel"), lit(f"Synthetia {c}", "en"))
    w.t(country, iri(SKOS + "notation"), lit(c))

    nso = iri(f"{B}id/org/{c}-NSO")
    w.a(nso, NSP + "NationalStatisticalOffice")
    w.t(nso, iri(SKOS + "prefLabel"), lit(f"Statistical Office of {c}", "en"))
    w.t(nso, iri(SKOS + "altLabel"), lit(f"SO-{c}"))
    w.t(nso, iri(DCT + "spatial"), country)

    sources = []
    for k in range(rng.randint(3, 5)):
        src = iri(f"{B}id/source/{lc}-src-{k}")
        sources.append(src)
        w.a(src, NSP + "SourceDocument")
        w.t(src, iri(FOAF + "page"), iri(f"https://legislation.example.org/{lc}/doc-{k}.html"))
        w.t(src, iri(DCT + "title"), lit(f"Synthetic source {k} for {c}", "en"))
        w.t(src, iri(DCT + "publisher"), lit(f"Government of {c}"))
        w.t(src, iri(PAV + "retrievedOn"), lit(f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", dt="date"))

    year = rng.randint(1950, 2022)
    law = f"{B}eli/{lc}/act/{year}/stat"
    w.a(iri(law), NSP + "StatisticalLaw")
    w.t(iri(law), iri(DCT + "title"), lit(f"Statistics Act of {c}", "en"))
    w.t(iri(law), iri(ELI + "id_local"), lit(f"Act {year}/{index}"))
    w.t(iri(law), iri(ELI + "type_document"), iri(V + "document-type/act"))
    w.t(iri(law), iri(ELI + "jurisdiction"), country)
    w.t(iri(law), iri(ELI + "in_force"), iri(ELI + ("InForce-inForce" if rng.random() < 0.9 else "InForce-partiallyInForce")))
    w.t(iri(law), iri(ELI + "date_document"), lit(f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", dt="date"))
    w.t(iri(law), iri(NSP + "establishes"), nso)
    w.t(iri(law), iri(DCT + "source"), sources[0])

    articles = []
    for n in range(1, rng.randint(15, 30) + 1):
        art = f"{law}/art_{n}"
        articles.append(art)
        w.a(iri(art), ELI + "LegalResourceSubdivision")
        w.t(iri(art), iri(ELI + "is_part_of"), iri(law))
        w.t(iri(art), iri(ELI + "number"), lit(str(n)))
        w.t(iri(art), iri(DCT + "title"), lit(f"Article {n} of the Statistics Act of {c}", "en"))
        for m in range(1, (rng.randint(1, 3) if rng.random() < 0.3 else 0) + 1):
            par = f"{art}/par_{m}"
            w.a(iri(par), ELI + "LegalResourceSubdivision")
            w.t(iri(par), iri(ELI + "is_part_of"), iri(art))
            w.t(iri(par), iri(ELI + "number"), lit(f"{n}({m})"))

    if rng.random() < 0.4:
        amend_year = rng.randint(year + 1, 2025) if year < 2025 else 2025
        amend = iri(f"{B}eli/{lc}/act/{amend_year}/stat-amendment")
        w.a(amend, ELI + "LegalResource")
        w.t(amend, iri(DCT + "title"), lit(f"An Act to amend the Statistics Act of {c}", "en"))
        w.t(amend, iri(ELI + "id_local"), lit(f"Act {amend_year}/{index}a"))
        w.t(amend, iri(ELI + "type_document"), iri(V + "document-type/act"))
        w.t(amend, iri(ELI + "jurisdiction"), country)
        w.t(amend, iri(ELI + "date_document"), lit(f"{amend_year}-06-01", dt="date"))
        w.t(amend, iri(ELI + "amends"), iri(law))
        w.t(amend, iri(ELI + "amends"), iri(rng.choice(articles)))
        w.t(amend, iri(DCT + "source"), rng.choice(sources))

    effects_by_topic: dict[str, list[str]] = {}
    evidence_nodes = []
    law_key = f"{lc}-act-{year}-stat"
    for n, art in enumerate(articles, 1):
        if rng.random() >= 0.45:
            continue
        effect = f"{B}id/effect/{law_key}/art_{n}/1"
        topics = rng.sample(TOPICS, rng.randint(1, 2))
        for topic in topics:
            effects_by_topic.setdefault(topic, []).append(effect)
        ev = f"{effect}/evidence/1"
        evidence_nodes.append(ev)
        e = iri(effect)
        w.a(e, NSP + "ProvisionEffect")
        w.t(e, iri(NSP + "grantedBy"), iri(art))
        w.t(e, iri(NSP + "modality"), iri(V + "legal-modality/" + rng.choice(MODALITIES)))
        for topic in topics:
            w.t(e, iri(NSP + "topic"), iri(V + "legal-topic/" + topic))
        w.t(e, iri(NSP + "addressee"), nso)
        w.t(e, iri(NSP + "dataHolderType"), iri(V + "data-holder-type/" + rng.choice(HOLDERS)))
        w.t(e, iri(NSP + "dataSourceType"), iri(V + "data-source-type/" + rng.choice(PRIVATE_SOURCES + PUBLIC_SOURCES)))
        if rng.random() < 0.6:
            w.t(e, iri(NSP + "condition"), iri(V + "legal-condition/" + rng.choice(CONDITIONS)))
        w.t(e, iri(NSP + "evidence"), iri(ev))
        evidence(w, rng, ev, rng.choice(sources), f"Article {n}")

    for topic, positions in POSITIONS.items():
        pos = iri(f"{B}id/position/{c}/{topic}")
        w.a(pos, NSP + "JurisdictionPosition")
        w.t(pos, iri(NSP + "jurisdiction"), country)
        w.t(pos, iri(NSP + "topic"), iri(V + "legal-topic/" + topic))
        w.t(pos, iri(NSP + "position"), iri(V + "legal-position/" + rng.choice(positions)))
        for effect in effects_by_topic.get(topic, [])[:3]:
            w.t(pos, iri(NSP + "supportedBy"), iri(effect))
        if evidence_nodes:
            w.t(pos, iri(NSP + "evidence"), iri(rng.choice(evidence_nodes)))
        else:
            ev = f"{B}id/position/{c}/{topic}/evidence/1"
            w.t(pos, iri(NSP + "evidence"), iri(ev))
            evidence(w, rng, ev, sources[0], "whole act searched")

    partners = []
    for k in range(rng.randint(8, 14)):
        org = iri(f"{B}id/org/{c}-P{k}")
        partners.append(org)
        w.a(org, ORG + "FormalOrganization")
        w.t(org, iri(SKOS + "prefLabel"), lit(f"Partner {k} of {c}", "en"))
        w.t(org, iri(ORG + "classification"), iri(V + "partner-sector/" + rng.choice(SECTORS)))
        w.t(org, iri(DCT + "spatial"), country)

    j = Jurisdiction(c, nso, partners, articles, sources)
    for k in range(rng.randint(14, 22)):
        case(w, rng, j, f"{c}-CASE{k}")
    return j


def evidence(w: Writer, rng: random.Random, node: str, source: str, locator: str) -> None:
    ev = iri(node)
    w.a(ev, NSP + "Evidence")
    w.t(ev, iri(NSP + "sourceDocument"), source)
    w.t(ev, iri(NSP + "locator"), lit(locator))
    w.t(ev, iri(NSP + "paraphrase"), lit(f"What {locator} provides, in the curator's words (synthetic).", "en"))
    w.t(ev, iri(NSP + "confidence"), iri(V + "confidence/" + ("recalled" if rng.random() < 0.1 else "secondary")))


def case(w: Writer, rng: random.Random, j: Jurisdiction, case_id: str) -> None:
    base = f"{B}id/case/{case_id}"
    cs = iri(base)
    country = iri(COUNTRY + j.code)
    ptype = rng.choice(PARTNERSHIP_TYPES)
    status = rng.choice(STATUSES)
    w.a(cs, NSP + "PartnershipCase")
    w.t(cs, iri(DCT + "title"), lit(f"Synthetic partnership {case_id}", "en"))
    w.t(cs, iri(NSP + "caseId"), lit(case_id))
    w.t(cs, iri(NSP + "partnershipType"), iri(V + "partnership-type/" + ptype))
    if rng.random() < 0.3:
        w.t(cs, iri(NSP + "secondaryPartnershipType"),
            iri(V + "partnership-type/" + rng.choice([t for t in PARTNERSHIP_TYPES if t != ptype])))
    w.t(cs, iri(NSP + "status"), iri(V + "case-status/" + status))
    w.t(cs, iri(NSP + "outcome"), iri(V + "outcome/" + rng.choice(OUTCOMES)))
    start = rng.randint(2005, 2022)
    w.t(cs, iri(NSP + "startYear"), lit(str(start), dt="integer"))
    if status in ENDED or rng.random() < 0.2:
        w.t(cs, iri(NSP + "endYear"), lit(str(start + rng.randint(0, 4)), dt="integer"))
    w.t(cs, iri(DCT + "spatial"), country)
    w.t(cs, iri(DCT + "source"), rng.choice(j.sources))

    lead = iri(f"{base}/participation/{j.code}-NSO")
    w.t(cs, iri(NSP + "hasParticipation"), lead)
    w.a(lead, NSP + "Participation")
    w.t(lead, iri(PROV + "agent"), j.nso)
    w.t(lead, iri(PROV + "hadRole"), iri(V + "participation-role/lead-nso"))
    partners = rng.sample(j.partners, rng.randint(1, 2))
    for org in partners:
        key = org.rsplit("/", 1)[-1].rstrip(">")
        part = iri(f"{base}/participation/{key}")
        w.t(cs, iri(NSP + "hasParticipation"), part)
        w.a(part, NSP + "Participation")
        w.t(part, iri(PROV + "agent"), org)
        w.t(part, iri(PROV + "hadRole"), iri(V + "participation-role/" + rng.choice(PARTNER_ROLES)))

    for n in range(1, rng.randint(1, 2) + 1):
        flow = iri(f"{base}/dataflow/{n}")
        private = rng.random() < 0.6
        w.t(cs, iri(NSP + "hasDataFlow"), flow)
        w.a(flow, NSP + "DataFlow")
        w.t(flow, iri(DCT + "description"), lit(f"Data supplied to the office in {case_id} (synthetic).", "en"))
        w.t(flow, iri(NSP + "dataProvider"), partners[0])
        w.t(flow, iri(NSP + "dataRecipient"), j.nso)
        w.t(flow, iri(NSP + "dataSourceType"), iri(V + "data-source-type/" + rng.choice(PRIVATE_SOURCES if private else PUBLIC_SOURCES)))
        w.t(flow, iri(NSP + "involvesPrivatelyHeldData"), lit("true" if private else "false", dt="boolean"))
        w.t(flow, iri(NSP + "involvesPersonalData"), lit("false", dt="boolean"))
        if rng.random() < 0.75:
            w.t(flow, iri(NSP + "legalBasis"), iri(rng.choice(j.articles)))
        else:
            agreement = iri(f"{B}id/agreement/{case_id}/agreement-{n}")
            w.t(flow, iri(NSP + "agreement"), agreement)
            w.a(agreement, NSP + "Agreement")
            w.t(agreement, iri(NSP + "agreementType"), iri(V + "agreement-type/" + rng.choice(AGREEMENTS)))
            w.t(agreement, iri(NSP + "party"), j.nso)
            w.t(agreement, iri(NSP + "party"), partners[0])
            w.t(agreement, iri(DCT + "description"), lit(f"Agreement {n} of {case_id} (synthetic).", "en"))
            w.t(agreement, iri(NSP + "startYear"), lit(str(start), dt="integer"))

    for n in range(1, rng.randint(0, 2) + 1):
        diff = iri(f"{base}/difficulty/{n}")
        w.t(cs, iri(NSP + "hasDifficulty"), diff)
        w.a(diff, NSP + "Difficulty")
        w.t(diff, iri(NSP + "category"), iri(V + "difficulty-category/" + rng.choice(DIFFICULTIES)))
        w.t(diff, iri(DCT + "description"), lit(f"Difficulty {n} met in {case_id} (synthetic).", "en"))
        if rng.random() < 0.5:
            ev = f"{base}/difficulty/{n}/evidence/1"
            w.t(diff, iri(NSP + "evidence"), iri(ev))
            evidence(w, rng, ev, rng.choice(j.sources), "case report")


def make_root(out: Path) -> None:
    """A project root holding copies of the real ontology, shapes, queries and vocabularies."""
    for top in ("ontology", "shapes", "queries", "data/vocab"):
        dest = out / top
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(ROOT / top, dest)


def generate(target: int, out: Path, seed: int = 42) -> dict:
    """Write at least `target` triples of synthetic data under out/data/synthetic; returns a summary."""
    out = Path(out)
    make_root(out)
    data = out / "data" / "synthetic"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    rng = random.Random(seed)
    total, index, files, w = 0, 0, 0, Writer()
    juris: list[Jurisdiction] = []
    while total + len(w.lines) < target:
        juris.append(jurisdiction(w, rng, index))
        index += 1
        if len(w.lines) >= MAX_TRIPLES_PER_FILE or total + len(w.lines) >= target:
            total += _flush(w, data / f"part-{files:03d}.nt")
            files += 1
    if w.lines:
        total += _flush(w, data / f"part-{files:03d}.nt")
        files += 1
    summary = {"triples": total, "jurisdictions": index, "files": files, "seed": seed}
    (out / "bench-meta.json").write_text(json.dumps({**summary, "first_jurisdiction": vars(juris[0])}, indent=1))
    return summary


def _flush(w: Writer, path: Path) -> int:
    n = len(w.lines)
    path.write_text("\n".join(w.lines) + "\n", encoding="utf-8")
    w.lines.clear()
    return n


def extra_case(root: Path, out_file: Path, seed: int = 7, case_id: str | None = None) -> Path:
    """One new valid case (about 50 triples) in the first synthetic jurisdiction, as an N-Triples file."""
    meta = json.loads((Path(root) / "bench-meta.json").read_text())
    j = Jurisdiction(**meta["first_jurisdiction"])
    w = Writer()
    case(w, random.Random(seed), j, case_id or f"{j.code}-NEWCASE{seed}")
    Path(out_file).write_text("\n".join(w.lines) + "\n", encoding="utf-8")
    return Path(out_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--triples", type=int, help="target number of triples")
    parser.add_argument("--scale", choices=sorted(SCALES), help="or a named scale")
    parser.add_argument("--out", type=Path, required=True, help="project root to write")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    target = args.triples or SCALES[args.scale or "10k"]
    print(generate(target, args.out, args.seed))


if __name__ == "__main__":
    main()
