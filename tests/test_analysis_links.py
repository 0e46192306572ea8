"""Law links: coverage matrix (computed independently from the mapping triples), exports that load
back into networkx, amendment chains, citations, and suggestions that only enter the graph when a
reviewer accepts them (in a project copy, never in the real data/)."""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

from analysis_support import COUNTRY, ELI, GLOS, NSP, RDF_TYPE, build_fixture_project, objects, subjects
from conftest import ROOT, run_kg
from kg.analysis import links as L
from kg.store import open_store


def expected_coverage(store: ox.Store) -> dict[tuple[str, str], str]:
    """The coverage matrix from the raw triples: top-level laws and their jurisdictions, articles of the
    Generic Law, and the match degrees of the mappings between them."""
    def top(node):
        seen = set()
        while True:
            parents = objects(store, node, ELI + "is_part_of")
            if not parents or node in seen:
                return node
            seen.add(node)
            node = parents[0]

    jurisdictions = set()
    for q in store.quads_for_pattern(None, ox.NamedNode(ELI + "jurisdiction"), None):
        if not objects(store, q.subject, ELI + "is_part_of") and q.object.value.startswith(COUNTRY):
            jurisdictions.add(q.object.value)
    articles = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(ELI + "is_part_of"), None)
                if top(q.subject).value == GLOS and q.subject.value != GLOS}
    degrees = defaultdict(set)
    for m in subjects(store, RDF_TYPE, ox.NamedNode(NSP + "ProvisionMapping")):
        src = objects(store, m, NSP + "sourceProvision")[0]
        tgt = objects(store, m, NSP + "targetProvision")[0].value
        degree = objects(store, m, NSP + "matchDegree")[0].value.rsplit("/", 1)[-1]
        for j in objects(store, top(src), ELI + "jurisdiction"):
            degrees[(j.value, tgt)].add(degree)
    out = {}
    for j in jurisdictions:
        for a in articles:
            d = degrees.get((j, a), set())
            out[(j, a)] = "mapped" if "equivalent" in d else ("partly mapped" if d else "missing")
    return out


def test_coverage_matrix_is_exact_for_the_shipped_jurisdictions(store):
    juris, arts, matrix = L.coverage(L.read(store, ROOT))
    expected = expected_coverage(store)
    assert matrix == expected
    assert len(matrix) == len(juris) * len(arts)
    assert len(juris) >= 30 and len(arts) >= 1


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory):
    return build_fixture_project(tmp_path_factory.mktemp("links"))


def test_coverage_matrix_on_the_fixture(fixture_project):
    root, data_dir = fixture_project
    store = open_store(data_dir)
    juris, arts, matrix = L.coverage(L.read(store, root))
    assert matrix == expected_coverage(store)
    can, gha = COUNTRY + "CAN", COUNTRY + "GHA"
    assert juris == [can, gha]
    assert [a.rsplit("_", 1)[-1] for a in arts] == ["1", "901", "902"]
    assert [matrix[(can, a)] for a in arts] == ["missing", "partly mapped", "mapped"]
    assert [matrix[(gha, a)] for a in arts] == ["missing"] * 3
    national, model = L.without_counterpart(L.read(store, root))
    assert model == [GLOS + "/art_1"]
    assert GLOS.replace("int/model-law/glos/2016", "can/act/1985/s-19/sec_13") not in national


def test_graphml_and_gexf_load_back(store, shipped_store, tmp_path):
    graphml, gexf = tmp_path / "laws.graphml", tmp_path / "laws.gexf"
    result = run_kg("links", "--graphml", str(graphml), "--gexf", str(gexf), data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    n_resources = len({q.subject for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ELI + "LegalResource"))})
    for g in (nx.read_graphml(graphml), nx.read_gexf(gexf)):
        assert g.number_of_nodes() == n_resources
        relations = {d.get("relation") for _, _, d in g.edges(data=True)}
        assert {"is_part_of", "amends"} <= relations
    g = nx.read_graphml(graphml)
    can13 = "https://w3id.org/nso-partnership/eli/can/act/1985/s-19/sec_13"
    assert g.nodes[can13]["kind"] == "article" and g.nodes[can13]["jurisdiction"] == "CAN"
    assert "Coverage of the Generic Law" in result.stdout and "Amendment chains" in result.stdout


