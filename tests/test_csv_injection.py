"""CSV formula injection (OWASP): every CSV/TSV the project writes for spreadsheets neutralises cells
that start with `=`, `+`, `-`, `@`, tab or carriage return; the RDF keeps the raw value; `kg export
--format csv` followed by `kg import` is still lossless; the SPARQL endpoint's own CSV is not changed."""
from __future__ import annotations

import csv
import io
import itertools
import shutil
from pathlib import Path

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from conftest import FIXTURES, make_project, run_kg
from kg import importer
from kg.csvsafe import TRIGGERS, neutralise, restore
from server_helpers import LiveServer

FORMULA = "=cmd|' /C calc'!A0"
TITLES = {  # case id -> title (the raw value that must survive every round trip)
    "EVIL-FORMULA": FORMULA,
    "EVIL-MINUS": "-5 % of the records were lost",
    "EVIL-AT": "@SUM(1+1)*cmd|' /C calc'!A0",
    "EVIL-QUOTED": "'=not a formula, quoted by hand'",
    "EVIL-APOSTROPHE": "'Big data' pilot",
}
TITLES_QUERY = ("SELECT ?id ?title (-5 AS ?minus) WHERE { ?c <https://w3id.org/nso-partnership/ontology#caseId> ?id ; "
                "<http://purl.org/dc/terms/title> ?title } ORDER BY ?id\n")


def test_neutralise_and_restore_are_inverse_on_every_short_string():
    alphabet = list(TRIGGERS) + ["'", "a", " ", "5"]
    for n in range(5):
        for chars in itertools.product(alphabet, repeat=n):
            raw = "".join(chars)
            cell = neutralise(raw)
            assert restore(cell) == raw
            assert not cell.startswith(TRIGGERS)
    assert neutralise(FORMULA) == "'" + FORMULA
    assert neutralise("'Big data' pilot") == "'Big data' pilot"  # a hand-written quote is kept as it is
    assert restore("'Big data' pilot") == "'Big data' pilot"
    assert restore("'=x") == "=x"  # the apostrophe a spreadsheet hides is not part of the value


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A project whose cases carry hostile titles, imported and built."""
    base = tmp_path_factory.mktemp("csv-injection")
    project = make_project(base / "project", ["data/laws/can.ttl", "data/organisations.ttl"])
    with open(FIXTURES / "cases-new-user.csv", newline="", encoding="utf-8") as handle:
        row = next(csv.DictReader(handle))
    source = base / "hostile.csv"
    with open(source, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=importer.COLUMNS)
        writer.writeheader()
        # written as `kg export` writes cells (a hand-written `'=x` is read as `=x`, as a spreadsheet shows it)
        writer.writerows(dict(row, id=cid, title=neutralise(title)) for cid, title in TITLES.items())
    result = run_kg("import", str(source), "--allow-new-organisations", root=project)
    assert result.returncode == 0, result.stderr
    data_dir = base / "store"
    result = run_kg("build", root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    query = base / "titles.rq"
    query.write_text(TITLES_QUERY, encoding="utf-8")
    return {"base": base, "project": project, "data_dir": data_dir, "query": query}


def test_the_rdf_keeps_the_raw_values(hostile):
    for cid, title in TITLES.items():
        text = (hostile["project"] / "data" / "cases" / f"{cid}.ttl").read_text(encoding="utf-8")
        graph = rdflib.Graph().parse(data=text, format="turtle")
        assert [str(t) for t in graph.objects(None, rdflib.DCTERMS.title)] == [title]


def test_export_neutralises_and_import_reads_back_the_same_graph(hostile, tmp_path: Path):
    out = tmp_path / "cases.csv"
    result = run_kg("export", "--format", "csv", "--out", str(out), root=hostile["project"], data_dir=hostile["data_dir"])
    assert result.returncode == 0, result.stderr
    cells = {r["id"]: r["title"] for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    assert cells == {
        "EVIL-FORMULA": "'" + FORMULA,
        "EVIL-MINUS": "'-5 % of the records were lost",
        "EVIL-AT": "'@SUM(1+1)*cmd|' /C calc'!A0",
        "EVIL-QUOTED": "''=not a formula, quoted by hand'",  # escaped once more, so it reads back as it was
        "EVIL-APOSTROPHE": "'Big data' pilot",
    }
    for reader in csv.reader(io.StringIO(out.read_text(encoding="utf-8"))):  # no cell anywhere can start a formula
        assert not any(cell.startswith(TRIGGERS) for cell in reader)
    again = tmp_path / "again"
    shutil.copytree(hostile["project"], again)
    shutil.rmtree(again / "data" / "cases")
    result = run_kg("import", str(out), "--allow-new-organisations", root=again)
    assert result.returncode == 0, result.stderr
    for cid in TITLES:
        a = rdflib.Graph().parse(hostile["project"] / "data" / "cases" / f"{cid}.ttl")
        b = rdflib.Graph().parse(again / "data" / "cases" / f"{cid}.ttl")
        assert isomorphic(a, b), cid


def test_kg_query_csv_and_tsv_neutralise_text_but_not_numbers(hostile):
    result = run_kg("query", str(hostile["query"]), "--format", "csv", root=hostile["project"], data_dir=hostile["data_dir"])
    assert result.returncode == 0, result.stderr
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows["EVIL-FORMULA"]["title"] == "'" + FORMULA
    assert rows["EVIL-MINUS"]["title"] == "'-5 % of the records were lost"
    assert rows["EVIL-APOSTROPHE"]["title"] == "'Big data' pilot"
    assert {r["minus"] for r in rows.values()} == {"-5"}  # a number stays a number
    result = run_kg("query", str(hostile["query"]), "--format", "tsv", root=hostile["project"], data_dir=hostile["data_dir"])
    assert result.returncode == 0, result.stderr
    lines = dict((line.split("\t")[0], line.split("\t")[1:]) for line in result.stdout.splitlines()[1:])
    assert lines['"EVIL-FORMULA"'] == ['"\'' + FORMULA + '"@en', "-5"]
    # json keeps the raw values (a machine format)
    result = run_kg("query", str(hostile["query"]), "--format", "json", root=hostile["project"], data_dir=hostile["data_dir"])
    assert FORMULA in result.stdout and "'" + FORMULA not in result.stdout


def test_server_downloads_neutralise_and_the_sparql_endpoint_does_not(hostile):
    server = LiveServer(hostile["data_dir"])
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            r = http.get("/queries/cases-by-type.csv")
            assert r.status_code == 200, r.text
            titles = {row["id"]: row["title"] for row in csv.DictReader(io.StringIO(r.text))}
            assert titles["EVIL-FORMULA"] == "'" + FORMULA
            assert titles["EVIL-AT"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
            r = http.get("/queries/cases-by-type.tsv")
            assert r.status_code == 200, r.text
            assert '"\'' + FORMULA + '"@en' in r.text and '\t"' + FORMULA not in r.text
            # /sparql text/csv is the SPARQL 1.1 CSV results format for machine clients: raw values
            r = http.get("/sparql", params={"query": TITLES_QUERY}, headers={"Accept": "text/csv"})
            assert r.status_code == 200, r.text
            raw = {row["id"]: row["title"] for row in csv.DictReader(io.StringIO(r.text))}
            assert raw["EVIL-FORMULA"] == FORMULA
    finally:
        server.stop()
