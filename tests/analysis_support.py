"""Helpers shared by the test_analysis*.py modules: a project copy with the analysis fixtures, and
independent counts (plain triple patterns and Python, not the report's queries)."""
from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pyoxigraph as ox

from conftest import FIXTURES, make_project, run_kg

NSP = "https://w3id.org/nso-partnership/ontology#"
ELI = "http://data.europa.eu/eli/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
VOCAB = "https://w3id.org/nso-partnership/vocab/"
GLOS = "https://w3id.org/nso-partnership/eli/int/model-law/glos/2016"
LAWS = ["data/laws/can.ttl", "data/laws/gha.ttl", "data/laws/int-glos.ttl"]


def build_fixture_project(dest: Path, with_glos_fixture: bool = True) -> tuple[Path, Path]:
    """A project copy: real ontology, shapes, vocabularies, queries, Canada, Ghana and the Generic Law,
    plus the analysis case fixture (and the invented Generic Law articles and mappings). Built."""
    root = make_project(dest / "project", LAWS)
    (root / "data" / "cases").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "analysis-cases.ttl", root / "data" / "cases" / "analysis-cases.ttl")
    if with_glos_fixture:
        shutil.copy(FIXTURES / "analysis-glos.ttl", root / "data" / "laws" / "int-glos-fixture.ttl")
    data_dir = dest / "store"
    result = run_kg("build", root=root, data_dir=data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    return root, data_dir


def objects(store: ox.Store, s, p: str) -> list:
    return [q.object for q in store.quads_for_pattern(s, ox.NamedNode(p), None)]


def subjects(store: ox.Store, p: str, o) -> list:
    return [q.subject for q in store.quads_for_pattern(None, ox.NamedNode(p), o)]


def en_label(store: ox.Store, node) -> str | None:
    for o in objects(store, node, SKOS + "prefLabel"):
        if isinstance(o, ox.Literal) and (o.language or "").startswith("en"):
            return o.value
    return None


def instances(store: ox.Store, cls: str) -> set:
    return set(subjects(store, RDF_TYPE, ox.NamedNode(cls)))


def slug(node) -> str:
    return node.value.rsplit("/", 1)[-1] if node is not None else ""


def independent_gap(store: ox.Store) -> dict:
    """Every figure of the gap report, computed from triple patterns in Python."""
    cases = instances(store, NSP + "PartnershipCase")
    outcome = {c: (objects(store, c, NSP + "outcome") or [None])[0] for c in cases}
    outcome_slug = {c: slug(o) if o is not None else "unknown" for c, o in outcome.items()}
    ptype = {c: objects(store, c, NSP + "partnershipType")[0] for c in cases if objects(store, c, NSP + "partnershipType")}

    difficulties = Counter()
    all_difficulties, all_lessons = set(), set()
    for c in cases:
        for d in set(objects(store, c, NSP + "hasDifficulty")):
            all_difficulties.add(d)
            if c in ptype:
                for cat in set(objects(store, d, NSP + "category")):
                    difficulties[(en_label(store, cat) or slug(cat), slug(ptype[c]))] += 1

    by_type = Counter((slug(ptype[c]), outcome_slug[c]) for c in cases if c in ptype)

    lead = ox.NamedNode(VOCAB + "participation-role/lead-nso")
    by_sector_cases = defaultdict(set)
    for c in cases:
        for part in set(objects(store, c, NSP + "hasParticipation")):
            if lead in objects(store, part, "http://www.w3.org/ns/prov#hadRole"):
                continue
            for agent in objects(store, part, "http://www.w3.org/ns/prov#agent"):
                sectors = [en_label(store, s) for s in objects(store, agent, "http://www.w3.org/ns/org#classification")]
                sectors = [s for s in sectors if s]
                if not sectors:
                    types = {t.value for t in objects(store, agent, RDF_TYPE)}
                    office = {NSP + "NationalStatisticalOffice", NSP + "InternationalStatisticalOrganization"} & types
                    sectors = ["statistical office" if office else "not classified"]
                for s in sectors:
                    by_sector_cases[(s, outcome_slug[c])].add(c)
    by_sector = {k: len(v) for k, v in by_sector_cases.items()}

    lessons = defaultdict(set)
    for c in cases:
        for les in set(objects(store, c, NSP + "hasLesson")):
            all_lessons.add(les)
            themes = [en_label(store, t) for t in objects(store, les, NSP + "category")] or ["no theme"]
            for t in themes:
                lessons[(t or "no theme", outcome_slug[c])].add(les)
    lessons = {k: len(v) for k, v in lessons.items()}

    with_basis = set()
    for c in cases:
        if objects(store, c, NSP + "agreement"):
            with_basis.add(c)
        for f in objects(store, c, NSP + "hasDataFlow"):
            if objects(store, f, NSP + "legalBasis") or objects(store, f, NSP + "agreement"):
                with_basis.add(c)
    without_basis = {c.value for c in cases - with_basis}

    # Countries with a successful private-data case, minus countries whose own in-force law has an
    # effect obliging, granting or permitting access to privately held data.
    true = ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean"))
    private_success = defaultdict(set)
    for c in cases:
        if outcome_slug[c] != "successful":
            continue
        if any(true in objects(store, f, NSP + "involvesPrivatelyHeldData") for f in objects(store, c, NSP + "hasDataFlow")):
            for country in objects(store, c, "http://purl.org/dc/terms/spatial"):
                private_success[country.value].add(c.value)
    with_statute = set()
    modalities = {VOCAB + "legal-modality/" + m for m in ("obligation-to-provide", "right-of-access", "permission")}
    topic = ox.NamedNode(VOCAB + "legal-topic/private-data-access")
    not_in_force = ox.NamedNode(ELI + "InForce-notInForce")
    for effect in subjects(store, NSP + "topic", topic):
        if not ({m.value for m in objects(store, effect, NSP + "modality")} & modalities):
            continue
        for node in objects(store, effect, NSP + "grantedBy"):
            seen = set()
            while node is not None and node not in seen:
                seen.add(node)
                if not objects(store, node, ELI + "is_part_of"):
                    if not_in_force not in objects(store, node, ELI + "in_force"):
                        with_statute.update(j.value for j in objects(store, node, ELI + "jurisdiction"))
                parents = objects(store, node, ELI + "is_part_of")
                node = parents[0] if parents else None
    no_statute = {k: v for k, v in private_success.items() if k not in with_statute}

    strained, upheld = defaultdict(set), defaultdict(set)
    for prop, bucket in ((NSP + "tensionWith", strained), (NSP + "upholds", upheld)):
        for q in store.quads_for_pattern(None, ox.NamedNode(prop), None):
            subject = (objects(store, q.subject, NSP + "assessedSubject") or [q.subject])[0]
            bucket[q.object.value].add(subject)

    return {
        "cases": len(cases), "successful": sum(1 for c in cases if outcome_slug[c] == "successful"),
        "difficulties_total": len(all_difficulties), "lessons_total": len(all_lessons),
        "difficulties": dict(difficulties), "by_type": dict(by_type), "by_sector": by_sector,
        "lessons": lessons, "without_basis": without_basis, "no_statute": no_statute,
        "strained": {k: len(v) for k, v in strained.items()}, "upheld": {k: len(v) for k, v in upheld.items()},
    }
