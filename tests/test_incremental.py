"""Incremental validation equals a whole-graph validation; the synthetic benchmark data is valid."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import FIXTURES, ROOT, make_project, mutate_ntriples, run_kg
from kg.pipeline import build, check, load
from kg.sources import discover, parse, source_for
from kg.store import open_store
from kg.validation import IncrementalValidator, ontology_graph, shapes_graph

BASE = "https://w3id.org/nso-partnership/"
CASE = (FIXTURES / "case-private-data.ttl").read_text()


def _key(report):
    return {(r.severity, r.focus, r.path, r.message, r.value) for r in report.results}


def _full(project: Path):
    return _key(check(load(discover(project)), project))


def _built(project: Path, data_dir: Path):
    build(data_dir, project)
    store = open_store(data_dir)
    return store, IncrementalValidator(shapes_graph(project), ontology_graph(store))


def _incremental(store, validator, project: Path, path: Path):
    source = source_for(path, project)
    return _key(validator.validate(store, {source.graph: parse(source)}))


def _check_change(project: Path, tmp_path: Path, rel: str, text: str, expect_violation: bool = True):
    """Build the project as it is, then change (or add) `rel`; both validations must agree."""
    store, validator = _built(project, tmp_path / "store")
    path = project / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    full = _full(project)
    assert _incremental(store, validator, project, path) == full
    assert any(r[0] == "Violation" for r in full) == expect_violation
    return full


def test_a_valid_new_case_gives_no_results(mini_project: Path, tmp_path: Path):
    assert _check_change(mini_project, tmp_path, "data/cases/case.ttl", CASE, expect_violation=False) == set()


def test_participation_whose_agent_has_no_type(mini_project: Path, tmp_path: Path):
    text = CASE.replace("<id/org/CAN-TESTBANK> a org:FormalOrganization ;", "<id/org/CAN-TESTBANK>")
    full = _check_change(mini_project, tmp_path, "data/cases/case.ttl", text)
    foci = {r[1].removeprefix(BASE) for r in full}
    assert "id/case/TEST-PRIVATE-FLOW/participation/CAN-TESTBANK" in foci  # sh:class foaf:Agent
    assert "id/case/TEST-PRIVATE-FLOW/dataflow/1" in foci  # dataProvider sh:class foaf:Agent


def test_data_flow_whose_legal_basis_is_dangling(mini_project: Path, tmp_path: Path):
    text = CASE.replace("s-19/sec_13>", "s-19/sec_999>")
    full = _check_change(mini_project, tmp_path, "data/cases/case.ttl", text)
    assert {(r[1].removeprefix(BASE), r[2]) for r in full} == {("id/case/TEST-PRIVATE-FLOW/dataflow/1", "nsp:legalBasis")}


def test_a_new_file_that_breaks_a_resource_of_another_file(mini_project: Path, tmp_path: Path):
    """The new case claims a participation that belongs to a case already in the store: the
    violation is on that participation, which the new file does not describe."""
    (mini_project / "data" / "cases").mkdir(parents=True)
    (mini_project / "data" / "cases" / "case.ttl").write_text(CASE)
    other = CASE.replace("TEST-PRIVATE-FLOW>", "TEST-OTHER>").replace(
        "nsp:hasParticipation <id/case/TEST-PRIVATE-FLOW/participation/CAN-STATCAN> ,",
        "nsp:hasParticipation <id/case/TEST-PRIVATE-FLOW/participation/CAN-STATCAN> , <id/case/TEST-PRIVATE-FLOW/participation/CAN-TESTBANK> ,")
    other = other.replace("TEST-PRIVATE-FLOW/", "TEST-OTHER/").replace(
        "<id/case/TEST-OTHER/participation/CAN-STATCAN> , <id/case/TEST-OTHER/participation/CAN-TESTBANK> ,",
        "<id/case/TEST-OTHER/participation/CAN-STATCAN> , <id/case/TEST-PRIVATE-FLOW/participation/CAN-TESTBANK> ,")
    full = _check_change(mini_project, tmp_path, "data/cases/other.ttl", other)
    assert f"{BASE}id/case/TEST-PRIVATE-FLOW/participation/CAN-TESTBANK" in {r[1] for r in full}


def test_a_changed_law_file_breaks_a_case_in_another_file(mini_project: Path, tmp_path: Path):
    """Statistics Canada loses its type in can.ttl: the case, its participation and its data
    flow (all in another file) now violate their shapes."""
    (mini_project / "data" / "cases").mkdir(parents=True)
    (mini_project / "data" / "cases" / "case.ttl").write_text(CASE)
    can = (mini_project / "data" / "laws" / "can.ttl").read_text()
    changed = can.replace("<id/org/CAN-STATCAN> a nsp:NationalStatisticalOffice ;", "<id/org/CAN-STATCAN>")
    assert changed != can
    full = _check_change(mini_project, tmp_path, "data/laws/can.ttl", changed)
    foci = {r[1].removeprefix(BASE) for r in full}
    assert {"id/case/TEST-PRIVATE-FLOW", "id/case/TEST-PRIVATE-FLOW/participation/CAN-STATCAN",
            "id/case/TEST-PRIVATE-FLOW/dataflow/1"} <= foci


def test_random_mutations_of_synthetic_data_agree_with_full_validation(tmp_path: Path):
    """Seeded mutations of a synthetic graph (drop a triple, retype a node, redirect a link):
    incremental and whole-graph validation give the same results every time."""
    from bench.generate import generate

    project = tmp_path / "project"
    generate(2_500, project, seed=3)
    store, validator = _built(project, tmp_path / "store")
    path = project / "data" / "synthetic" / "part-000.nt"
    lines = path.read_text().splitlines()
    subjects = sorted({line.split(" ", 1)[0] for line in lines})
    rng = random.Random(11)
    kinds = ["drop", "retype", "redirect", "drop", "redirect", "retype"]
    seen_violation = False
    for kind in kinds:
        mutated = mutate_ntriples(lines, kind, rng, subjects, ["https://w3id.org/nso-partnership/ontology#Participation"])
        path.write_text("\n".join(mutated) + "\n")
        full = _full(project)
        seen_violation |= bool(full)
        assert _incremental(store, validator, project, path) == full, kind
    assert seen_violation


def test_synthetic_data_at_10k_is_valid(tmp_path: Path):
    from bench.generate import generate

    summary = generate(10_000, tmp_path / "project", seed=42)
    assert summary["triples"] >= 10_000
    report = check(load(discover(tmp_path / "project")), tmp_path / "project")
    assert report.results == [], [(r.focus, r.path, r.message) for r in report.results[:5]]