def test_amendment_chain_and_most_cited_on_the_shipped_data(store):
    lk = L.read(store, ROOT)
    chains = {c["law"]: c for c in L.amendment_chains(lk)}
    can = chains["https://w3id.org/nso-partnership/eli/can/act/1985/s-19"]
    step = next(s for s in can["amended_by"] if s["law"].endswith("/can/act/2017/c-31"))
    amended = {q.object.value.rsplit("_", 1)[-1] for q in store.quads_for_pattern(
        ox.NamedNode("https://w3id.org/nso-partnership/eli/can/act/2017/c-31"), ox.NamedNode(ELI + "amends"), None)
        if "/sec_" in q.object.value}
    assert set(step["articles"]) == amended
    legal = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ELI + "LegalResource"))}
    for top in L.most_cited(lk, 5):
        target = ox.NamedNode(top["provision"])
        citing = {(q.subject, rel) for rel in ("cites", "amends", "applies", "transposes", "based_on", "repeals")
                  for q in store.quads_for_pattern(None, ox.NamedNode(ELI + rel), target) if q.subject in legal}
        mapped = set(subjects(store, NSP + "targetProvision", target))
        cases = {c for f in subjects(store, NSP + "legalBasis", target) for c in subjects(store, NSP + "hasDataFlow", f)}
        assert top["total"] == len(citing) + len(mapped) + len(cases), top


def _mappings(store: ox.Store) -> set[tuple[str, str]]:
    out = set()
    for m in set(subjects(store, RDF_TYPE, ox.NamedNode(NSP + "ProvisionMapping"))):
        out.add((objects(store, m, NSP + "sourceProvision")[0].value, objects(store, m, NSP + "targetProvision")[0].value))
    return out


def test_suggestions_enter_the_graph_only_when_accepted(tmp_path):
    root, data_dir = build_fixture_project(tmp_path)
    before = _mappings(open_store(data_dir))
    assert len(before) == 2
    review = tmp_path / "review.csv"
    result = run_kg("links", "suggest", "--out", str(review), root=root, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(review, encoding="utf-8")))
    assert len(rows) >= 2 and all(r["reason"] and r["accept"] == "" for r in rows)
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)
    top = rows[0]
    # Ghana s. 50 "Confidentiality" (same effect and a shared title word) outranks Canada s. 6 (same effect)
    assert top["source"].endswith("/gha/act/2019/1003/sec_50") and top["target"].endswith("/art_902")
    assert rows[1]["source"].endswith("/can/act/1985/s-19/sec_6") and rows[1]["target"].endswith("/art_902")
    assert "confidentiality-duty on statistical-confidentiality" in top["reason"]

    # A build after `suggest` has no new mappings, and no file was written under data/.
    assert run_kg("build", root=root, data_dir=data_dir).returncode == 0
    assert _mappings(open_store(data_dir)) == before
    assert not (root / L.REVIEWED_FILE).exists()

    # All or nothing: one good row and one accepted without a reviewer -> nothing written.
    rows[0].update(accept="yes", reviewer="Ada Reviewer", note="checked against the text")
    rows[1].update(accept="yes", reviewer="")
    _write(review, rows)
    result = run_kg("links", "accept", str(review), root=root, data_dir=data_dir)
    assert result.returncode == 1 and "without a reviewer" in result.stderr
    assert not (root / L.REVIEWED_FILE).exists()

    # The reviewer rejects the second row: exactly the first is accepted.
    rows[1].update(accept="no")
    _write(review, rows)
    result = run_kg("links", "accept", str(review), root=root, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    written = (root / L.REVIEWED_FILE).read_text()
    assert "prov:wasAttributedTo" in written and "Ada Reviewer" in written
    # Still not in the store until the next build...
    assert _mappings(open_store(data_dir)) == before
    assert run_kg("build", root=root, data_dir=data_dir).returncode == 0
    store = open_store(data_dir)
    after = _mappings(store)
    assert after - before == {(top["source"], top["target"])}
    new = ox.NamedNode(L.mapping_iri(top["source"], top["target"]))
    assert objects(store, new, NSP + "matchDegree")[0].value.endswith("/partial")
    assert objects(store, new, "http://www.w3.org/ns/prov#generatedAtTime")
    assert "confidentiality-duty" in objects(store, new, "http://purl.org/dc/terms/description")[0].value
    reviewer = objects(store, new, "http://www.w3.org/ns/prov#wasAttributedTo")[0]
    assert objects(store, reviewer, "http://www.w3.org/2000/01/rdf-schema#label")[0].value == "Ada Reviewer"

    # Accepting the same row again is refused (it exists), and the file is unchanged.
    result = run_kg("links", "accept", str(review), root=root, data_dir=data_dir)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert (root / L.REVIEWED_FILE).read_text() == written


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        w = csv.DictWriter(handle, L.CSV_COLUMNS)
        w.writeheader()
        w.writerows(rows)
