"""The endpoint adds no errors of its own: the W3C SPARQL 1.1 syntax-query suite, the protocol's
one-query rule, `format` values from real clients (SPARQLWrapper, rdflib's SPARQLStore), and VoID
counts that add up. Everything goes through a real `kg serve` process.

The suite is vendored in tests/w3c/sparql11-syntax-query/ (README.md there: source and licence).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare

from server_helpers import BASE, LiveServer

SUITE = Path(__file__).resolve().parent / "w3c" / "sparql11-syntax-query"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
CAN_LAW = BASE + "eli/can/act/1985/s-19"
LAWS = "SELECT ?law WHERE { ?law a <https://w3id.org/nso-partnership/ontology#StatisticalLaw> } ORDER BY ?law"
DESCRIBE_LAW = f"CONSTRUCT {{ <{CAN_LAW}> ?p ?o }} WHERE {{ <{CAN_LAW}> ?p ?o }}"


def syntax_tests() -> list[tuple[str, bool]]:
    """(query file, must be accepted) for every entry of the manifest."""
    g = rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle", publicID="http://example.org/suite/manifest.ttl")
    entries = list(rdflib.collection.Collection(g, g.value(rdflib.URIRef("http://example.org/suite/manifest.ttl"), MF.entries)))
    out = []
    for entry in entries:
        kind = g.value(entry, rdflib.RDF.type)
        assert kind in (MF.PositiveSyntaxTest11, MF.NegativeSyntaxTest11), (entry, kind)
        out.append((str(g.value(entry, MF.action)).rsplit("/", 1)[1], kind == MF.PositiveSyntaxTest11))
    return out


TESTS = syntax_tests()


def test_the_vendored_suite_is_whole():
    assert len(TESTS) == 94
    assert sum(positive for _, positive in TESTS) == 63 and sum(not positive for _, positive in TESTS) == 31
    assert all((SUITE / name).is_file() for name, _ in TESTS)
    assert "W3C Test Suite Licence" in (SUITE / "README.md").read_text()


@pytest.fixture(scope="module")
def server(shipped_store):
    live = LiveServer(shipped_store, "--workers", "2", "--timeout", "10")
    yield live
    live.stop()


@pytest.mark.parametrize("name,positive", TESTS, ids=[name for name, _ in TESTS])
def test_w3c_syntax_query(http, name, positive):
    """Positive syntax tests are answered 200, negative ones 400 with the parser's message."""
    r = http.post("/sparql", content=(SUITE / name).read_bytes(), headers={"Content-Type": "application/sparql-query"})
    if positive:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 400 and r.text.startswith("Malformed query:"), r.text


