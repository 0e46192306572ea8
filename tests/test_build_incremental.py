"""`kg build` validates only what changed since the previous build, and says the same as a
whole-graph validation: in a copy of the project, edits to one case file are built and the report
compared with a full validation; an unchanged rebuild validates nothing and still lands; shapes,
ontology and large changes fall back to a full validation."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, mutate_ntriples, run_kg
from kg import pipeline
from kg.pipeline import BuildFailed, build, check, load
from kg.sources import discover
from kg.store import current_path, read_manifest

BASE = "https://w3id.org/nso-partnership/"
AT = "data/cases/AT-STATAT-SCANNER.ttl"


def _project(dest: Path) -> Path:
    """A copy of the project's sources (edits there cannot touch the shipped data)."""
    for top in ("ontology", "shapes", "queries", "data"):
        shutil.copytree(ROOT / top, dest / top)
    return dest


def _key(report) -> list:
    return sorted(repr((r.severity, r.focus, r.path, r.message, r.value, r.file)) for r in report.results)


def _full(project: Path) -> list:
    return _key(check(load(discover(project)), project))


def _build(project: Path, data_dir: Path, **kwargs):
    """(report, validation, landed store path or None) of an in-process build."""
    try:
        summary = build(data_dir, project, **kwargs)
    except BuildFailed as exc:
        return exc.report, exc.validation, None
    return summary.report, summary.validation, summary.store_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _project(tmp_path / "project")


def test_edit_of_one_case_that_breaks_a_resource_of_another_file(project: Path, tmp_path: Path):
    """The edited case claims a participation of another case (AU-ABS-SCANNER): the violation is on
    that participation, described only in the other file. The build validates the one changed file,
    reports what a full validation reports, and lands nothing."""
    data_dir = tmp_path / "store"
    report, validation, landed = _build(project, data_dir)
    assert validation.mode == "full" and landed and report.warnings and not report.violations
    _edit(project / AT, "participation/AUT-STATAT> ;",
          f"participation/AUT-STATAT>, <{BASE}id/case/AU-ABS-SCANNER/participation/AUS-SUPERMARKETS> ;")
    report, validation, landed_again = _build(project, data_dir)
    assert (validation.mode, validation.changed) == ("incremental", [AT])
    assert landed_again is None and current_path(data_dir) == landed
    assert sorted(p.name for p in data_dir.glob("store-*")) == [landed.name]
    assert _key(report) == _full(project)
    foci = {r.focus for r in report.violations}
    assert f"{BASE}id/case/AU-ABS-SCANNER/participation/AUS-SUPERMARKETS" in foci
    assert {r.file for r in report.violations} == {str(project / "data/cases/AU-ABS-SCANNER.ttl")}
    assert any(r.file != str(project / AT) for r in report.warnings)  # the unchanged files' warnings are kept


def test_edit_that_removes_a_warning_and_one_that_breaks_through_another_file(project: Path, tmp_path: Path):
    data_dir = tmp_path / "store"
    _build(project, data_dir)
    flow = f"{BASE}id/case/AT-STATAT-SCANNER/dataflow/1"
    # 1. the privately held data flow now says it is not: its warning goes, the others stay; it lands
    _edit(project / AT, "nsp:involvesPrivatelyHeldData true ;", "nsp:involvesPrivatelyHeldData false ;")
    before = current_path(data_dir)
    report, validation, landed = _build(project, data_dir)
    assert validation.mode == "incremental" and landed and landed != before
    assert flow not in {r.focus for r in report.results}
    assert _key(report) == _full(project)
    # 2. its provider becomes a source document (an nsp:SourceDocument, not an agent): sh:class
    #    foaf:Agent fails on the flow because of what the graph says about that other resource
    _edit(project / AT, "nsp:dataProvider <https://w3id.org/nso-partnership/id/org/AUT-FOOD-CHAINS> ;",
          "nsp:dataProvider <https://w3id.org/nso-partnership/id/source/1a19b4ee1cb9> ;")
    report, validation, landed = _build(project, data_dir)
    assert validation.mode == "incremental" and landed is None
    assert {(r.focus, r.path) for r in report.violations} == {(flow, "nsp:dataProvider")}
    assert _key(report) == _full(project)
    # 3. the full validation says the same
    full_report, validation, _ = _build(project, data_dir, full_validation=True)
    assert validation.mode == "full" and "--full-validation" in validation.reason
    assert _key(full_report) == _key(report)


def test_unchanged_rebuild_validates_nothing_and_lands(project: Path, tmp_path: Path, monkeypatch):
    data_dir = tmp_path / "store"
    first, _, first_path = _build(project, data_dir)

    def no_validation(*args, **kwargs):
        raise AssertionError("an unchanged rebuild must not validate")

    monkeypatch.setattr(pipeline, "check", no_validation)
    monkeypatch.setattr(pipeline.IncrementalValidator, "validate_change", no_validation)
    report, validation, landed = _build(project, data_dir)
    assert validation.mode == "unchanged" and validation.changed == []
    assert landed and landed != first_path and current_path(data_dir) == landed
    assert _key(report) == _key(first) and report.warnings
    assert read_manifest(data_dir)["validation"] == "unchanged"


