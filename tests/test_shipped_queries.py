"""Exact answers of the legal canned queries on the shipped data, checked against an independent
computation: rdflib over the source files and plain Python graph walks (no SPARQL)."""
from __future__ import annotations

from functools import lru_cache

import rdflib
from pyoxigraph import NamedNode
from rdflib import RDF, URIRef

from conftest import ROOT
from kg import INFERRED_GRAPH, NSP, queries
from kg.sources import discover

ELI = rdflib.Namespace("http://data.europa.eu/eli/ontology#")
N = rdflib.Namespace(NSP)
MOD = "https://w3id.org/nso-partnership/vocab/legal-modality/"
TOPIC = "https://w3id.org/nso-partnership/vocab/legal-topic/"
CONF = "https://w3id.org/nso-partnership/vocab/confidence/"


@lru_cache(maxsize=1)
def graph() -> rdflib.Graph:
    g = rdflib.Graph()
    for source in discover(ROOT):
        g.parse(source.path, format={".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".rdf": "xml"}[source.path.suffix])
    return g


def top_law(node: URIRef) -> URIRef:
    seen = set()
    while (parent := graph().value(node, ELI.is_part_of)) is not None and node not in seen:
        seen.add(node)
        node = parent
    return node


def descendants(law: URIRef) -> set[URIRef]:
    out, todo = set(), [law]
    while todo:
        for child in graph().subjects(ELI.is_part_of, todo.pop()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out


def select(store, name: str, params: dict | None = None) -> list[dict]:
    _, rows = queries.rows(queries.run(store, queries.resolve(name, ROOT), params or {}))
    return [{k: (v.value if v is not None else None) for k, v in r.items()} for r in rows]


def test_private_data_access_rows(store):
    g = graph()
    expected = set()
    for effect in g.subjects(N.topic, URIRef(TOPIC + "private-data-access")):
        if (effect, RDF.type, N.ProvisionEffect) not in g:
            continue
        if str(g.value(effect, N.modality)) not in {MOD + m for m in ("obligation-to-provide", "right-of-access", "permission")}:
            continue
        article = g.value(effect, N.grantedBy)
        law = top_law(article)
        if (law, ELI.in_force, ELI["InForce-notInForce"]) in g:
            continue
        for country in g.objects(law, ELI.jurisdiction):
            expected.add((str(country), str(law), str(article), str(g.value(effect, N.modality))))
    actual = {(r["country"], r["law"], r["article"], r["modality"]) for r in select(store, "private-data-access")}
    assert actual == expected and len(actual) >= 35


def test_private_data_access_for_one_country(store):
    rows = select(store, "private-data-access", {"country": "country:FRA"})
    assert {r["number"] for r in rows} == {"3 bis"}
    assert all(r["country"].endswith("/FRA") for r in rows)


def test_statistical_laws_rows(store):
    g = graph()
    expected = {}
    for law in g.subjects(RDF.type, N.StatisticalLaw):
        parts = descendants(law)
        effects = {e for p in parts for e in g.subjects(N.grantedBy, p)}
        for country in g.objects(law, ELI.jurisdiction):
            expected[(str(country), str(law))] = (len(parts), len(effects))
    actual = {(r["country"], r["law"]): (int(r["articles"]), int(r["effects"])) for r in select(store, "statistical-laws")}
    assert actual == expected


def test_law_articles_of_canada(store):
    law = URIRef("https://w3id.org/nso-partnership/eli/can/act/1985/s-19")
    expected = {str(a): len(set(graph().subjects(N.grantedBy, a))) for a in descendants(law)}
    rows = select(store, "law-articles", {"law": str(law)})
    assert {r["article"]: int(r["effects"]) for r in rows} == expected
    numbers = [r["number"] for r in rows]
    assert numbers.index("5") < numbers.index("13")  # natural order, not string order


def test_recalled_facts_rows(store):
    g = graph()
    kinds = {N.ProvisionEffect, N.JurisdictionPosition, N.ProvisionMapping, N.Difficulty, N.LessonLearned}
    expected = set()
    for fact, evidence in g.subject_objects(N.evidence):
        if not kinds & set(g.objects(fact, RDF.type)):
            continue
        confidences = {str(g.value(e, N.confidence)) for e in g.objects(fact, N.evidence)}
        if confidences == {CONF + "recalled"}:
            expected.add(str(fact))
    assert {r["fact"] for r in select(store, "recalled-facts")} == expected


def _year(literal) -> int:
    return int(str(literal)[:4])


def test_laws_amended_after_2015(store):
    g = graph()
    expected = set()
    for act, target in g.subject_objects(ELI.amends):
        date = g.value(act, ELI.date_document) or g.value(act, ELI.date_publication)
        if date is not None and _year(date) > 2015:
            expected.add((str(act), str(target)))
    rows = select(store, "laws-amended-after", {"year": "2015"})
    assert {(r["act"], r["target"]) for r in rows} == expected
    assert all(int(r["date"][:4]) > 2015 for r in rows)


def test_law_in_year_keeps_only_effects_in_force(store):
    g = graph()
    year = 2005
    expected = set()
    for effect in g.subjects(RDF.type, N.ProvisionEffect):
        article = g.value(effect, N.grantedBy)
        law = top_law(article)
        law_date, start, end = g.value(law, ELI.date_document), g.value(effect, N.effectiveFrom), g.value(effect, N.effectiveUntil)
        if (law_date is not None and _year(law_date) > year) or (start is not None and _year(start) > year) \
                or (end is not None and _year(end) < year):
            continue
        if (law, ELI.jurisdiction, URIRef("http://publications.europa.eu/resource/authority/country/FRA")) in g:
            expected.add((str(article), str(g.value(effect, N.modality))))
    rows = select(store, "law-in-year", {"year": str(year), "country": "country:FRA"})
    assert {(r["article"], r["modality"]) for r in rows} == expected
    art3bis = [r for r in rows if r["number"] == "3 bis"]
    assert art3bis and all(r["laterAmendment"] == "2016-10-07" for r in art3bis)


def test_articles_and_glos_counterparts(store):
    g = graph()
    model = set(g.subjects(RDF.type, N.ModelLaw))
    mapped_targets = set(g.objects(None, N.targetProvision))
    glos_articles = {a for m in model for a in descendants(m)}
    assert {r["article"] for r in select(store, "glos-articles-without-counterpart")} == {str(a) for a in glos_articles - mapped_targets}
    mapped_sources = {s for m in g.subjects(RDF.type, N.ProvisionMapping) if g.value(m, N.targetProvision) in glos_articles
                      for s in [g.value(m, N.sourceProvision)]}
    national = {g.value(e, N.grantedBy) for e in g.subjects(RDF.type, N.ProvisionEffect)}
    national = {a for a in national if top_law(a) not in model}
    assert {r["article"] for r in select(store, "articles-without-glos-counterpart")} == {str(a) for a in national - mapped_sources}


def test_top_level_act_is_derived_for_every_legal_resource(store):
    """nsp:topLevelAct (derived by the build, rule top-level-act): for every eli:LegalResource, the
    resource at the top of its eli:is_part_of chain (itself for an act), as a plain graph walk finds it."""
    top = NSP + "topLevelAct"
    derived = {(r["x"].value, r["t"].value) for r in store.query(
        f"SELECT ?x ?t WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?x <{top}> ?t }} }}")}
    resources = {r["x"].value for r in store.query(
        "SELECT ?x WHERE { ?x a <http://data.europa.eu/eli/ontology#LegalResource> }", use_default_graph_as_union=True)}
    assert {x for x, _ in derived} == resources and len(derived) == len(resources) > 254  # 254 before the article lists
    assert derived == {(x, str(top_law(URIRef(x)))) for x in resources}
    can = "https://w3id.org/nso-partnership/eli/can/act/1985/s-19"
    eu = "https://w3id.org/nso-partnership/eli/eur/reg/2009/223/"
    assert {(can + "/sec_13", can), (can, can), (eu + "art_23", "http://data.europa.eu/eli/reg/2009/223/oj"),
            (eu + "chp_5", "http://data.europa.eu/eli/reg/2009/223/oj")} <= derived
    graphs = {q.graph_name.value for q in store.quads_for_pattern(None, NamedNode(top), None, None)}
    assert graphs == {INFERRED_GRAPH}  # derived only, never asserted in data/
