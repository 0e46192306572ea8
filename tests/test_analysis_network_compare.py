"""The partnership network (counts against triple patterns, centrality, components, exports that load
back) and `kg compare` (two countries side by side, checked against the canned queries' answers)."""
from __future__ import annotations

import json
import re

import networkx as nx
import pyoxigraph as ox
import pytest

from analysis_support import NSP, build_fixture_project, objects, instances
from conftest import ROOT, run_kg
from kg import queries
from kg.analysis import network as N
from kg.store import open_store

PROV = "http://www.w3.org/ns/prov#"
ORG = "https://w3id.org/nso-partnership/id/org/"


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory):
    return build_fixture_project(tmp_path_factory.mktemp("network"), with_glos_fixture=False)


def _participants(store: ox.Store) -> dict[str, set[str]]:
    out = {}
    for case in instances(store, NSP + "PartnershipCase"):
        out[case.value] = {a.value for p in objects(store, case, NSP + "hasParticipation") for a in objects(store, p, PROV + "agent")}
    return out


def test_network_counts_match_the_triples(store):
    net = N.read(store, ROOT)
    participants = _participants(store)
    assert set(net.cases()) == set(participants)
    assert set(net.organisations()) == set().union(set(), *participants.values())
    pairs = {frozenset((a, b)) for agents in participants.values() for a in agents for b in agents if a != b}
    assert net.partners.number_of_edges() == len(pairs)


def test_network_on_the_fixture(fixture_project, tmp_path):
    root, data_dir = fixture_project
    net = N.read(open_store(data_dir), root)
    assert (len(net.organisations()), len(net.cases())) == (7, 4)
    ranked = {r["organisation"].removeprefix(ORG): r for r in N.centrality(net, None)}
    assert ranked["GHA-GSS"]["partners"] == 3 and ranked["GHA-GSS"]["cases"] == 2
    assert ranked["INT-TESTBANK"]["partners"] == 3
    assert ranked["CAN-STATCAN"]["partners"] == 2
    # Statistics Canada links its two partners, who otherwise do not meet: the highest betweenness.
    assert max(ranked.values(), key=lambda r: r["betweenness"])["organisation"].endswith("CAN-STATCAN")
    comps = N.components(net)
    assert [(len(c["organisations"]), len(c["cases"]), c["countries"]) for c in comps] == [(4, 2, ["GHA"]), (3, 2, ["CAN"])]

    graphml, gexf, js, page = (tmp_path / f"net.{x}" for x in ("graphml", "gexf", "json", "html"))
    result = run_kg("network", "--graphml", str(graphml), "--gexf", str(gexf), "--json", str(js), "--html", str(page),
                    root=root, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "7 organisations, 4 cases" in result.stdout and "2 connected components" in result.stdout
    for g in (nx.read_graphml(graphml), nx.read_gexf(gexf),
              nx.node_link_graph(json.loads(js.read_text()), edges="links")):
        assert g.number_of_nodes() == 11 and g.number_of_edges() == 10
    assert nx.read_graphml(graphml).nodes[ORG + "GHA-GSS"]["partners"] == 3
    assert "<svg" in page.read_text() and "<script" not in page.read_text()


def test_compare_two_countries(store, shipped_store):
    result = run_kg("compare", "CAN", "france", "--format", "json", data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    views = json.loads(result.stdout)
    assert [v["country"] for v in views] == ["CAN", "FRA"]
    for v in views:
        # Positions: the same as the legal-positions query gives, topic by topic.
        for topic in ("private-data-access", "administrative-data-access", "microdata-access"):
            q = queries.resolve("legal-positions", ROOT)
            _, rows = queries.rows(queries.run(store, q, {"topic": f"topic:{topic}"}))
            expected = {r["position"].value.rsplit("/", 1)[-1] for r in rows if r["country"].value.endswith("/" + v["country"])}
            got = v["topics"][topic]["position"].replace(" ", "-")
            assert {got} == expected or (not expected and got == ""), (v["country"], topic)
        # Private data: the articles and sources of the private-data-access query appear.
        q = queries.resolve("private-data-access", ROOT)
        _, rows = queries.rows(queries.run(store, q, {"country": f"country:{v['country']}"}))
        numbers = {p["number"] for p in v["topics"]["private-data-access"]["provisions"]}
        assert {r["number"].value for r in rows} <= numbers
        assert {r["source"].value for r in rows} <= set(v["topics"]["private-data-access"]["sources"])
        assert v["topics"]["private-data-access"]["confidence"]
    table = run_kg("compare", "CAN", "FRA", data_dir=shipped_store)
    assert table.returncode == 0
    assert "Canada (CAN)" in table.stdout and "France (FRA)" in table.stdout
    assert "privately held data" in table.stdout and "Statistics Act art./s. 13" in table.stdout
    assert re.search(r"\[(text-read|secondary|recalled)", table.stdout)  # each provision shows its evidence level


def test_compare_unknown_country_is_a_usage_error(shipped_store):
    result = run_kg("compare", "Atlantis", data_dir=shipped_store)
    assert result.returncode == 2 and "no country" in result.stderr


def test_server_mounts_the_report_and_the_network(fixture_project, monkeypatch):
    from starlette.testclient import TestClient

    from kg.server.app import create_app

    root, data_dir = fixture_project
    monkeypatch.setenv("KG_ROOT", str(root))
    with TestClient(create_app(data_dir, workers=1)) as client:
        page = client.get("/reports/gap-analysis")
        assert page.status_code == 200 and "<svg" in page.text
        assert 'href="/queries/gap-summary"' in page.text and 'href="/id/case/TEST-CAN-UNI"' in page.text
        assert client.get("/queries/gap-summary").status_code == 200
        assert client.get("/id/case/TEST-CAN-UNI").status_code == 200
        net = client.get("/network")
        assert net.status_code == 200 and "<svg" in net.text and "Statistics Canada" in net.text
        data = client.get("/network.json").json()
        assert len(data["nodes"]) == 11 and len(data["links"]) == 10
