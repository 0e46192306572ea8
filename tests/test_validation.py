"""Validate step: exact results on known-bad fixtures; the shipped data conforms."""
from __future__ import annotations

import shutil
from pathlib import Path

from conftest import FIXTURES, ROOT, run_kg
from kg.pipeline import check, load
from kg.sources import discover

BASE = "https://w3id.org/nso-partnership/"


def test_shipped_data_has_no_violations():
    report = check(load(discover(ROOT)), ROOT)
    assert report.violations == [], "\n".join(f"{r.focus} {r.path} {r.message}" for r in report.violations[:20])


def _results(project: Path):
    report = check(load(discover(project)), project)
    return {(r.severity, r.focus.removeprefix(BASE), r.path, r.value) for r in report.results}


def test_bad_law_fixture_gives_exactly_the_expected_results(mini_project: Path):
    shutil.copy(FIXTURES / "bad-law.ttl", mini_project / "data" / "bad-law.ttl")
    assert _results(mini_project) == {
        ("Violation", "eli/can/act/1985/s-19/sec_99", "eli:number", '"99"^^xsd:integer'),
        ("Violation", "eli/xxx/act/2000/none/art_1", "eli:is_part_of", f"<{BASE}eli/xxx/act/2000/none>"),
        ("Violation", "id/effect/can-act-1985-s-19/sec_13/9", "nsp:evidence", None),
        ("Violation", "id/effect/can-act-1985-s-19/sec_13/9", "nsp:modality", "topic:private-data-access"),
        ("Violation", "id/effect/can-act-1985-s-19/sec_13/1/evidence/2", "nsp:confidence", "conf:maybe"),
    }


def test_valid_case_fixture_conforms_and_warns_about_nothing(mini_project: Path):
    shutil.copy(FIXTURES / "case-private-data.ttl", mini_project / "data" / "case.ttl")
    assert _results(mini_project) == set()


def test_report_groups_by_file_and_node_in_words(mini_project: Path):
    shutil.copy(FIXTURES / "bad-law.ttl", mini_project / "data" / "bad-law.ttl")
    result = run_kg("validate", root=mini_project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "data/bad-law.ttl"
    assert f"  <{BASE}eli/can/act/1985/s-19/sec_99>" in lines
    assert '    Violation: An article needs its number (eli:number, a string such as "17a"). (property eli:number; value "99"^^xsd:integer)' in lines
    assert lines[-1] == "5 violations, 0 warnings."


def test_validate_one_file_reports_only_that_file(mini_project: Path):
    bad = FIXTURES / "bad-law.ttl"
    result = run_kg("validate", str(bad), root=mini_project)
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].endswith("tests/fixtures/bad-law.ttl")
    good = run_kg("validate", str(ROOT / "data/laws/can.ttl"), root=mini_project)
    assert good.returncode == 0 and good.stdout.strip() == "0 violations, 0 warnings."


def test_failed_validation_writes_nothing(mini_project: Path, tmp_path: Path):
    data_dir = tmp_path / "store"
    assert run_kg("build", root=mini_project, data_dir=data_dir).returncode == 0
    before = (data_dir / "current").resolve()
    shutil.copy(FIXTURES / "bad-law.ttl", mini_project / "data" / "bad-law.ttl")
    result = run_kg("build", root=mini_project, data_dir=data_dir)
    assert result.returncode == 1
    assert "validation failed: nothing was written" in result.stderr
    assert (data_dir / "current").resolve() == before
    assert sorted(p.name for p in data_dir.glob("store-*")) == [before.name]