def test_relative_iris_resolve_against_the_endpoint(http, server):
    r = http.get("/sparql", params={"query": "SELECT (<x> AS ?x) (<../y#z> AS ?y) WHERE {}"},
                 headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    row = r.json()["results"]["bindings"][0]
    assert row["x"] == {"type": "uri", "value": server.url + "/x"}
    assert row["y"] == {"type": "uri", "value": server.url + "/y#z"}


def test_unknown_extension_functions_leave_values_unbound(http):
    """SPARQL 1.1 section 17.6: an unknown function is an expression error, not a failed query."""
    query = f"""SELECT ?law ?v ?w WHERE {{
        VALUES ?law {{ <{CAN_LAW}> }}
        BIND(<http://example/f>(?law, 1) AS ?v)
        BIND(COALESCE(<http://example/g>(), "fallback") AS ?w) }}"""
    r = http.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"] == [{"law": {"type": "uri", "value": CAN_LAW},
                                                "w": {"type": "literal", "value": "fallback"}}]
    # in a FILTER the error is false: no rows, and still no error
    r = http.get("/sparql", params={"query": f"ASK {{ <{CAN_LAW}> ?p ?o FILTER(<http://example/h>(?o)) }}"},
                 headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is False


# ----------------------------------------------------------------------------- protocol: exactly one query

@pytest.mark.parametrize("how", ["get", "form", "url-and-form", "url-and-body"])
def test_two_query_parameters_are_refused(http, how):
    one, two = "ASK {}", "ASK { FILTER(false) }"
    if how == "get":
        r = http.get("/sparql", params=[("query", one), ("query", two)])
    elif how == "form":
        r = http.post("/sparql", data={"query": [one, two]})
    elif how == "url-and-form":
        r = http.post("/sparql", params={"query": one}, data={"query": two})
    else:
        r = http.post("/sparql", params={"query": one}, content=two.encode(),
                      headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "exactly one" in r.text, r.text


def test_two_update_parameters_are_refused(http):
    r = http.post("/sparql", data={"update": ["CLEAR ALL", "CLEAR DEFAULT"]})
    assert r.status_code == 400 and "exactly one" in r.text
    assert http.post("/sparql", data={"update": "CLEAR ALL"}).status_code == 403  # one update: read-only


# ----------------------------------------------------------------------------- protocol: format values

def test_unknown_or_repeated_format_falls_back_to_accept(http):
    r = http.get("/sparql", params={"query": DESCRIBE_LAW, "format": "n3"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    r = http.get("/sparql", params=[("query", DESCRIBE_LAW), ("format", "json-ld"),
                                    ("format", "application/ld+json,application/x-json+ld")],
                 headers={"Accept": "application/ld+json,application/x-json+ld"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json")
    r = http.get("/sparql", params={"query": LAWS, "format": "no-such-format"}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    # a known format still wins over Accept, and nothing acceptable at all is still 406
    r = http.get("/sparql", params={"query": LAWS, "format": "tsv"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    assert http.get("/sparql", params={"query": LAWS, "format": "n3"}, headers={"Accept": "image/png"}).status_code == 406


def _laws_from(data: bytes, fmt: ox.QueryResultsFormat) -> list[str]:
    return [s["law"].value for s in ox.parse_query_results(data, format=fmt)]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_in_every_format(server, method):
    from SPARQLWrapper import CSV, JSON, XML, SPARQLWrapper

    client = SPARQLWrapper(server.url + "/sparql")
    client.setMethod(method)
    client.setQuery(LAWS)
    answers = {}
    for fmt in (JSON, XML, CSV):
        client.setReturnFormat(fmt)
        response = client.query()
        answers[fmt] = response
    laws = [b["law"]["value"] for b in answers[JSON].convert()["results"]["bindings"]]
    assert CAN_LAW in laws
    xml = answers[XML].convert().toxml().encode()
    assert _laws_from(xml, ox.QueryResultsFormat.XML) == laws
    assert [row["law"] for row in csv.DictReader(io.StringIO(answers[CSV].convert().decode()))] == laws


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_construct_in_every_format(http, server, method):
    from SPARQLWrapper import JSONLD, N3, RDFXML, TURTLE, XML, SPARQLWrapper

    expected = rdflib.Graph().parse(data=http.get("/sparql", params={"query": DESCRIBE_LAW, "format": "nt"}).text,
                                    format="nt")
    assert len(expected) > 3
    client = SPARQLWrapper(server.url + "/sparql")
    client.setMethod(method)
    client.setQuery(DESCRIBE_LAW)
    for fmt in (JSONLD, N3, TURTLE, RDFXML, XML):
        client.setReturnFormat(fmt)
        got = client.query().convert()
        if not isinstance(got, rdflib.Graph):
            got = rdflib.Graph().parse(data=got, format="json-ld" if fmt == JSONLD else "turtle")
        assert rdflib.compare.isomorphic(got, expected), fmt


def test_rdflib_sparqlstore_select_and_construct(http, server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    for fmt in ("json", "xml", "csv"):
        g = rdflib.Graph(SPARQLStore(server.url + "/sparql", returnFormat=fmt))
        rows = [str(r[0]) for r in g.query(LAWS)]
        assert CAN_LAW in rows, fmt
    g = rdflib.Graph(SPARQLStore(server.url + "/sparql"))
    constructed = g.query(DESCRIBE_LAW).graph
    expected = rdflib.Graph().parse(data=http.get("/sparql", params={"query": DESCRIBE_LAW, "format": "nt"}).text,
                                    format="nt")
    assert rdflib.compare.isomorphic(constructed, expected)


# ----------------------------------------------------------------------------- VoID counts that add up

def _count(http, query: str) -> int:
    r = http.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_void_triples_is_the_union_of_the_subsets_it_lists(http):
    """The dataset's void:triples counts the distinct triples of the union of the graphs it lists as
    subsets (the source files); each graph subset counts its own triples; derived graphs are described
    as datasets of their own, derived from it, not as subsets; the description says all this."""
    g = rdflib.Graph().parse(data=http.get("/.well-known/void", headers={"Accept": "text/turtle"}).text, format="turtle")
    ds = rdflib.URIRef(BASE + "dataset")
    total = int(g.value(ds, VOID.triples))
    graphs = [s for s in g.objects(ds, VOID.subset) if (s, SD.name, None) in g]
    assert len(graphs) > 50
    for sub in graphs[:5] + graphs[-5:]:
        assert int(g.value(sub, VOID.triples)) == _count(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{sub}> {{ ?s ?p ?o }} }}")
    names = " ".join(f"<{s}>" for s in graphs)
    union = _count(http, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } "
                         f"VALUES ?g {{ {names} }} }} }}")
    assert total == union
    assert max(int(g.value(s, VOID.triples)) for s in graphs) <= total <= sum(int(g.value(s, VOID.triples)) for s in graphs)
    for derived in ("inferred", "provenance"):
        iri = rdflib.URIRef(BASE + "graph/" + derived)
        assert (ds, VOID.subset, iri) not in g
        assert (iri, rdflib.RDF.type, VOID.Dataset) in g and (iri, rdflib.URIRef("http://www.w3.org/ns/prov#wasDerivedFrom"), ds) in g
        assert int(g.value(iri, VOID.triples)) == _count(http, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
    said = " ".join(str(o) for o in g.objects(ds, rdflib.RDFS.comment))
    assert "void:triples" in said and "distinct" in said and "subset" in said


def test_service_description_default_graph_counts_distinct_triples(http):
    g = rdflib.Graph().parse(data=http.get("/sparql", headers={"Accept": "text/turtle"}).text, format="turtle")
    default = g.value(next(g.objects(None, SD.defaultDataset)), SD.defaultGraph)
    distinct = _count(http, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }")
    assert int(g.value(default, VOID.triples)) == distinct
    named = [g.value(n, SD.graph) for n in g.objects(None, SD.namedGraph)]
    assert distinct <= sum(int(g.value(n, VOID.triples)) for n in named)

