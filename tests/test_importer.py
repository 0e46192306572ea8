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
# Cases of the dossier that cannot be shipped without inventing a fact (see the README, "Cases"):
# no country (only 'international') or no statistical office among the participants.
LEFT_OUT = {"EE-EESTIPANK-POSITIUM", "EU-JRC-MNO-COVID", "ES-BBVA-CARD", "UN-GWG-UNGP", "UNSD-GOOGLE-DATACOMMONS",
            "SDMX-SPONSORS", "HLGMOS-STANDARDS", "PARIS21-GENDER-MEDIA-COURSE"}


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


def test_the_dossier_rows_left_out_are_reported_by_row_and_column(tmp_path: Path):
    result = importer.run_import(REFERENCE, _project(tmp_path))
    bad = {(p.row, p.column) for p in result.problems}
    assert bad == {(15, "organisations"), (20, "organisations"), (79, "organisations"),
                   (68, "countries"), (71, "countries"), (72, "countries"), (73, "countries"), (78, "countries")}


def test_round_trip_of_the_whole_file_is_lossless(tmp_path: Path, shipped_store: Path):
    out = tmp_path / "cases.csv"
    result = run_kg("export", "--format", "csv", "--out", str(out), data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    project = _project(tmp_path)
    result = run_kg("import", str(out), root=project)
    assert result.returncode == 0, result.stderr + result.stdout
    shipped, imported = _cases(ROOT), _cases(project)
    assert set(imported) == set(shipped) and len(shipped) == 71
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
    assert "row 5, column organisations: A case needs at least one participant that is a statistical office" in err
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
