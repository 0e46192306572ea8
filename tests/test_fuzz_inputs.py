"""Property-based tests for the inputs strangers control: the Accept header and the curators' CSV."""
from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_project, write_csv
from kg.server import conneg

OFFERS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
TOKENS = st.sampled_from(["*/*", "text/*", "text/csv", "application/sparql-results+json", "application/json",
                          "text/turtle", "application/*", "*", "text", ";q=0", ";q=0.5", ";q=1", ";q=abc", ";q=nan",
                          ";q=-1", ";q=2", ";level=1", ",", " ", '"', "=", ";", "/"])
HEADERS = st.one_of(st.text(max_size=40), st.lists(TOKENS, max_size=12).map("".join))


@settings(max_examples=500, deadline=None)
@given(header=HEADERS)
def test_accept_parsing_never_fails_and_picks_an_acceptable_offer(header: str):
    ranges = conneg.parse_accept(header)
    assert all(0.0 <= r.q <= 1.0 for r in ranges)
    choice = conneg.best_match(header, OFFERS)
    assert choice is None or choice in OFFERS
    if choice is not None and ranges:
        assert conneg.quality(ranges, choice) > 0 or choice in ("application/sparql-results+json", "application/sparql-results+xml")


@settings(max_examples=200, deadline=None)
@given(offer=st.sampled_from(OFFERS), rest=st.lists(st.sampled_from(OFFERS), max_size=3))
def test_an_offer_refused_with_q0_is_never_chosen(offer: str, rest: list[str]):
    header = ", ".join([f"{offer};q=0", *rest, "*/*;q=0.1"])
    assert conneg.best_match(header, OFFERS) != offer


HEADER_ROW = ["id", "title", "organisations", "countries", "partners", "partner_sectors", "type", "secondary_type",
              "exchanged", "start_year", "end_year", "status", "outcome", "difficulties", "lessons", "legal_basis",
              "sources", "confidence"]
TEMPLATE = {"id": "FUZZ-CASE-1", "title": "Fuzz case", "organisations": "Statistics Canada", "countries": "Canada",
            "partners": "Fuzz Partner Ltd", "partner_sectors": "private company", "type": "supplier-recipient",
            "secondary_type": "", "exchanged": "scanner data", "start_year": "2019", "end_year": "", "status": "ongoing",
            "outcome": "successful: it worked", "difficulties": "Legal: unclear basis", "lessons": "Start small",
            "legal_basis": "unknown", "sources": "https://example.org/a", "confidence": "seen"}
NASTY = st.one_of(st.text(max_size=60), st.sampled_from([
    '"', '"""', "'", "\\", "\\u0000", "\n", "\r\n", "<", ">", "@prefix x: <http://x/> .", "} ; DROP", "; ;", "|", "||",
    "(((", ")", "[eli/none/art_1]", "unknown", "http://", "javascript:alert(1)", "2019", "-1", "99999", "é", "\u202e"]))


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("fuzz") / "project", ["data/laws/can.ttl"])


def _one_row_is_reported_or_valid(project: Path, row: dict[str, str], header: list[str]) -> None:
    """Import one row: either its problems name row 1 and a real column, or every planned file is
    Turtle that pyoxigraph's strict parser loads."""
    from kg import importer

    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "cases.csv", [row], header)
        try:
            result = importer.run_import(path, project, allow_new=True)
        except importer.ImportError_:
            return  # unreadable input: reported as such
    if not result.ok:
        assert all(p.row == 1 and p.column in header for p in result.problems), result.problems
        return
    for planned_path, text in importer.planned_files(result, project).items():
        quads = list(ox.parse(text.encode(), format=ox.RdfFormat.TURTLE, base_iri="https://w3id.org/nso-partnership/"))
        assert quads, planned_path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(["title", "partners", "exchanged", "difficulties", "lessons", "legal_basis", "outcome",
                               "start_year", "end_year", "status", "type", "sources", "countries", "partner_sectors"]),
       value=NASTY)