def test_build_command_says_which_validation_it_ran(project: Path, tmp_path: Path):
    data_dir = tmp_path / "store"
    first = run_kg("build", root=project, data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert "validated the whole graph in " in first.stdout and "(no record of a previous build" in first.stdout
    _edit(project / AT, "nsp:involvesPrivatelyHeldData true ;", "nsp:involvesPrivatelyHeldData false ;")
    again = run_kg("build", root=project, data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert "validated 1 changed file incrementally (" in again.stdout
    assert "full validation: kg build --full-validation)" in again.stdout
    full = run_kg("build", "--full-validation", root=project, data_dir=data_dir)
    assert full.returncode == 0 and "(asked for with --full-validation)" in full.stdout
    warnings = lambda out: next(line for line in out.splitlines() if line.startswith("Validated:")).split(";")[0]
    assert warnings(again.stdout) == warnings(full.stdout)
    _edit(project / AT, f"participation/AUT-STATAT> ;",
          f"participation/AUT-STATAT>, <{BASE}id/case/AU-ABS-SCANNER/participation/AUS-SUPERMARKETS> ;")
    failed = run_kg("build", root=project, data_dir=data_dir)
    assert failed.returncode == 1
    assert "data/cases/AU-ABS-SCANNER.ttl" in failed.stderr and "A participation belongs to exactly one case." in failed.stderr
    assert "(validated 1 changed file incrementally" in failed.stderr
    assert "validation failed: nothing was written" in failed.stderr


@pytest.mark.parametrize("what, edit, reason", [
    ("shapes", "shapes/nsp-shapes.ttl", "shapes/nsp-shapes.ttl"),
    ("ontology", "ontology/align.ttl", "the ontology changed (ontology/align.ttl)"),
])
def test_shapes_or_ontology_change_means_full_validation(project: Path, tmp_path: Path, what, edit, reason):
    data_dir = tmp_path / "store"
    _build(project, data_dir)
    with (project / edit).open("a") as handle:
        handle.write("\n# edited\n")
    report, validation, landed = _build(project, data_dir)
    assert validation.mode == "full" and reason in validation.reason and landed
    assert _key(report) == _full(project)


def test_large_change_or_missing_record_means_full_validation(project: Path, tmp_path: Path):
    data_dir = tmp_path / "store"
    _build(project, data_dir)
    cases = sorted((project / "data" / "cases").glob("*.ttl"))
    quarter = len(discover(project)) // 4
    assert len(cases) > quarter + 5
    for path in cases[: quarter + 5]:  # more than a quarter of all the source files
        path.write_text(path.read_text() + "\n# edited\n")
    _, validation, _ = _build(project, data_dir)
    assert validation.mode == "full" and "files changed" in validation.reason
    (current_path(data_dir) / "kg-build.json").unlink()  # a store built before builds kept a record
    _, validation, landed = _build(project, data_dir)
    assert validation.mode == "full" and "no record" in validation.reason and read_manifest(data_dir)


def test_removed_case_file_drops_its_results_and_breaks_nothing_else(project: Path, tmp_path: Path):
    data_dir = tmp_path / "store"
    _build(project, data_dir)
    (project / AT).unlink()
    report, validation, landed = _build(project, data_dir)
    assert (validation.mode, validation.changed) == ("incremental", [AT]) and landed
    assert not any("AT-STATAT-SCANNER" in r.focus for r in report.results)
    assert _key(report) == _full(project)


def test_seeded_mutations_of_synthetic_files_agree_with_full_validation(tmp_path: Path):
    """A synthetic graph split over 12 files; each build changes one file (drop a triple, retype a
    node, redirect a link) and its report must equal a full validation's, violations or not."""
    from bench.generate import generate

    project = tmp_path / "project"
    generate(3_000, project, seed=5)
    synthetic = project / "data" / "synthetic"
    lines = (synthetic / "part-000.nt").read_text().splitlines()
    (synthetic / "part-000.nt").unlink()
    parts = [lines[i::12] for i in range(12)]
    for i, part in enumerate(parts):
        (synthetic / f"part-{i:03d}.nt").write_text("\n".join(part) + "\n")
    data_dir = tmp_path / "store"
    assert _build(project, data_dir)[1].mode == "full"
    subjects = sorted({line.split(" ", 1)[0] for line in lines})
    rng = random.Random(17)
    modes, violations = set(), 0
    for kind in ["drop", "retype", "redirect", "drop", "retype", "redirect", "drop", "redirect"]:
        k = rng.randrange(12)
        mutated = mutate_ntriples(parts[k], kind, rng, subjects,
                                  ["https://w3id.org/nso-partnership/ontology#Participation",
                                   "https://w3id.org/nso-partnership/ontology#DataFlow"])
        (synthetic / f"part-{k:03d}.nt").write_text("\n".join(mutated) + "\n")
        report, validation, landed = _build(project, data_dir)
        modes.add(validation.mode)
        violations += len(report.violations)
        assert _key(report) == _full(project), kind
        if landed is None:  # restore: the next change starts from the store that is current
            (synthetic / f"part-{k:03d}.nt").write_text("\n".join(parts[k]) + "\n")
        else:
            parts[k] = mutated
    assert modes == {"incremental"} and violations
