"""The `kg` command line: help, exit codes, build summary, stats, export round trip."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import run_kg

COMMANDS = ["build", "validate", "reason", "query", "export", "stats"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_for_each_command(command: str):
    result = run_kg(command, "--help")
    assert result.returncode == 0 and "Usage: " in result.stdout


def test_usage_errors_exit_2():
    assert run_kg("no-such-command").returncode == 2
    assert run_kg("export", "--format", "docx").returncode == 2
    assert run_kg("query", "private-data-access", "--param", "novalue").returncode == 2


def test_build_prints_a_summary(mini_project: Path, tmp_path: Path):
    result = run_kg("build", root=mini_project, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Loaded ") and "(3 ontology, " in lines[0]
    assert lines[1].startswith("Validated: 0 violations, 0 warnings; validated the whole graph in ")
    assert lines[2].startswith("Inferred ")
    assert re.match(r"Answers of 4\d canned queries kept for their pages \([\d,]+ rows, [\d.]+ s; kg/answers.py\)$", lines[3])
    assert lines[4].startswith("Store: ")


def test_query_failures_exit_1(shipped_store: Path):
    result = run_kg("query", "no-such-query", data_dir=shipped_store)
    assert result.returncode == 1 and "no query named" in result.stderr
    result = run_kg("query", "private-data-access", "-p", "country=not an iri", data_dir=shipped_store)
    assert result.returncode == 1 and "is not a valid iri" in result.stderr


def test_stats_counts(shipped_store: Path, store):
    result = run_kg("stats", data_dir=shipped_store)
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == f"{len(store):,} quads in {len(list(store.named_graphs()))} named graphs"


@pytest.mark.parametrize("fmt,rdf_format", [
    ("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("nq", ox.RdfFormat.N_QUADS),
    ("trig", ox.RdfFormat.TRIG), ("jsonld", ox.RdfFormat.JSON_LD), ("rdfxml", ox.RdfFormat.RDF_XML),
])
def test_export_in_each_format_parses_back_to_the_asserted_graph(shipped_store: Path, store, tmp_path: Path, fmt, rdf_format):
    out = tmp_path / f"dump.{fmt}"
    result = run_kg("export", "--format", fmt, "--out", str(out), data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    parsed = list(ox.parse(path=str(out), format=rdf_format))
    from kg.export import quads
    asserted = list(quads(store))
    if rdf_format.supports_datasets:
        assert set(parsed) == set(asserted)
    else:
        assert {(t.subject, t.predicate, t.object) for t in parsed} == {(q.subject, q.predicate, q.object) for q in asserted}


def test_query_pages(shipped_store: Path):
    law = "law=https://w3id.org/nso-partnership/eli/can/act/1985/s-19"

    def numbers(*args: str) -> tuple[list[str], str]:
        result = run_kg("query", "law-articles", "-p", law, "--format", "csv", *args, data_dir=shipped_store)
        assert result.returncode == 0, result.stderr
        return [line.split(",")[2] for line in result.stdout.splitlines()[1:]], result.stderr

    every, note = numbers("--all")
    assert len(every) > 8 and note == ""
    first, note = numbers("--limit", "4")
    assert first == every[:4]
    assert "Rows 1-4, a page of 4" in note and "--offset 4 for the next page" in note
    second, note = numbers("--limit", "4", "--offset", "4")
    assert second == every[4:8] and "--offset 8 for the next page" in note
    last, note = numbers("--limit", "4", "--offset", str(len(every) - 3))
    assert last == every[-3:] and note == ""  # a short page: the last one
    assert numbers("--limit", "0")[0] == numbers()[0] == every
    assert numbers("--offset", "5", "--all")[0] == every[5:]
    # a listing without parameters gives its first page (`# page: 100`), --all every row
    paged = run_kg("query", "law-articles", "--format", "json", data_dir=shipped_store)
    every = run_kg("query", "law-articles", "--format", "json", "--all", data_dir=shipped_store)
    rows = lambda r: json.loads(r.stdout)["results"]["bindings"]  # noqa: E731
    assert len(rows(paged)) == 100 and len(rows(every)) > 100 and rows(every)[:100] == rows(paged)
    assert "--offset 100 for the next page" in paged.stderr and every.stderr == ""
    assert run_kg("query", "law-articles", "--limit", "-1", data_dir=shipped_store).returncode == 2
    assert run_kg("query", "law-articles", "--all", "--limit", "3", data_dir=shipped_store).returncode == 2
