"""Reason step: the OWL RL rules, the defined classes, and HermiT on consistent and inconsistent input."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from conftest import FIXTURES, ROOT, run_kg
from kg import INFERRED_GRAPH, NSP
from kg.pipeline import load
from kg.reasoning import hermit_ntriples, materialise
from kg.sources import discover, source_for

CASE = "https://w3id.org/nso-partnership/id/case/TEST-PRIVATE-FLOW"
FLOW = CASE + "/dataflow/1"


def _store(project: Path, extra: list[Path] = ()) -> ox.Store:
    loaded = load(discover(project) + [source_for(p, project) for p in extra])
    store = ox.Store()
    store.extend(q for s in loaded.sources for q in loaded.quads[s])
    return store


def _types(store: ox.Store, node: str) -> set[str]:
    return {r["t"].value for r in store.query(f"SELECT ?t WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ <{node}> a ?t }} }}")}


def test_rules_classify_the_defined_classes_into_the_inferred_graph_only(mini_project: Path):
    store = _store(mini_project, [FIXTURES / "case-private-data.ttl"])
    asserted = len(store)
    report = materialise(store)
    assert report.added["defined-class"] == 3
    assert {NSP + "PrivateDataPartnership", "http://www.w3.org/ns/prov#Activity"} <= _types(store, CASE)
    assert {NSP + "PrivateDataFlow", NSP + "StatuteBasedDataFlow"} <= _types(store, FLOW)
    assert len(store) == asserted + report.total  # nothing overwritten, everything in the inferred graph
    again = materialise(store)
    assert again.total == 0 and again.rounds == 1


def test_inverse_and_subproperty_rules(mini_project: Path):
    store = _store(mini_project)
    materialise(store)
    art = "https://w3id.org/nso-partnership/eli/can/act/1985/s-19/sec_13"
    law = "https://w3id.org/nso-partnership/eli/can/act/1985/s-19"
    assert store.query(f"ASK {{ <{law}> <http://data.europa.eu/eli/ontology#has_part> <{art}> }}", use_default_graph_as_union=True)
    assert store.query(f"ASK {{ ?e <http://www.w3.org/ns/prov#wasDerivedFrom> ?ev ; <{NSP}grantedBy> <{art}> }}", use_default_graph_as_union=True)


def test_hermit_copy_turns_dates_into_datetimes_and_drops_imports():
    triples = [
        ox.Triple(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/d"), ox.Literal("2017-12-12", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))),
        ox.Triple(ox.NamedNode("http://x/o"), ox.NamedNode("http://www.w3.org/2002/07/owl#imports"), ox.NamedNode("http://remote/onto")),
    ]
    text = hermit_ntriples(triples)
    assert '"2017-12-12T00:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>' in text
    assert "owl#imports" not in text


def test_hermit_finds_shipped_graph_consistent_and_agrees_with_rules(mini_project: Path):
    shutil.copy(FIXTURES / "case-private-data.ttl", mini_project / "data" / "case.ttl")
    result = run_kg("reason", root=mini_project)
    assert result.returncode == 0, result.stderr
    assert "are consistent" in result.stdout
    assert "PrivateDataPartnership: 1 classified by HermiT; the OWL RL rules agree" in result.stdout
    assert "StatuteBasedDataFlow: 1 classified by HermiT; the OWL RL rules agree" in result.stdout


def test_hermit_reports_the_inconsistent_fixture(mini_project: Path):
    result = run_kg("reason", str(FIXTURES / "inconsistent.ttl"), root=mini_project)
    assert result.returncode == 1
    assert "HermiT: INCONSISTENT" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_java_gives_a_clear_message_not_a_traceback(mini_project: Path, tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    result = run_kg("reason", root=mini_project, env={"PATH": str(bin_dir)})
    assert result.returncode == 1
    assert "HermiT needs a Java runtime" in result.stderr and "default-jre-headless" in result.stderr
    assert "Traceback" not in result.stderr