def test_any_cell_is_reported_or_yields_valid_strict_turtle(fuzz_project: Path, column: str, value: str):
    _one_row_is_reported_or_valid(fuzz_project, {**TEMPLATE, column: value}, HEADER_ROW)


@pytest.mark.parametrize("value", ["0\x850", "a\u2028b", "a\u2029b", "a\x0bb", "a\x0cb", "line one\r\nline two", "cr\ronly"])
def test_line_break_characters_survive_the_round_trip_to_turtle(fuzz_project: Path, tmp_path: Path, value: str):
    """Found by the property test above: U+0085 in a title made the importer write an unloadable file."""
    from kg import importer

    path = tmp_path / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER_ROW)
        writer.writeheader()
        writer.writerow({**TEMPLATE, "title": value})
    result = importer.run_import(path, fuzz_project, allow_new=True)
    assert result.ok, result.problems
    (text,) = [t for p, t in importer.planned_files(result, fuzz_project).items() if "cases" in p.parts]
    titles = [q.object.value for q in ox.parse(text.encode(), format=ox.RdfFormat.TURTLE,
                                                base_iri="https://w3id.org/nso-partnership/")
              if q.predicate.value == "http://purl.org/dc/terms/title"]
    assert titles == [value]


# The explicit columns (what `kg export --format csv` writes): flows separated by ' || ', roles in
# brackets, categories and agreements checked against the vocabularies.
EXPLICIT_TEMPLATE = {**TEMPLATE, "partners": "Fuzz Partner Ltd [data-supplier]", "exchanged": "scanner data || advice",
                     "data_providers": "Fuzz Partner Ltd || Statistics Canada", "data_recipients": "Statistics Canada || ",
                     "data_source_types": "scanner-transaction || expertise", "privately_held": "yes || no",
                     "difficulties": "legal: unclear basis for the supply | Coverage of one chain only",
                     "lessons": "start-small, knowledge-sharing: start with one chain", "legal_basis": "Statistics Act [eli/can/act/1985/s-19] || ",
                     "agreements": "contract (2019) [Statistics Canada; Fuzz Partner Ltd]: supply contract || mou (year unknown) [Statistics Canada]: x",
                     "confidence": "secondary"}
EXPLICIT_NASTY = st.one_of(NASTY, st.sampled_from([
    "||", " || || ", "[", "[]", "[lead-nso", "x [funder, ]", "Statistics Canada []", "Statistics Canada [funder] [adviser]",
    "legal, : x", ": : x", "legal:x", "unclassified:", "contract (2019) []: x", "contract () [Statistics Canada]: x",
    "contract-0 (2019) [Statistics Canada]: x", "contract-2 (2019) [Statistics Canada]: a | contract-2 (2020) [Statistics Canada]: b",
    "yes || yes || yes", "YES", "scanner-transaction;;expertise", "Fuzz Partner Ltd; Statistics Canada"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(column=st.sampled_from(["organisations", "partners", "exchanged", "data_providers", "data_recipients", "data_source_types",
                               "privately_held", "difficulties", "lessons", "legal_basis", "agreements"]),
       value=EXPLICIT_NASTY)
def test_any_explicit_cell_is_reported_or_yields_valid_strict_turtle(fuzz_project: Path, column: str, value: str):
    from kg import importer

    _one_row_is_reported_or_valid(fuzz_project, {**EXPLICIT_TEMPLATE, column: value}, importer.COLUMNS)


def test_the_explicit_template_imports_as_written(fuzz_project: Path, tmp_path: Path):
    """The template the property test mutates is itself valid, so a mutation is what gets tested."""
    from kg import importer

    path = tmp_path / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=importer.COLUMNS)
        writer.writeheader()
        writer.writerow(EXPLICIT_TEMPLATE)
    result = importer.run_import(path, fuzz_project, allow_new=True)
    assert result.ok, result.problems
    [case] = result.cases
    assert len(set(case.graph.objects(None, importer.NSP.hasDataFlow))) == 2
    assert len(set(case.graph.subjects(None, importer.NSP.Agreement))) == 2
