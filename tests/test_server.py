"""`kg serve`: the real server process, exercised with real clients (httpx, SPARQLWrapper, rdflib's SPARQLStore).

Covers the SPARQL 1.1 Protocol (GET/POST, every result format, dataset parameters, CORS, service
description, errors, read-only), content negotiation, dereferenceable IRIs, canned-query pages,
search, VoID/DCAT, dumps, and the time/row limits.
"""
from __future__ import annotations

import concurrent.futures
import csv
import markupsafe
import io
import json
import time

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from server_helpers import BASE, LiveServer

TIMEOUT, MAX_ROWS = 3, 2000
CAN_LAW = BASE + "eli/can/act/1985/s-19"
STATCAN = BASE + "id/org/CAN-STATCAN"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
LAWS = "SELECT ?law WHERE { ?law a <https://w3id.org/nso-partnership/ontology#StatisticalLaw> } ORDER BY ?law"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def server(shipped_store):
    live = LiveServer(shipped_store, "--timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS), "--workers", "2")
    yield live
    live.stop()


def sparql_get(http, query, accept, **params):
    return http.get("/sparql", params={"query": query, **params}, headers={"Accept": accept})


# ----------------------------------------------------------------------------- protocol

def test_service_description_on_get_without_query(http, server):
    r = http.get("/sparql")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    endpoint = rdflib.URIRef(server.url + "/sparql")
    assert (None, SD.endpoint, endpoint) in g
    assert (None, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (None, SD.feature, SD.UnionDefaultGraph) in g
    assert any(g.objects(None, SD.namedGraph))


@pytest.mark.parametrize("accept,ctype", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("application/json", "application/sparql-results+json"),
])
def test_select_in_each_results_format(http, accept, ctype):
    r = sparql_get(http, LAWS, accept)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(ctype)
    if "json" in ctype:
        laws = [b["law"]["value"] for b in r.json()["results"]["bindings"]]
    elif "csv" in ctype:
        laws = [row["law"] for row in csv.DictReader(io.StringIO(r.text))]
    else:
        fmt = ox.QueryResultsFormat.XML if "xml" in ctype else ox.QueryResultsFormat.TSV
        laws = [s["law"].value for s in ox.parse_query_results(r.content, format=fmt)]
    assert CAN_LAW in laws


def test_accept_q_values_choose_the_format(http):
    r = sparql_get(http, LAWS, "text/csv;q=0.4, application/sparql-results+xml;q=0.9, */*;q=0.1")
    assert r.headers["content-type"].startswith("application/sparql-results+xml")
    r = sparql_get(http, LAWS, "application/sparql-results+json;q=0, text/*;q=0.5, text/tab-separated-values")
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    r = sparql_get(http, LAWS, "image/png")
    assert r.status_code == 406


def test_post_form_and_post_sparql_query(http):
    r = http.post("/sparql", data={"query": LAWS}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and CAN_LAW in r.text
    r = http.post("/sparql", content=LAWS.encode(), headers={"Content-Type": "application/sparql-query",
                                                              "Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv") and CAN_LAW in r.text
    r = http.post("/sparql", content=b"<x/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 415


def test_ask(http):
    r = sparql_get(http, f"ASK {{ <{CAN_LAW}> ?p ?o }}", "application/sparql-results+json")
    assert r.json() == {"head": {}, "boolean": True}
    r = sparql_get(http, "ASK { <urn:nothing> ?p ?o }", "application/sparql-results+xml")
    assert "<boolean>false</boolean>" in r.text


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/n-triples", "nt"),
                                        ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")])
def test_construct_and_describe_in_each_graph_format(http, accept, fmt):
    for query in (f"CONSTRUCT {{ <{CAN_LAW}> ?p ?o }} WHERE {{ <{CAN_LAW}> ?p ?o }}", f"DESCRIBE <{CAN_LAW}>"):
        r = sparql_get(http, query, accept)
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept), r.text
        g = rdflib.Graph().parse(data=r.text, format=fmt)
        assert (rdflib.URIRef(CAN_LAW), rdflib.namespace.DCTERMS.title, rdflib.Literal("Statistics Act", lang="en")) in g


def test_default_graph_is_the_union_and_dataset_parameters_narrow_it(http):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    n = lambda r: int(r.json()["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    union = n(sparql_get(http, count, "application/json"))
    can_graph = BASE + "graph/data/laws/can"
    only_can = n(sparql_get(http, count, "application/json", **{"default-graph-uri": can_graph}))
    assert 0 < only_can < union
    r = sparql_get(http, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "application/json",
                   **{"named-graph-uri": can_graph})
    assert [b["g"]["value"] for b in r.json()["results"]["bindings"]] == [can_graph]
    r = sparql_get(http, f"SELECT (COUNT(*) AS ?n) FROM <{can_graph}> WHERE {{ ?s ?p ?o }}", "application/json")
    assert n(r) == only_can  # FROM in the query is honoured too
    # decided on the parsed query in the worker: "FROM" inside a literal or a comment is no dataset clause
    r = sparql_get(http, 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?o != "FROM <x>") } # FROM <y>', "application/json")
    assert n(r) == union
    # rdflib cannot read LATERAL (oxigraph can): the dataset is then decided on the query's head, parsed alone
    lateral = "{ ?s ?p ?o LATERAL { SELECT ?x WHERE { ?s ?p ?x } LIMIT 1 } }"
    r = sparql_get(http, f"SELECT (COUNT(*) AS ?n) FROM <{can_graph}> WHERE {lateral}", "application/json")
    assert r.status_code == 200 and n(r) == only_can, r.text
    r = sparql_get(http, f'SELECT (COUNT(*) AS ?n) # FROM <{can_graph}>\nWHERE {lateral}', "application/json")
    assert r.status_code == 200 and n(r) == union, r.text
    # a head no grammar here reads (a SPARQL 1.2 triple term) with FROM in it: refused with the way out, not guessed
    r = sparql_get(http, f"SELECT (<<( ?s ?p ?o )>> AS ?t) FROM <{can_graph}> WHERE {{ ?s ?p ?o }} LIMIT 1",
                   "application/json")
    assert r.status_code == 403 and "default-graph-uri" in r.text and "Traceback" not in r.text, r.text


def test_cors(http):
    r = sparql_get(http, "ASK {}", "application/json", )
    r = http.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    r = http.options("/sparql", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                                         "Access-Control-Request-Headers": "content-type"})
    assert r.status_code == 200 and "POST" in r.headers["access-control-allow-methods"]
    r = http.get("/id/org/CAN-STATCAN.ttl", headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"


def test_malformed_query_is_400_with_the_parser_message(http):
    r = sparql_get(http, "SELEC ?x WHERE { ?x ?y }", "application/json")
    assert r.status_code == 400
    assert "Malformed query" in r.text and "error at 1:" in r.text


@pytest.mark.parametrize("how", ["form-update", "sparql-update", "query-param"])
def test_updates_are_refused(http, how):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    if how == "form-update":
        r = http.post("/sparql", data={"update": update})
    elif how == "sparql-update":
        r = http.post("/sparql", content=update, headers={"Content-Type": "application/sparql-update"})
    else:
        r = http.post("/sparql", data={"query": "PREFIX x: <urn:x#>\n# comment\n" + update})
    assert r.status_code == 403 and "read-only" in r.text
    assert sparql_get(http, "ASK { <urn:a> <urn:b> <urn:c> }", "application/json").json()["boolean"] is False


@pytest.mark.parametrize("text, status", [
    ("BASE <urn:x/>\nLOAD <urn:y> ;\nCLEAR ALL", 403),                 # several operations, after a BASE
    ('WITH <urn:g> DELETE { ?s ?p "INSERT" } WHERE { ?s ?p ?o }', 403),  # keywords in a literal
    ("# INSERT DATA { <urn:a> <urn:b> <urn:c> }\nASK { ?s ?p ?o }", 200),  # an update only in a comment
    ("SELECT * WHERE { ?s ?p ?o } ; DROP ALL", 400),                     # neither a query nor an update
])
def test_an_update_sent_as_a_query_is_told_apart_by_parsing(http, text, status):
    """`query=` text the engine rejects is refused as an update (403) only when the update grammar
    accepts it; the decision is made in a query worker, not by a look at the text in the server."""
    r = http.post("/sparql", data={"query": text}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == status, r.text
    if status == 403:
        assert "read-only" in r.text


# ----------------------------------------------------------------------------- real client libraries

def test_sparqlwrapper_select_ask_construct(server):
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper

    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(LAWS)
    client.setReturnFormat(JSON)
    laws = [b["law"]["value"] for b in client.query().convert()["results"]["bindings"]]
    assert CAN_LAW in laws
    client.setQuery(f"ASK {{ <{CAN_LAW}> a ?t }}")
    assert client.query().convert()["boolean"] is True
    client.setQuery(f"CONSTRUCT {{ <{CAN_LAW}> ?p ?o }} WHERE {{ <{CAN_LAW}> ?p ?o }}")
    client.setReturnFormat(TURTLE)
    g = rdflib.Graph().parse(data=client.query().convert(), format="turtle")
    assert len(g) > 3
    client.setMethod("POST")
    client.setReturnFormat(JSON)
    client.setQuery(LAWS)
    assert CAN_LAW in json.dumps(client.query().convert())


def test_rdflib_sparqlstore(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    store = SPARQLStore(server.url + "/sparql", returnFormat="json")
    g = rdflib.Graph(store)
    rows = list(g.query(f"SELECT ?title WHERE {{ <{CAN_LAW}> <http://purl.org/dc/terms/title> ?title }}"))
    assert rdflib.Literal("Statistics Act", lang="en") in [r[0] for r in rows]
    assert g.query(f"ASK {{ <{STATCAN}> ?p ?o }}").askAnswer is True


# ----------------------------------------------------------------------------- limits

def test_max_rows_truncates_with_a_header(http):
    r = sparql_get(http, "SELECT * WHERE { ?s ?p ?o }", "application/sparql-results+json")
    assert r.status_code == 200
    assert len(r.json()["results"]["bindings"]) == MAX_ROWS
    assert r.headers["x-kg-truncated"] == "true" and str(MAX_ROWS) in r.headers["x-kg-notice"]
    r = sparql_get(http, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert len(r.text.strip().splitlines()) == MAX_ROWS and r.headers["x-kg-truncated"] == "true"
    r = sparql_get(http, LAWS, "text/csv")
    assert "x-kg-truncated" not in r.headers


def test_a_slow_query_times_out_and_others_are_still_answered(server):
    def slow():
        with httpx.Client(base_url=server.url, timeout=60) as c:
            started = time.monotonic()
            r = c.get("/sparql", params={"query": SLOW})
            return r, time.monotonic() - started

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        pending = pool.submit(slow)
        time.sleep(0.3)
        with httpx.Client(base_url=server.url, timeout=30) as c:
            started = time.monotonic()
            fast = c.get("/sparql", params={"query": LAWS}, headers={"Accept": "text/csv"})
            assert fast.status_code == 200 and time.monotonic() - started < TIMEOUT
        r, seconds = pending.result()
    assert r.status_code == 503 and "timed out" in r.text and f"{TIMEOUT} s" in r.text
    assert seconds < TIMEOUT + 5
    with httpx.Client(base_url=server.url, timeout=30) as c:  # the killed worker was replaced
        for _ in range(3):
            assert c.get("/sparql", params={"query": "ASK {}"}).status_code == 200


# ----------------------------------------------------------------------------- dereferencing

def test_minted_iri_gives_html_for_people(http):
    r = http.get("/eli/can/act/1985/s-19", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Statistics Act</h1>" in r.text
    assert 'href="/eli/can/act/1985/s-19/sec_13"' in r.text  # its articles, linked locally
    assert "Statistics Canada" in r.text  # labels, not raw IRIs
    for suffix in (".ttl", ".jsonld", ".nt", ".rdf"):
        assert f'href="/eli/can/act/1985/s-19{suffix}"' in r.text


@pytest.mark.parametrize("accept,fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                        ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
                                        ("text/html;q=0.5, text/turtle;q=0.9", "turtle")])
def test_minted_iri_by_accept(http, accept, fmt):
    r = http.get("/id/org/CAN-STATCAN", headers={"Accept": accept})
    assert r.status_code == 200 and "Accept" in r.headers["vary"]
    g = rdflib.Graph().parse(data=r.text, format=fmt)
    assert (rdflib.URIRef(STATCAN), rdflib.SKOS.prefLabel, rdflib.Literal("Statistics Canada", lang="en")) in g


@pytest.mark.parametrize("suffix,fmt,ctype", [(".ttl", "turtle", "text/turtle"), (".jsonld", "json-ld", "application/ld+json"),
                                              (".nt", "nt", "application/n-triples"), (".rdf", "xml", "application/rdf+xml")])
def test_minted_iri_by_suffix_includes_sub_nodes(http, suffix, fmt, ctype):
    effect = BASE + "id/effect/can-act-1985-s-19/sec_13/1"
    r = http.get("/id/effect/can-act-1985-s-19/sec_13/1" + suffix, headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
    g = rdflib.Graph().parse(data=r.text, format=fmt)
    nsp = rdflib.Namespace(BASE + "ontology#")
    evidence = rdflib.URIRef(effect + "/evidence/1")
    assert (rdflib.URIRef(effect), nsp.evidence, evidence) in g
    assert (evidence, nsp.locator, None) in g  # the sub-node's own triples


def test_unknown_iri_is_404(http):
    assert http.get("/id/org/NO-SUCH-ORG", headers={"Accept": "text/html"}).status_code == 404
    assert http.get("/id/org/NO-SUCH-ORG.ttl").status_code == 404


def test_pages_for_article_organisation_concept_and_external_iri(http):
    r = http.get("/eli/can/act/1985/s-19/sec_13")
    assert r.status_code == 200 and "Access to records" in r.text and "right of access" in r.text.lower()
    r = http.get("/id/org/CAN-STATCAN")
    assert r.status_code == 200 and "Partnership cases" in r.text and 'href="/eli/can/act/1985/s-19"' in r.text
    r = http.get("/vocab/legal-topic")
    assert r.status_code == 200 and 'href="/vocab/legal-topic/private-data-access"' in r.text
    r = http.get("/resource", params={"iri": "http://publications.europa.eu/resource/authority/country/CAN"})
    assert r.status_code == 200 and "Canada" in r.text


def test_an_article_named_by_the_legislation_sites_own_iri_links_it_as_its_official_text(http):
    s42 = "http://www.legislation.gov.uk/ukpga/2007/18/section/42"
    r = http.get("/resource", params={"iri": s42})
    assert r.status_code == 200 and "Information relating to births and deaths" in r.text
    assert f'<th>Official text</th><td><a class="ext" href="{s42}">' in r.text
    r = http.get("/eli/can/act/1985/s-19/sec_13")  # a minted IRI is no page of its own: no such row
    assert r.status_code == 200 and "the legislation site's own identifier" not in r.text


def test_ontology_and_shapes(http):
    r = http.get("/ontology")
    assert r.status_code == 200 and 'id="PartnershipCase"' in r.text and "partnership case" in r.text
    g = rdflib.Graph().parse(data=http.get("/ontology.ttl").text, format="turtle")
    assert (rdflib.URIRef(BASE + "ontology#PartnershipCase"), rdflib.RDF.type, rdflib.OWL.Class) in g
    r = http.get("/shapes", headers={"Accept": "text/turtle"})
    shapes = rdflib.Graph().parse(data=r.text, format="turtle")
    assert any(shapes.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#NodeShape")))
    r = http.get("/shapes", headers={"Accept": "text/html"})
    assert r.status_code == 200 and "<h1>Shapes</h1>" in r.text


# ----------------------------------------------------------------------------- dataset, dumps, search, queries

def test_void_and_dcat(http, server):
    r = http.get("/.well-known/void")
    assert r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    ds = rdflib.URIRef(BASE + "dataset")
    assert (ds, rdflib.RDF.type, VOID.Dataset) in g
    assert (ds, VOID.sparqlEndpoint, rdflib.URIRef(server.url + "/sparql")) in g
    assert int(g.value(ds, VOID.triples)) > 1000 and int(g.value(ds, VOID.distinctSubjects)) > 100
    assert (ds, VOID.dataDump, rdflib.URIRef(server.url + "/dumps/kg.ttl")) in g
    linksets = list(g.subjects(rdflib.RDF.type, VOID.Linkset))
    targets = {str(g.value(ls, VOID.objectsTarget)) for ls in linksets}
    assert "http://publications.europa.eu/resource/authority/country" in targets
    assert http.get("/dataset", headers={"Accept": "text/html"}).text.count("Linkset") == 0  # the HTML page is for people
    assert "Links to other datasets" in http.get("/dataset", headers={"Accept": "text/html"}).text


@pytest.mark.parametrize("name,fmt", [("kg.ttl", ox.RdfFormat.TURTLE), ("kg.nq", ox.RdfFormat.N_QUADS),
                                      ("kg.jsonld", ox.RdfFormat.JSON_LD)])
def test_dumps(http, store, name, fmt):
    from kg.export import quads

    r = http.get("/dumps/" + name)
    assert r.status_code == 200
    parsed = list(ox.parse(r.content, format=fmt))
    expected = list(quads(store))
    if fmt == ox.RdfFormat.N_QUADS:
        assert len(parsed) == len(expected)
    else:
        assert len({(q.subject, q.predicate, q.object) for q in parsed}) == len({(q.subject, q.predicate, q.object) for q in expected})


def test_search_is_case_insensitive_substring(http):
    r = http.get("/search", params={"q": "statistics CANADA"})
    assert r.status_code == 200 and 'href="/id/org/CAN-STATCAN"' in r.text
    r = http.get("/search", params={"q": "statcan"}, headers={"Accept": "application/json"})  # skos:altLabel
    assert STATCAN in [x["iri"] for x in r.json()["results"]]
    r = http.get("/search", params={"q": "statistics act"})
    assert 'href="/eli/can/act/1985/s-19"' in r.text
    assert 'name="q"' in http.get("/").text  # the search box is on every page


def test_canned_query_pages(http):
    from kg.queries import discover

    index = http.get("/queries").text
    for q in discover().values():
        assert f'href="/queries/{q.name}"' in index and str(markupsafe.escape(q.title)) in index
    r = http.get("/queries/private-data-access", params={"country": "country:CAN"})
    assert r.status_code == 200
    assert 'name="country" value="country:CAN"' in r.text  # the form keeps the parameter
    assert 'href="/eli/can/act/1985/s-19"' in r.text  # IRIs in the table link to their pages
    assert "private-data-access.csv?country=country%3ACAN" in r.text
    rows = list(csv.DictReader(io.StringIO(http.get("/queries/private-data-access.csv", params={"country": "country:CAN"}).text)))
    assert rows and {row["country"] for row in rows} == {"http://publications.europa.eu/resource/authority/country/CAN"}
    data = http.get("/queries/private-data-access.json", params={"country": "country:CAN"}).json()
    assert data["rows"] and data["columns"][0] == "country"
    srj = http.get("/queries/private-data-access.srj", params={"country": "country:CAN"})
    assert srj.headers["content-type"].startswith("application/sparql-results+json") and srj.json()["results"]["bindings"]
    r = http.get("/queries/private-data-access", params={"country": "not an iri"})
    assert r.status_code == 400 and "not a valid iri" in r.text


def test_canned_query_page_is_paged(http):
    """A listing (`# page: 100`) shows a page with links to the previous and next pages and to every
    row; downloads give every row unless asked for a page."""
    every = list(csv.DictReader(io.StringIO(http.get("/queries/law-articles.csv").text)))
    assert len(every) > 100  # a download: every row
    first = http.get("/queries/law-articles")
    assert first.status_code == 200 and "Rows 1–100 (pages of 100 rows)" in first.text
    assert 'href="/queries/law-articles?limit=100&amp;offset=100" rel="next"' in first.text
    assert 'rel="prev"' not in first.text and 'href="/queries/law-articles?limit=0&amp;offset=0"' in first.text
    second = http.get("/queries/law-articles", params={"limit": 100, "offset": 100})
    assert f"Rows 101–{min(200, len(every))} (pages of 100 rows)" in second.text
    assert 'href="/queries/law-articles?limit=100&amp;offset=0" rel="prev"' in second.text
    assert ('rel="next"' in second.text) == (len(every) > 200)
    law = {"law": CAN_LAW}
    can = [row["number"] for row in csv.DictReader(io.StringIO(http.get("/queries/law-articles.csv", params=law).text))]
    page = http.get("/queries/law-articles.json", params={**law, "limit": 4, "offset": 4}).json()
    assert len(can) > 8 and [row["number"] for row in page["rows"]] == can[4:8]
    small = http.get("/queries/law-articles", params={**law, "limit": 4})
    assert "Rows 1–4 (pages of 4 rows)" in small.text
    assert "/queries/law-articles?law=https%3A%2F%2Fw3id.org%2Fnso-partnership%2Feli%2Fcan%2Fact%2F1985%2Fs-19&amp;limit=4&amp;offset=4" in small.text
    assert http.get("/queries/law-articles", params={**law, "limit": 0}).text.count("<tr>") == 1 + len(can)  # every row
    assert http.get("/queries/law-articles", params={"limit": "-1"}).status_code == 400


def test_editor_is_served_with_local_assets(http):
    r = http.get("/editor")
    assert r.status_code == 200 and "private-data-access" in r.text
    for src in [s for s in r.text.split('"') if s.startswith("/static/")]:
        assert http.get(src).status_code == 200, src
    assert "https://" not in "".join(s for s in r.text.split('"') if s.endswith((".js", ".css")))


def test_one_log_line_per_request(http, server):
    http.get("/queries", params={"marker": "log-check"})
    time.sleep(0.2)
    lines = [line for line in server.log().splitlines() if "marker=log-check" in line]
    assert len(lines) == 1 and '"GET /queries?marker=log-check" 200' in lines[0]


def test_ctrl_c_stops_cleanly(shipped_store):
    live = LiveServer(shipped_store, "--workers", "1")
    assert live.stop() == 0
    assert "Server stopped." in live.log() and "Traceback" not in live.log()


# ----------------------------------------------------------------------------- answer cache

def test_a_repeated_request_is_answered_from_the_cache_with_the_same_bytes(http):
    query = LAWS + " LIMIT 3"
    first = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    again = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv"})
    assert first.status_code == again.status_code == 200
    assert (first.headers["x-kg-cache"], again.headers["x-kg-cache"]) == ("miss", "hit")
    assert again.content == first.content and again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["x-kg-rows"] == "3"
    # another format of the same query is another answer
    other = http.post("/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert other.headers["x-kg-cache"] == "miss" and len(other.json()["results"]["bindings"]) == 3
    # CORS headers on a hit as on a miss
    cors = http.post("/sparql", data={"query": query}, headers={"Accept": "text/csv", "Origin": "https://example.org"})
    assert cors.headers["x-kg-cache"] == "hit" and cors.headers["access-control-allow-origin"] == "*"
    assert "X-KG-Cache" in cors.headers["access-control-expose-headers"]


def test_relative_iris_resolve_per_host_and_the_cache_keeps_hosts_apart(http):
    """A query with a relative IRI resolves against the URL it was sent to; a cached answer for one host
    name is never served to a request sent under another."""
    query = "SELECT (<x> AS ?v) WHERE {}"
    answers = {}
    for host in ("kg.example.org", "other.example.net", "kg.example.org"):
        r = http.get("/sparql", params={"query": query}, headers={"Host": host, "Accept": "application/sparql-results+json"})
        assert r.status_code == 200, r.text
        answers.setdefault(host, []).append((r.json()["results"]["bindings"][0]["v"]["value"], r.headers["x-kg-cache"]))
    assert answers["kg.example.org"] == [("http://kg.example.org/x", "miss"), ("http://kg.example.org/x", "hit")]
    assert answers["other.example.net"] == [("http://other.example.net/x", "miss")]


def test_errors_and_refusals_are_never_cached(http):
    for _ in range(2):
        bad = http.post("/sparql", data={"query": "SELECT ?x WHERE { ?x"})
        assert bad.status_code == 400 and "x-kg-cache" not in bad.headers
        update = http.post("/sparql", data={"update": "DROP ALL"})
        assert update.status_code == 403 and "x-kg-cache" not in update.headers


def test_a_rebuilt_store_is_never_answered_from_the_old_cache(shipped_store, tmp_path):
    import shutil

    from kg.store import current_path, write_new

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    write_new(data_dir, lambda s: s.bulk_extend(ox.Store.read_only(str(current_path(shipped_store))).quads_for_pattern(None, None, None)))
    live = LiveServer(data_dir, "--workers", "1")
    try:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        ask = lambda: httpx.get(live.url + "/sparql", params={"query": count},  # noqa: E731
                                headers={"Accept": "application/sparql-results+json"}, timeout=30)
        before, cached = ask(), ask()
        assert cached.headers["x-kg-cache"] == "hit" and cached.content == before.content
        n = int(before.json()["results"]["bindings"][0]["n"]["value"])
        extra = ox.Quad(ox.NamedNode(BASE + "id/test/x"), ox.NamedNode(BASE + "ontology#note"), ox.Literal("added"),
                        ox.NamedNode(BASE + "graph/test"))
        old = current_path(data_dir)
        write_new(data_dir, lambda s: (s.bulk_extend(ox.Store.read_only(str(old)).quads_for_pattern(None, None, None)),
                                       s.add(extra)))
        after = ask()
        assert after.headers["x-kg-cache"] == "miss"
        assert int(after.json()["results"]["bindings"][0]["n"]["value"]) == n + 1
    finally:
        live.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def test_cache_off(shipped_store):
    live = LiveServer(shipped_store, "--workers", "1", "--cache-mb", "0")
    try:
        for _ in range(2):
            r = httpx.get(live.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
            assert r.status_code == 200 and r.headers["x-kg-cache"] == "miss"
    finally:
        live.stop()


def test_the_cache_is_bounded_by_bytes_and_evicts_the_least_recently_used():
    from kg.server.cache import Cached, ResponseCache

    cache = ResponseCache(max_bytes=250, max_entry=100)
    entry = lambda n: Cached("text/csv", b"x" * n, ())  # noqa: E731
    cache.put("a", entry(100))
    cache.put("b", entry(100))
    cache.put("too big", entry(101))
    assert cache.get("too big") is None and cache.get("a") is not None  # "a" is now the most recently used
    cache.put("c", entry(100))  # 300 bytes > 250: the least recently used ("b") goes
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert cache.size == 200 and len(cache) == 2


# ----------------------------------------------------------------------------- every query in a worker

def test_a_one_pattern_query_runs_in_a_worker_with_the_row_cap_and_syntax_errors(http):
    accept = {"Accept": "application/sparql-results+json"}
    lookup = http.get("/sparql", params={"query": f"SELECT ?p ?o WHERE {{ <{STATCAN}> ?p ?o }}"}, headers=accept)
    grouped = http.get("/sparql", params={"query": f"SELECT ?p ?o WHERE {{ {{ <{STATCAN}> ?p ?o }} }}"}, headers=accept)
    assert (lookup.headers["x-kg-lane"], grouped.headers["x-kg-lane"]) == ("worker", "worker")
    rows = lambda r: sorted(json.dumps(b, sort_keys=True) for b in r.json()["results"]["bindings"])  # noqa: E731
    assert rows(lookup) == rows(grouped) and len(rows(lookup)) > 5
    everything = http.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=accept)
    assert everything.headers["x-kg-truncated"] == "true" and len(everything.json()["results"]["bindings"]) == MAX_ROWS
    bad = http.get("/sparql", params={"query": "SELECT * WHERE { ?s undeclared:p ?o }"})
    assert bad.status_code == 400 and bad.text.startswith("Malformed query")
