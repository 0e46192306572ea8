"""`kg import` and `kg export --format csv`: the lossless round trip, all-or-nothing writes, errors
named by row and column, dry runs, and cases from a new user reaching the queries."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from conftest import FIXTURES, ROOT, make_project, run_kg
from kg import importer

REFERENCE = ROOT.parent / "shared" / "reference" / "cases.csv"
# Cases of the dossier not shipped (none: the two whose sources name no statistical office are
# imported with nsp:withoutStatisticalOffice true, which the shapes accept with a Warning).
LEFT_OUT: set[str] = set()
NO_OFFICE = "no statistical office or producer of official statistics among"


def _project(tmp_path: Path) -> Path:
    """The real ontology, shapes, vocabularies, laws and organisations, and no cases."""
    files = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "data" / "laws").glob("*.ttl"))]
    return make_project(tmp_path / "project", files + ["data/organisations.ttl"])


def _cases(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "data" / "cases").glob("*.ttl"))}


def test_shipped_cases_are_the_dossier_minus_the_documented_exceptions():
    with open(REFERENCE, newline="", encoding="utf-8") as handle:
        ids = {r["id"] for r in csv.DictReader(handle)}
    assert len(ids) == 79
    assert set(_cases(ROOT)) == ids - LEFT_OUT


def _rows(path: Path = REFERENCE) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=importer.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_dossier_rows_left_out_are_reported_by_row_and_column(tmp_path: Path):
    result = importer.run_import(REFERENCE, _project(tmp_path))
    rows = {r["id"]: n for n, r in enumerate(_rows(), 1)}
    assert {(p.row, p.column) for p in result.problems} == {(rows[i], "organisations") for i in LEFT_OUT}
    # the rows without a statistical office are named as warnings, whatever the shapes say
    no_office = {"EU-JRC-MNO-COVID", "ES-BBVA-CARD"}  # European Commission; BBVA Research
    assert {(w.row, w.column) for w in result.row_warnings} == {(rows[i], "organisations") for i in no_office}
    assert all(NO_OFFICE in w.message for w in result.row_warnings)


def test_round_trip_of_the_whole_file_is_lossless(tmp_path: Path, shipped_store: Path):
    out = tmp_path / "cases.csv"
    result = run_kg("export", "--format", "csv", "--out", str(out), data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    project = _project(tmp_path)
    result = run_kg("import", str(out), root=project)
    assert result.returncode == 0, result.stderr + result.stdout
    shipped, imported = _cases(ROOT), _cases(project)
    assert set(imported) == set(shipped) and len(shipped) == 79 - len(LEFT_OUT)
    for case_id, path in shipped.items():
        a, b = rdflib.Graph().parse(path), rdflib.Graph().parse(imported[case_id])
        if not isomorphic(a, b):
            _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
            pytest.fail(f"{case_id}: shipped only {sorted(only_a)[:3]}; imported only {sorted(only_b)[:3]}")


def test_a_file_with_errors_writes_nothing_and_names_every_bad_row_and_column(tmp_path: Path):
    project = _project(tmp_path)
    result = run_kg("import", str(FIXTURES / "cases-bad.csv"), root=project)
    assert result.returncode == 1
    err = result.stderr
    assert "row 2, column partners: unknown organisation 'Statistcs Norway'; did you mean 'Statistics Norway'?" in err
    assert "row 3, column type: 'supplier' is not a partnership type" in err
    assert "row 3, column start_year: '20x1' is not a year" in err
    assert "row 4, column countries: unknown country 'Atlantis'" in err
    # Bank of England is not typed as a producer of official statistics: a warning, not an error
    assert f"row 5, column organisations: {NO_OFFICE} 'Bank of England' or the partners; recorded as a case without statistical office" in err
    assert "row 1," not in err  # the good row is not blamed ...
    assert "nothing was written" in err
    assert not (project / "data" / "cases").exists()  # ... and not written either


def test_dry_run_writes_nothing(tmp_path: Path):
    project = _project(tmp_path)
    before = (project / "data" / "organisations.ttl").read_text(encoding="utf-8")
    result = run_kg("import", str(FIXTURES / "cases-new-user.csv"), "--dry-run", "--allow-new-organisations", root=project)
    assert result.returncode == 0, result.stderr
    assert "would write data/cases/NEWUSER-SCAN.ttl" in result.stdout
    assert "would write data/organisations.ttl" in result.stdout
    assert not (project / "data" / "cases").exists()
    assert (project / "data" / "organisations.ttl").read_text(encoding="utf-8") == before


def test_unknown_organisation_without_the_flag_is_refused_with_a_suggestion(tmp_path: Path):
    result = run_kg("import", str(FIXTURES / "cases-new-user.csv"), root=_project(tmp_path))
    assert result.returncode == 1
    assert "row 1, column partners: unknown organisation 'Canadian grocery chains'; did you mean" in result.stderr


def test_a_new_users_cases_reach_the_queries(tmp_path: Path):
    project = _project(tmp_path)
    result = run_kg("import", str(FIXTURES / "cases-new-user.csv"), "--allow-new-organisations", root=project)
    assert result.returncode == 0, result.stderr
    assert "<https://w3id.org/nso-partnership/id/org/CAN-CANADIAN-GROCERY-CHAINS>" in (project / "data" / "organisations.ttl").read_text()
    data_dir = tmp_path / "store"
    assert run_kg("build", root=project, data_dir=data_dir).returncode == 0
    result = run_kg("query", "cases-by-type", "--param", "type=pt:co-creation", "--format", "csv", root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["id"], r["countryLabel"], r["outcome"].rsplit("/", 1)[-1]) for r in rows] == [("NEWUSER-SCAN", "Canada", "unsuccessful")]
    # the legal-basis text 'Statistics Act s. 13' was resolved to the article in data/laws/can.ttl
    text = (project / "data" / "cases" / "NEWUSER-SCAN.ttl").read_text()
    assert "nsp:legalBasis <https://w3id.org/nso-partnership/eli/can/act/1985/s-19/sec_13>" in text


def test_cell_parsing():
    assert importer.split_top("A (x; y); B [r]; C") == ["A (x; y)", "B [r]", "C"]
    assert importer.trailing_group("Statistics Norway (partner)") == ("Statistics Norway", "partner")
    assert importer.trailing_links("Statistics Act [eli/can/act/1985/s-19]") == ("Statistics Act", ["eli/can/act/1985/s-19"])
    assert importer.derive_agreements("MoU (signed 2017); unknown (contract)") == [("mou", "MoU (signed 2017)")]
    assert importer.derive_data_source_types("Boosted SIM cards and bandwidth") == ["it-service"]


def test_legal_basis_articles_are_linked():
    for case, article in (("FR-INSEE-SCANNER", "eli/fra/loi/1951/51-711/art_3bis"),
                          ("CA-STATCAN-CREDIT-BANKS", "eli/can/act/1985/s-19/sec_13")):
        g = rdflib.Graph().parse(ROOT / "data" / "cases" / f"{case}.ttl")
        assert rdflib.URIRef("https://w3id.org/nso-partnership/" + article) in set(g.objects(None, importer.NSP.legalBasis))


def test_an_international_case_validates_with_the_international_area(tmp_path: Path):
    project = _project(tmp_path)
    row = next(r for r in _rows() if r["id"] == "SDMX-SPONSORS")
    assert row["countries"] == "international"
    result = run_kg("import", str(_write_rows(tmp_path / "int.csv", [row])), root=project)
    assert result.returncode == 0, result.stderr
    g = rdflib.Graph().parse(project / "data" / "cases" / "SDMX-SPONSORS.ttl")
    case = rdflib.URIRef("https://w3id.org/nso-partnership/id/case/SDMX-SPONSORS")
    assert set(g.objects(case, rdflib.DCTERMS.spatial)) == {rdflib.URIRef("https://w3id.org/nso-partnership/id/area/INT")}
    assert run_kg("validate", root=project).returncode == 0
    # a case with countries and 'international' keeps both
    g = rdflib.Graph().parse(ROOT / "data" / "cases" / "UNECE-SANDBOX-ICHEC.ttl")
    assert {str(o).rsplit("/", 1)[-1] for o in g.objects(None, rdflib.DCTERMS.spatial)} == {"IRL", "INT"}


def test_a_statistics_producer_leads_its_case():
    g = rdflib.Graph().parse(ROOT / "data" / "cases" / "EE-EESTIPANK-POSITIUM.ttl")
    bank = rdflib.URIRef("https://w3id.org/nso-partnership/id/org/EST-EESTIPANK")
    part = next(g.subjects(rdflib.URIRef("http://www.w3.org/ns/prov#agent"), bank))
    assert {str(r).rsplit("/", 1)[-1] for r in g.objects(part, rdflib.URIRef("http://www.w3.org/ns/prov#hadRole"))} == {"lead-nso"}
    assert (None, importer.NSP.withoutStatisticalOffice, None) not in g


def _no_office_row() -> dict[str, str]:
    row = dict(next(r for r in _rows() if r["id"] == "ES-BBVA-CARD"))
    row["id"] = "TEST-NO-OFFICE"
    return row


def test_a_row_without_statistical_office_is_flagged_with_a_warning(tmp_path: Path):
    project = _project(tmp_path)
    path = _write_rows(tmp_path / "no-office.csv", [_no_office_row()])
    result = importer.run_import(path, project)
    [case] = result.cases
    assert (None, importer.NSP.withoutStatisticalOffice, rdflib.Literal(True)) in case.graph
    [warning] = result.row_warnings
    assert str(warning) == (f"row 1, column organisations: {NO_OFFICE} 'BBVA Research' or the partners; "
                            "recorded as a case without statistical office")
    cli = run_kg("import", str(path), "--dry-run", root=project)
    assert str(warning) in cli.stderr.splitlines()
    # an unknown organisation is still refused, flag or no flag
    bad = _write_rows(tmp_path / "unknown.csv", [{**_no_office_row(), "organisations": "Banco de Atlantis"}])
    cli = run_kg("import", str(bad), root=project)
    assert cli.returncode == 1 and "row 1, column organisations: unknown organisation 'Banco de Atlantis'" in cli.stderr


def test_a_row_without_statistical_office_is_imported_with_exit_0(tmp_path: Path):
    project = _project(tmp_path)
    cli = run_kg("import", str(_write_rows(tmp_path / "no-office.csv", [_no_office_row()])), root=project)
    assert cli.returncode == 0, cli.stderr
    text = (project / "data" / "cases" / "TEST-NO-OFFICE.ttl").read_text()
    assert "nsp:withoutStatisticalOffice true" in text


@pytest.mark.parametrize("text, category", [
    ("Licence compatibility of municipal open data with OSM's ODbL", "legal"),
    ("Privacy (aggregation required)", "privacy-data-protection"),
    ("data protection law still being put in place", "privacy-data-protection"),
    ("Public perception (media framed it as 'tracking phones')", "public-trust"),
    ("Reputational/public trust", "public-trust"),
    ("weak cost estimates", "cost"), ("Cost/budget", "cost"), ("Long-term funding and African ownership.", "cost"),
    ("technical problems in dress rehearsals", "technical-methodological"),
    ("Methodological risks led to a cautious start", "technical-methodological"),
    ("Representativeness and artefacts of the processor's business", "data-quality"),
    ("single-operator coverage", "data-quality"), ("risk of non-response bias", "data-quality"),
    ("the operator stopped supplying data", "continuity"),
    ("commercial sensitivity of telco identities.", "commercial"), ("competition concerns of retailers", "commercial"),
    ("too few skills in the office", "skills-capacity"), ("Implementation capacity in national agencies.", "skills-capacity"),
    ("Organisational: slow start", "organisational"), ("governance", "organisational"),
    ("funding from several sources must be coordinated.", "cost"),
    ("Each partner must see benefits", "unclassified"), ("Moving governments beyond pilots", "unclassified"),
    ("GAO designated the census high-risk.", "unclassified"),
])
def test_difficulty_categories_are_found_and_never_guessed(text, category):
    assert importer.classify(text, importer.DIFFICULTY_KEYWORDS, "unclassified") == category


def test_an_unclassifiable_difficulty_is_unclassified(tmp_path: Path):
    row = {**_no_office_row(), "organisations": "Statistics Norway", "countries": "Norway",
           "difficulties": "Moving governments beyond pilots; single-operator coverage."}
    result = importer.run_import(_write_rows(tmp_path / "d.csv", [row]), _project(tmp_path))
    assert result.ok, result.problems
    g = result.cases[0].graph
    cats = {str(d): str(c).rsplit("/", 1)[-1] for d, c in g.subject_objects(importer.NSP.category) if "/difficulty/" in str(d)}
    assert sorted(cats.values()) == ["data-quality", "unclassified"]
    assert cats["https://w3id.org/nso-partnership/id/case/TEST-NO-OFFICE/difficulty/1"] == "unclassified"
