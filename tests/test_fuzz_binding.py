"""Property-based tests: no parameter value can change a canned query's structure.

Whatever text a user passes, the query either refuses it (not a valid value of the parameter's
type) or binds it as one RDF term, so the answer equals the answer of the same query with that
term placed in a VALUES block, and never more rows than the unrestricted query."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg import queries

STORE = ox.Store()
for i in range(5):
    STORE.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"),
                      ox.Literal(f"v{i}"), ox.DefaultGraph()))
    STORE.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/n"),
                      ox.Literal(str(i), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), ox.DefaultGraph()))

BY_VALUE = {
    "string": "SELECT ?value ?s WHERE { ?s <http://example.org/p> ?value }",
    "integer": "SELECT ?value ?s WHERE { ?s <http://example.org/n> ?value }",
    "iri": "SELECT ?value ?o WHERE { ?value <http://example.org/p> ?o }",
}
SPARQL_NOISE = st.sampled_from(['"', "'", "}", "{", "<", ">", "#", "\n", ";", ".", "?s", "UNION", "DROP ALL",
                                "FILTER(true)", "\\", "^^", "@en", "http://example.org/s1", "} SELECT * {"])
HOSTILE = st.lists(st.one_of(st.text(max_size=8), SPARQL_NOISE), max_size=8).map("".join)


def canned(ptype: str) -> queries.CannedQuery:
    return queries.CannedQuery("fuzz", Path("fuzz.rq"), BY_VALUE[ptype], "fuzz", "fuzz",
                               [queries.Param("value", ptype, "", "fuzzed value")])


def values_query(ptype: str, term) -> str:
    """The same query with the term written by the serialiser into a VALUES block (the reference)."""
    return BY_VALUE[ptype].replace("WHERE {", f"WHERE {{ VALUES ?value {{ {term} }}", 1)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ptype=st.sampled_from(["string", "integer", "iri"]), value=HOSTILE)
def test_any_value_is_refused_or_bound_as_one_term(ptype: str, value: str):
    q = canned(ptype)
    try:
        subs = queries.bindings(q, {"value": value})
    except queries.QueryError:
        return  # refused: not a valid value of its type
    if value == "":
        assert subs == {}  # an empty value leaves the parameter unbound: the query answers for all values
        return
    term = subs[ox.Variable("value")]
    _, rows = queries.rows(queries.run(STORE, q, {"value": value}))
    _, reference = queries.rows(queries.run(STORE, values_query(ptype, term)))
    assert {tuple(sorted((k, str(v)) for k, v in r.items())) for r in rows} == \
           {tuple(sorted((k, str(v)) for k, v in r.items())) for r in reference}
    assert all(r["value"] == term for r in rows)
    assert len(rows) <= 5


@settings(max_examples=200, deadline=None)
@given(value=HOSTILE)
def test_string_values_are_kept_verbatim(value: str):
    term = queries.to_term(queries.Param("x", "string", "", ""), value)
    assert isinstance(term, ox.Literal) and term.value == value
