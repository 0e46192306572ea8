"""Query step: header metadata, safe parameter binding, result formats."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT
from kg import queries

HEADERLESS = "SELECT * WHERE { ?s ?p ?o }"


def test_every_canned_query_has_title_description_and_typed_params():
    found = queries.discover(ROOT)
    assert len(found) >= 5
    for q in found.values():
        assert q.title and q.title != q.name, q.name
        assert q.description, q.name
        for p in q.params:
            assert p.type in queries.PARAM_TYPES
            assert f"?{p.name}" in q.text.split("WHERE")[0], f"{q.name}: parameter {p.name} must be projected"


def test_header_parsing(tmp_path: Path):
    path = tmp_path / "q.rq"
    path.write_text("# title: T\n# description: one\n# description: two\n# param: year | integer | 2020 | The year\n\nSELECT ?year WHERE {}\n")
    q = queries.parse_header(path)
    assert (q.title, q.description) == ("T", "one two")
    assert q.params == [queries.Param("year", "integer", "2020", "The year")]


def test_bad_param_line_is_reported(tmp_path: Path):
    path = tmp_path / "q.rq"
    path.write_text("# param: year integer 2020\nSELECT * {}\n")
    with pytest.raises(queries.QueryError, match="bad param line"):
        queries.parse_header(path)


@pytest.mark.parametrize("ptype,value", [
    ("iri", "not an iri"), ("iri", "x> } ; DROP ALL ; { <y"), ("integer", "20 OR 1=1"),
    ("date", "2020-1-1"), ("boolean", "yes"),
])
def test_values_that_are_not_of_their_type_are_refused(ptype: str, value: str):
    with pytest.raises(queries.QueryError, match="is not a valid"):
        queries.to_term(queries.Param("x", ptype, "", ""), value)


def test_a_string_parameter_is_a_literal_and_cannot_change_the_query():
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("v"), ox.DefaultGraph()))
    q = queries.CannedQuery("t", Path("t.rq"), "SELECT ?name ?s WHERE { ?s ?p ?o }", "t", "t",
                            [queries.Param("name", "string", "", "")])
    hostile = '" } ?s ?p ?o . FILTER(true) } #'
    _, rows = queries.rows(queries.run(store, q, {"name": hostile}))
    assert [r["name"].value for r in rows] == [hostile]


def test_unknown_parameter_and_unknown_query_are_errors():
    q = queries.resolve("private-data-access", ROOT)
    with pytest.raises(queries.QueryError, match="unknown parameter"):
        queries.bindings(q, {"nope": "1"})
    with pytest.raises(queries.QueryError, match="no query named"):
        queries.resolve("no-such-query", ROOT)


def test_prefixed_names_expand():
    assert queries.expand("country:FRA") == "http://publications.europa.eu/resource/authority/country/FRA"
    assert queries.expand("https://example.org/x") == "https://example.org/x"


def test_formats_on_the_shipped_store(store):
    q = queries.resolve("private-data-access", ROOT)
    params = {"country": "country:CAN"}
    as_csv = list(csv.DictReader(io.StringIO(queries.format_result(queries.run(store, q, params), "csv"))))
    as_json = json.loads(queries.format_result(queries.run(store, q, params), "json"))
    assert as_csv and len(as_csv) == len(as_json["results"]["bindings"])
    assert {r["country"] for r in as_csv} == {"http://publications.europa.eu/resource/authority/country/CAN"}
    assert "sec_13" in " ".join(r["article"] for r in as_csv)
    table = queries.format_result(queries.run(store, q, params), "table")
    assert "country:CAN" in table and table.rstrip().endswith(f"{len(as_csv)} rows" if len(as_csv) != 1 else "1 row")
