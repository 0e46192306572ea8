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


# ----------------------------------------------------------------------------- paging

CAN_LAW = "https://w3id.org/nso-partnership/eli/can/act/1985/s-19"


def test_page_header_and_reserved_parameter_names(tmp_path: Path):
    path = tmp_path / "q.rq"
    path.write_text("# title: T\n# description: d\n# page: 25\nSELECT * WHERE { ?s ?p ?o }\n")
    assert queries.parse_header(path).page == 25
    path.write_text("# title: T\n# description: d\nSELECT * WHERE { ?s ?p ?o }\n")
    assert queries.parse_header(path).page is None
    for bad in ("# page: 0", "# page: -3", "# page: many"):
        path.write_text(f"# title: T\n{bad}\nSELECT * {{}}\n")
        with pytest.raises(queries.QueryError, match="bad page line"):
            queries.parse_header(path)
    path.write_text("# param: limit | integer | 5 | clashes with paging\nSELECT ?limit {}\n")
    with pytest.raises(queries.QueryError, match="reserved for paging"):
        queries.parse_header(path)


def test_paged_puts_limit_and_offset_at_the_end_or_at_the_page_slice_line():
    text = 'SELECT ?s WHERE { ?s ?p "a # b" } # a comment\nORDER BY ?s'
    assert queries.paged(text) == text and queries.paged(text, None, 0) == text
    assert queries.paged(text, 10, 20).endswith("ORDER BY ?s\nLIMIT 10 OFFSET 20\n")
    assert queries.paged(text, 10).endswith("\nLIMIT 10\n") and queries.paged(text, None, 5).endswith("\nOFFSET 5\n")
    nested = "SELECT * WHERE {\n  { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n    # page-slice\n  }\n}\nORDER BY ?s\n"
    assert queries.paged(nested, 3, 6) == nested.replace("# page-slice", "LIMIT 3 OFFSET 6")
    assert queries.paged(nested) == nested  # every row: the marker stays a comment
    ordered = nested.replace("} ORDER BY ?s\n    # page-slice", "}\n    # page-slice: ORDER BY ?s")
    assert queries.paged(ordered, 3, 6) == nested.replace("} ORDER BY ?s\n    # page-slice", "}\n    ORDER BY ?s LIMIT 3 OFFSET 6")
    assert queries.paged(ordered) == ordered  # every row: no order needed inside, the marker stays a comment
    for limit, offset in ((-1, 0), ("x", 0), (True, 0), (1.5, 0), (5, -2), (5, "1; DROP")):
        with pytest.raises(queries.QueryError, match="must be a non-negative integer"):
            queries.paged(text, limit, offset)
    with pytest.raises(queries.QueryError, match="its own LIMIT"):
        queries.paged("SELECT * WHERE { ?s ?p ?o } LIMIT 5", 3)


def _numbers(store, **paging) -> list[str]:
    q = queries.resolve("law-articles", ROOT)
    _, rows = queries.rows(queries.run(store, q, {"law": CAN_LAW}, **paging))
    return [r["number"].value for r in rows]


def test_pages_of_a_listing_on_the_shipped_store(store):
    assert queries.resolve("law-articles", ROOT).page == 100
    every_can = _numbers(store)  # run() without a page: every row
    assert len(every_can) > 8 and len(set(every_can)) == len(every_can)
    assert _numbers(store, limit=4) == every_can[:4]
    assert _numbers(store, limit=4, offset=4) == every_can[4:8]
    assert _numbers(store, limit=4, offset=len(every_can)) == []
    # the default page of every law's articles: rows 1-100, then 101-200
    q = queries.resolve("law-articles", ROOT)
    every = [tuple(r.values()) for r in queries.rows(queries.run(store, q))[1]]
    first = [tuple(r.values()) for r in queries.rows(queries.run(store, q, limit=q.page))[1]]
    second = [tuple(r.values()) for r in queries.rows(queries.run(store, q, limit=q.page, offset=q.page))[1]]
    assert len(every) > 100 and (len(first), len(second)) == (100, min(100, len(every) - 100))
    assert first + second == every[:200]


def _cells(row: dict) -> tuple:
    """A row as text, with GROUP_CONCAT lists sorted (their order is the engine's)."""
    out = []
    for term in row.values():
        text = queries.term_text(term, compact=False)
        sep = next((s for s in ("; ", " | ") if s in text), None)
        out.append(sep.join(sorted(text.split(sep))) if sep else text)
    return tuple(out)


def test_every_listing_pages_through_its_whole_result_in_order(store):
    """For every canned query with a page size: pages of 37 rows, one after the other, are the whole
    result in its order (the ORDER BY of a paged query is total, and a page-slice cuts the same rows)."""
    listings = [q for q in queries.discover(ROOT).values() if q.page]
    assert len(listings) >= 20
    for q in listings:
        every = [_cells(r) for r in queries.rows(queries.run(store, q))[1]]
        pages, offset = [], 0
        while True:
            page = [_cells(r) for r in queries.rows(queries.run(store, q, limit=37, offset=offset))[1]]
            pages += page
            if len(page) < 37:
                break
            offset += 37
        assert pages == every, q.name
