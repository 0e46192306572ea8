"""`kg validate FILE` against the W3C RDF 1.1 syntax tests (Turtle, N-Triples, N-Quads, TriG, RDF/XML).

Every valid document is accepted (exit 0; a file with no triples gets a warning, an ill-typed
literal such as "flargh"^^xsd:integer is valid RDF) and every malformed one is refused cleanly (exit 1,
one line naming the file, no traceback), in both modes: plain and --incremental (a change checked
against the built store). The suites are vendored in tests/w3c/rdf11/ (README.md there: source and
licence); the manifests say which files are which.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from click.testing import CliRunner

from conftest import run_kg

SUITES = Path(__file__).resolve().parent / "w3c" / "rdf11"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
FOLDERS = ("turtle", "ntriples", "nquads", "trig", "rdf-xml")


@dataclass(frozen=True)
class Case:
    suite: str
    path: Path
    kind: str  # the manifest's test type, e.g. TestTurtleNegativeSyntax

    @property
    def positive(self) -> bool:
        return "Negative" not in self.kind


def cases() -> list[Case]:
    out = []
    for folder in FOLDERS:
        base = f"http://example.org/{folder}/"
        g = rdflib.Graph().parse(SUITES / folder / "manifest.ttl", format="turtle", publicID=base + "manifest.ttl")
        for test, kind in g.subject_objects(rdflib.RDF.type):
            action = g.value(test, MF.action)
            if action is not None:
                out.append(Case(folder, SUITES / folder / str(action)[len(base):], str(kind).rsplit("#", 1)[1]))
    return sorted(out, key=lambda c: (c.suite, c.path))


CASES = cases()


def test_the_vendored_suites_are_whole():
    counts = {folder: sum(c.suite == folder for c in CASES) for folder in FOLDERS}
    assert counts == {"turtle": 291, "ntriples": 68, "nquads": 85, "trig": 335, "rdf-xml": 162}
    assert sum(not c.positive for c in CASES) == 284
    assert all(c.path.is_file() for c in CASES)
    assert "W3C Test Suite License" in (SUITES / "LICENSE").read_text()


@pytest.fixture(scope="module")
def validate_in_process(shipped_store: Path):
    """Run `kg validate [--incremental] FILE` in this process (CliRunner), so that 941 files x 2 modes
    take seconds. Plain mode sees no project files besides FILE (otherwise each call re-validates the
    whole project: whether a file is valid RDF does not depend on the others); --incremental checks
    FILE against the built store, as the real command does. The shapes are parsed once, not per call."""
    from kg import cli, validation

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cli, "discover", lambda root=None: [])
        mp.setattr(validation, "shapes_graph", functools.lru_cache(maxsize=1)(validation.shapes_graph))
        runner = CliRunner()

        def run(path: Path, incremental: bool):
            args = ["--data-dir", str(shipped_store), "validate", *(["--incremental"] if incremental else []), str(path)]
            return runner.invoke(cli.main, args)

        yield run


def _assert_outcome(case: Case, result, mode: str) -> None:
    where = f"{case.path.relative_to(SUITES)} ({case.kind}, {mode})"
    # an exception other than click's exit is a crash (CliRunner catches it and reports exit code 1)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{where}: crashed with {result.exception!r}"
    assert "Traceback" not in result.output, where
    if case.positive:
        assert result.exit_code == 0, f"{where}: refused: {result.output}"
    else:
        assert result.exit_code == 1, f"{where}: accepted: {result.output}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"Error: {case.path}"), f"{where}: {result.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[f"{c.suite}/{c.path.name}" for c in CASES])
def test_w3c_rdf_syntax_through_kg_validate(case: Case, validate_in_process, caplog):
    with caplog.at_level(logging.WARNING):
        for incremental in (False, True):
            _assert_outcome(case, validate_in_process(case.path, incremental), "--incremental" if incremental else "plain")
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"


# ----------------------------------------------------------------------------- a handful through the real CLI

EMPTY_BUT_VALID = ["turtle/turtle-syntax-file-01.ttl", "turtle/turtle-syntax-prefix-01.ttl", "trig/trig-kw-graph-03.trig",
                   "rdf-xml/rdfms-rdf-names-use/test-001.rdf", "nquads/nt-syntax-file-01.nq"]
BLANK_GRAPH_NAMES = ["nquads/nq-syntax-bnode-02.nq", "trig/labeled_blank_node_graph.trig", "trig/alternating_bnode_graphs.trig"]
ILL_TYPED = ["rdf-xml/datatypes/test002.rdf"]  # "flargh"^^xsd:integer
MALFORMED = ["turtle/turtle-syntax-bad-prefix-01.ttl", "nquads/nq-syntax-bad-literal-01.nq", "rdf-xml/rdfms-empty-property-elements/error001.rdf"]


def _kinds() -> dict[str, str]:
    return {c.path.relative_to(SUITES).as_posix(): c.kind for c in CASES}


def test_the_named_cases_are_what_the_manifests_say():
    kinds = _kinds()
    assert all("Negative" not in kinds[f] for f in EMPTY_BUT_VALID + BLANK_GRAPH_NAMES + ILL_TYPED)
    assert all("Negative" in kinds[f] for f in MALFORMED)
    assert "flargh" in (SUITES / ILL_TYPED[0]).read_text()


@pytest.mark.parametrize("incremental", [False, True], ids=["plain", "incremental"])
def test_valid_files_through_the_real_cli(shipped_store: Path, incremental: bool):
    files = [str(SUITES / f) for f in EMPTY_BUT_VALID + BLANK_GRAPH_NAMES + ILL_TYPED]
    result = run_kg("validate", *(["--incremental"] if incremental else []), *files, data_dir=shipped_store)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Failed to convert" not in result.stderr, result.stderr
    warned = [line for line in result.stderr.splitlines() if "warning: file holds no RDF statements" in line]
    assert sorted(warned) == sorted(f"{f}: warning: file holds no RDF statements (empty, only prefixes, or empty "
                                    "graphs); it adds nothing to the graph" for f in files[:len(EMPTY_BUT_VALID)])


@pytest.mark.parametrize("incremental", [False, True], ids=["plain", "incremental"])
@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_files_through_the_real_cli(shipped_store: Path, incremental: bool, name: str):
    path = SUITES / name
    result = run_kg("validate", *(["--incremental"] if incremental else []), str(path), data_dir=shipped_store)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}"), result.stderr
