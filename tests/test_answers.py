"""Answers of the canned queries computed by the build (kg/answers.py): every page read from them equals
the page the query itself gives, on the shipped graph and on a generated one; anything the build did
not compute (other parameters, an edited query, rows past those kept) runs the query; the web page and
`kg query` use them; a build whose answers fail lands nothing."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import answers, queries
from kg.store import current_path, open_store, write_new

from conftest import built, run_kg
from server_helpers import LiveServer


def cells(result) -> list[tuple]:
    variables = [v.value for v in result.variables]
    return [tuple(None if row[v] is None else str(row[v]) for v in variables) for row in result]


def pages_of(canned: queries.CannedQuery, kept: int) -> list[tuple[int, int]]:
    """(limit, offset): the first two pages, an odd slice, the last page kept, past the end, page 50."""
    n = canned.page or 100
    return [(n, 0), (n, n), (7, 13), (n, max(0, kept - n // 2)), (n, kept + 5), (n, 49 * n)]


def compare_all(store: ox.Store, data_dir: Path, root: Path | None = None) -> int:
    """Every canned query the build kept: each page from the answers equals the live page. Pages compared."""
    directory = current_path(data_dir)
    kept = dict(__import__("sqlite3").connect(directory / answers.ANSWERS).execute("SELECT name, kept FROM query"))
    compared = 0
    for name, canned in queries.discover(root).items():
        if name not in kept:
            continue
        for limit, offset in pages_of(canned, kept[name]):
            found = answers.page(directory, canned, {}, limit, offset)
            assert found is not None, (name, limit, offset)
            live = queries.run(store, canned, {}, limit=limit, offset=offset)
            got = answers.solutions(store, *found)
            assert found[0] == [v.value for v in live.variables], name
            assert cells(got) == cells(live), (name, limit, offset)
            compared += 1
    return compared


def test_every_page_from_the_answers_equals_the_query_on_the_shipped_graph(store, shipped_store):
    names = {row[0] for row in __import__("sqlite3").connect(current_path(shipped_store) / answers.ANSWERS).execute(
        "SELECT name FROM query")}
    selects = {n for n, q in queries.discover().items() if isinstance(queries.run(store, q, {}, limit=1), ox.QuerySolutions)}
    assert names == selects  # every canned SELECT query is kept (none of them answers with blank nodes)
    assert compare_all(store, shipped_store) == 6 * len(names)


def test_every_page_from_the_answers_equals_the_query_on_a_generated_graph(tmp_path_factory):
    from bench.generate import generate

    project = tmp_path_factory.mktemp("generated") / "project"
    generate(10_000, project, seed=7)
    _, data_dir = built(project, project.parent / "store")
    store = open_store(data_dir)
    assert compare_all(store, data_dir, project) > 200


def test_what_the_build_did_not_compute_runs_the_query(store, shipped_store):
    directory = current_path(shipped_store)
    canned = queries.discover()["gap-findings"]
    assert answers.page(directory, canned, {}, 100, 0) is not None
    assert answers.page(directory, dataclasses.replace(canned, text=canned.text + "\n# edited\n"), {}, 100, 0) is None
    every = answers.page(directory, canned, {}, None, 0)  # every row: kept whole
    assert cells(answers.solutions(store, *every)) == cells(queries.run(store, canned, {})) != []
    with_param = next(q for q in queries.discover().values() if q.params and q.page)
    param = with_param.params[0]
    assert answers.page(directory, with_param, {param.name: param.default}, 10, 0) is not None  # the default is kept
    assert answers.page(directory, with_param, {param.name: "http://example.org/other"}, 10, 0) is None
    assert answers.page(Path("/nonexistent"), canned, {}, 10, 0) is None


def test_rows_past_those_kept_run_the_query(tmp_path, store, monkeypatch):
    monkeypatch.setattr(answers, "MAX_ROWS", 5)
    canned = queries.discover()["gap-findings"]
    kept = answers.write(store, tmp_path)
    assert kept["gap-findings"] == 5
    assert answers.page(tmp_path, canned, {}, 5, 0) is not None and answers.page(tmp_path, canned, {}, 3, 2) is not None
    assert answers.page(tmp_path, canned, {}, 5, 1) is None  # row 6 was not kept: more rows may follow
    assert answers.page(tmp_path, canned, {}, None, 0) is None  # nor every row


def test_a_build_whose_answers_fail_lands_nothing(tmp_path):
    quad = ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o"),
                   ox.NamedNode("http://example.org/g"))
    first = write_new(tmp_path, lambda s: s.add(quad))

    def fail(store, directory):
        (directory / answers.ANSWERS).write_text("half")
        raise RuntimeError("answers failed")

    with pytest.raises(RuntimeError, match="answers failed"):
        write_new(tmp_path, lambda s: s.add(quad), finish=fail)
    assert current_path(tmp_path) == first.resolve()
    assert [p.name for p in tmp_path.glob("store-*")] == [first.name]


def test_kg_query_and_the_web_page_read_the_answers(shipped_store, store):
    canned = queries.discover()["gap-findings"]
    live = queries.run(store, canned, {}, limit=canned.page, offset=canned.page)
    variables = [v.value for v in live.variables]
    expected = [{v: None if row[v] is None else row[v].value for v in variables} for row in live]
    assert len(expected) > 1
    result = run_kg("query", "gap-findings", "--offset", str(canned.page), "--format", "json", data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    got = __import__("json").loads(result.stdout)["results"]["bindings"]
    assert [{v: b[v]["value"] if v in b else None for v in variables} for b in got] == expected
    server = LiveServer(shipped_store, "--workers", "1")
    try:
        import httpx

        with httpx.Client(base_url=server.url, timeout=30) as http:
            r = http.get("/queries/gap-findings.json", params={"limit": canned.page, "offset": canned.page})
            assert r.status_code == 200 and r.headers["X-KG-Lane"] == "answers"
            assert r.json()["rows"] == expected
            with_param = next(q for q in queries.discover().values() if q.params and q.page and q.params[0].type == "iri")
            other = http.get(f"/queries/{with_param.name}.json",
                             params={with_param.params[0].name: "http://example.org/none", "limit": 10})
            assert other.status_code == 200 and other.headers["X-KG-Lane"] == "worker"  # not computed by the build
            page = http.get("/queries/gap-findings", params={"offset": canned.page})
            assert page.status_code == 200 and 'class="page-next"' in page.text and expected[0]["case"] in page.text
            assert "(kept by the build)" in page.text
    finally:
        server.stop()
