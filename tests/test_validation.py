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
        ("Violation", "id/effect/can-act-1985-s-19/sec_13/1/evidence/9", "nsp:confidence", "conf:maybe"),
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


def test_tuned_validation_says_exactly_what_plain_pyshacl_says(tmp_path: Path):
    """kg's whole-graph validation (direct term conversion, quiet namespace manager, cached shapes
    graph, pyshacl's text report skipped) gives the same results, messages included, as pyshacl run
    the plain way on a graph parsed by rdflib: on a synthetic graph with seeded mutations of many
    kinds plus the known-bad law fixture."""
    import random

    import pyshacl
    import rdflib

    from bench.generate import generate
    from kg.validation import _report

    project = tmp_path / "project"
    generate(2_500, project, seed=8)
    shutil.copy(FIXTURES / "bad-law.ttl", project / "data" / "bad-law.ttl")
    path = project / "data" / "synthetic" / "part-000.nt"
    lines = path.read_text().splitlines()
    subjects = sorted({line.split(" ", 1)[0] for line in lines})
    classes = sorted({line.rsplit(" ", 2)[-2] for line in lines if "22-rdf-syntax-ns#type>" in line})
    rng = random.Random(3)
    for _ in range(80):
        i = rng.randrange(len(lines))
        s, p, o = lines[i][:-2].split(" ", 2)
        kind = rng.choice(["drop", "retype", "redirect", "literal"])
        if kind == "drop":
            del lines[i]
        elif kind == "retype":
            lines.append(f"{rng.choice(subjects)} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> {rng.choice(classes)} .")
        elif kind == "redirect":
            lines[i] = f"{s} {p} {rng.choice(subjects)} ."
        else:
            lines[i] = f'{s} {p} "{rng.choice(["x", "2020"])}"' + rng.choice(["", "@en", "^^<http://www.w3.org/2001/XMLSchema#integer>"]) + " ."
    path.write_text("\n".join(lines) + "\n")

    loaded = load(discover(project))
    ours = check(loaded, project)
    data, ontology, shapes = rdflib.Graph(), rdflib.Graph(), rdflib.Graph()
    for source in loaded.sources:
        fmt = {".ttl": "turtle", ".nt": "nt"}[source.path.suffix]
        (ontology if source.path.relative_to(project).parts[0] == "ontology" else data).parse(source.path, format=fmt)
    for shapes_file in sorted((project / "shapes").glob("*.ttl")):
        shapes.parse(shapes_file, format="turtle")
    _, plain_graph, _ = pyshacl.validate(data, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                         abort_on_first=False, allow_warnings=True)
    plain = _report(plain_graph, loaded.files_by_subject())
    key = lambda report: sorted(repr((r.severity, r.focus, r.path, r.message, r.value, r.file)) for r in report.results)
    assert len(ours.violations) > 50 and any("Literal(" in r.message or "<http" in r.message for r in ours.results)
    assert key(ours) == key(plain)
