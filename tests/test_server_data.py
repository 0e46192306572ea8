"""The page look-ups of kg/server/data.py on the shipped store: index ranges that give the same answers
as the whole-store scans they replace."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.export import DERIVED_GRAPHS
from kg.server.data import Data, NotAnIRI, bind

BASE = "https://w3id.org/nso-partnership/"


def scanned_children(store: ox.Store, iri: str) -> list[str]:
    """The former look-up: every quad of the store filtered by the IRI's spelling."""
    rows = store.query(bind(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && (STRSTARTS(STR(?s), ?hash) || STRSTARTS(STR(?s), ?slash))) "
        "FILTER(?g NOT IN (<%s>, <%s>)) }" % tuple(sorted(DERIVED_GRAPHS)),
        {"hash": ox.Literal(iri + "#"), "slash": ox.Literal(iri + "/")}))
    return sorted(r["s"].value for r in rows)


def test_children_from_the_subject_index_equal_the_store_scan(store):
    d = Data(store)
    parents = {s.rsplit(sep, 1)[0] for s in d.subject_iris() for sep in "#/" if sep in s[len(BASE):]}
    with_children = [p for p in sorted(parents) if p.startswith(BASE)]
    assert len(with_children) > 100 and BASE + "ontology" in with_children
    # every fourth parent (a whole-store scan each), and those whose sub-nodes are not all linked from them
    sample = with_children[::4] + [BASE + "ontology", BASE + "id/document/ces-concept-note"]
    for iri in sample:
        assert sorted(t.value for t in d.children(iri)) == scanned_children(store, iri), iri
    assert d.children(BASE + "id/no-such-thing") == [] == scanned_children(store, BASE + "id/no-such-thing")


def test_children_and_descriptions_are_bounded(store):
    d = Data(store)
    ontology = BASE + "ontology"
    assert len(d.children(ontology)) > 50 and len(d.children(ontology, limit=7)) == 7
    assert len(d.description(ontology)) > 100 and len(d.description(ontology, limit=10)) < len(d.description(ontology))


@pytest.mark.parametrize("bad", ["a b", 'a"b', "a<b>", "a\nb"])
def test_a_string_that_is_no_iri_is_named_as_such(store, bad):
    d = Data(store)
    for lookup in (d.exists, d.incoming, d.description, d.types, d.described):
        with pytest.raises(NotAnIRI, match="not an IRI the store can hold"):
            lookup(BASE + bad)


def scanned_search(d: Data, text: str, limit: int = 200) -> list[tuple[str, str, str]]:
    """The former search: every label of the store filtered by CONTAINS, then sorted by kind and label."""
    from kg.server.data import KIND_ORDER, kind_of

    rows = d.select("""SELECT DISTINCT ?s WHERE { VALUES ?p { skos:prefLabel skos:altLabel dct:title rdfs:label }
        ?s ?p ?l FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?l)), LCASE(?q))) }""", q=ox.Literal(text))
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    found = [(r["s"].value, d.label(r["s"]), kind_of(set(d.types(r["s"].value)))) for r in rows]
    return sorted(found, key=lambda r: (order.get(r[2], 99), r[1].lower(), r[0]))[:limit]


@pytest.mark.parametrize("text", ["statistics CANADA", "statcan", "Statistics Act", "law", "a", "Ä", "2019",
                                  "données", "no such words here"])
def test_search_from_the_label_index_equals_the_store_scan(store, text):
    d = Data(store)
    found = d.search(text)
    assert [(r["iri"], r["label"], r["kind"]) for r in found] == scanned_search(d, text)
    assert all(text.lower() in r["match"].lower() for r in found)  # the label that matched is shown


def test_search_text_is_capped_and_cannot_join_two_labels(store):
    d = Data(store)
    assert len(d.search("a")) == 200 and len(d.search("a", limit=7)) == 7
    assert d.search("statcan" + "\x00") == d.search("statcan") != []  # the separator is removed from the text
    assert d.search("x" * 100_000) == []  # only the first 200 characters are looked for
    assert d.search("   ") == []


# The law page's queries before they started from the law's parts (commit 7976b76): each read every link of its kind.
FORMER_LAW_PAGE_QUERIES = {
    "effects": """SELECT DISTINCT ?e ?a WHERE { ?e nsp:grantedBy ?a . ?a eli:is_part_of* ?law }""",
    "amended": """SELECT DISTINCT ?x ?t WHERE { ?x eli:amends ?t . ?t eli:is_part_of* ?law } ORDER BY ?x""",
    "cited": """SELECT DISTINCT ?x ?t WHERE { VALUES ?p { eli:cites eli:based_on eli:implements eli:transposes eli:related_to }
        ?x ?p ?t . ?t eli:is_part_of* ?law } ORDER BY ?x""",
    "mappings": """SELECT DISTINCT ?m ?src ?tgt ?degree WHERE {
        ?m nsp:sourceProvision ?src ; nsp:targetProvision ?tgt . OPTIONAL { ?m nsp:matchDegree ?degree }
        { ?src eli:is_part_of* ?law } UNION { ?tgt eli:is_part_of* ?law } } ORDER BY ?src ?tgt""",
    "cases": """SELECT DISTINCT ?case ?a WHERE {
        { ?case nsp:hasDataFlow/nsp:legalBasis ?a } UNION { ?case nsp:legalBasis ?a } UNION { ?case nsp:agreement/nsp:legalBasis ?a }
        ?a eli:is_part_of* ?law } ORDER BY ?case""",
    "positions": """SELECT DISTINCT ?p ?country ?topic ?position ?level WHERE {
        ?p nsp:supportedBy/nsp:grantedBy ?a . ?a eli:is_part_of* ?law .
        OPTIONAL { ?p nsp:jurisdiction ?country } OPTIONAL { ?p nsp:topic ?topic } OPTIONAL { ?p nsp:position ?position }
        OPTIONAL { ?p nsp:restsOnLevel ?level } }
        ORDER BY ?topic""",
}


def test_law_page_queries_equal_their_former_texts(store):
    from kg.server.pages import LAW_PAGE_QUERIES

    d = Data(store)
    parts = [r["x"].value for r in d.select(
        "SELECT DISTINCT ?x WHERE { { ?x a eli:LegalResource } UNION { ?x a eli:LegalResourceSubdivision } FILTER(isIRI(?x)) }")]
    assert len(parts) > 2000
    key = lambda row: tuple(str(v) for v in row.values())  # noqa: E731
    nonempty = dict.fromkeys(LAW_PAGE_QUERIES, 0)
    cited = [r["t"].value for r in d.select("SELECT DISTINCT ?t WHERE { VALUES ?p { eli:cites eli:based_on eli:implements "
                                            "eli:transposes eli:related_to } ?x ?p ?t FILTER(isIRI(?t)) }")]
    for iri in parts[::3] + cited:  # a third of the shipped laws and articles (all take ~15 s), and the cited ones
        for name, text in LAW_PAGE_QUERIES.items():
            rows = d.select(text, law=iri)
            assert sorted(map(key, rows)) == sorted(map(key, d.select(FORMER_LAW_PAGE_QUERIES[name], law=iri))), (name, iri)
            nonempty[name] += bool(rows)
    assert all(nonempty.values()), nonempty  # every query has answers somewhere
