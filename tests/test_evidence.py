"""Evidence levels (docs/evidence.md): the shapes hold each rule (known-bad fixtures), a position rests
on its weakest evidence, "since when" is one query, and `kg audit` gives exact counts on the shipped
data (checked against an independent rdflib walk of the source files) and through a real server."""
from __future__ import annotations

import json
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rdflib import RDF, URIRef

from conftest import FIXTURES, ROOT, built, make_project, run_kg
from kg.pipeline import check, load
from kg.sources import discover
from server_helpers import LiveServer
from test_shipped_queries import CONF, ELI, N, graph, select, top_law

BASE = "https://w3id.org/nso-partnership/"
RANK = {CONF + "recalled": 0, CONF + "secondary": 1, CONF + "text-read": 2}
LEVEL = {0: "recalled", 1: "secondary", 2: "text-read"}


def _project(tmp_path: Path, *fixtures: str) -> Path:
    project = make_project(tmp_path / "project", ["data/organisations.ttl"])
    for name in fixtures:
        shutil.copy(FIXTURES / name, project / "data" / name)
    return project


def _results(project: Path) -> set[tuple]:
    report = check(load(discover(project)), project)
    return {(r.severity, r.focus.removeprefix(BASE), r.path, r.value) for r in report.results}


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The valid evidence fixture built by the real CLI: (project root, data directory)."""
    tmp = tmp_path_factory.mktemp("evidence")
    return built(_project(tmp, "evidence-rules.ttl"), tmp / "build")


def test_the_valid_fixture_conforms(tmp_path: Path):
    assert _results(_project(tmp_path, "evidence-rules.ttl")) == set()


def test_each_broken_evidence_rule_is_one_violation(tmp_path: Path):
    ev, ch = "id/effect/tst-fixture/art_2/1/evidence/", "id/change/tst-fixture/art_2/"
    assert _results(_project(tmp_path, "evidence-rules.ttl", "evidence-bad.ttl")) == {
        ("Violation", ev + "11", None, f"<{BASE}{ev}11>"),  # text-read without a quote
        ("Violation", ev + "12", None, f"<{BASE}{ev}12>"),  # text-read without the provision read
        ("Violation", ev + "13", "nsp:quote",                 # 26 words
         '"one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen '
         'seventeen eighteen nineteen twenty twentyone twentytwo twentythree twentyfour twentyfive twentysix"'),
        ("Violation", ev + "14", "nsp:confidence", "conf:seen"),  # the retired level
        ("Violation", ch + "11", "nsp:changeKind", f"<{BASE}vocab/change-kind/renumbered>"),
        ("Violation", ch + "12", None, f"<{BASE}{ch}12>"),  # language-version-only without the language
        ("Violation", ch + "13", "nsp:amendingProvision", None),
    }


def _run(fixture_store, *args: str):
    project, data_dir = fixture_store
    return run_kg(*args, root=project, data_dir=data_dir)


def _rows(stdout: str) -> list[dict[str, str]]:
    """SPARQL JSON results as plain {variable: value} rows (unbound variables absent)."""
    return [{k: v["value"] for k, v in b.items()} for b in json.loads(stdout)["results"]["bindings"]]


def test_a_position_rests_on_its_weakest_evidence(fixture_store):
    levels = {}
    for topic in ("private-data-access", "microdata-access"):
        out = _run(fixture_store, "query", "legal-positions", "--param", f"topic=topic:{topic}", "--format", "json")
        assert out.returncode == 0, out.stderr
        rows = _rows(out.stdout)
        levels[topic] = [r["level"] for r in rows]
    # text-read + secondary -> secondary; text-read alone -> text-read
    assert levels == {"private-data-access": ["secondary"], "microdata-access": ["text read"]}


def test_since_when_is_one_query(fixture_store):
    out = _run(fixture_store, "query", "provision-since", "--param", "topic=topic:private-data-access", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = _rows(out.stdout)
    assert [(r["number"], r["since"], r["basis"], r["languageVersionChanges"], r["level"]) for r in rows] == [
        ("2", "2010-05-01", "inserted or substituted on this date", "fr version 2012-01-01", "text-read")]
    out = _run(fixture_store, "query", "provision-since", "--param", "topic=topic:administrative-data-access", "--format", "json")
    rows = _rows(out.stdout)
    assert [(r["number"], r["since"], r["basis"]) for r in rows] == [("1", "2000-03-01", "the law's own date (no insertion recorded)")]


UNDATED = """@base <https://w3id.org/nso-partnership/> .
@prefix nsp: <https://w3id.org/nso-partnership/ontology#> .
@prefix chg: <https://w3id.org/nso-partnership/vocab/change-kind/> .
<id/change/tst-fixture/art_1/1> a nsp:ProvisionChange ;
    nsp:changedProvision <eli/tst/act/2000/fixture/art_1> ; nsp:changeKind chg:inserted ;
    nsp:amendingProvision <eli/tst/act/2010/amending> ;
    nsp:evidence <id/effect/tst-fixture/art_2/1/evidence/2> .
"""


def test_an_insertion_without_a_date_never_falls_back_to_the_laws_date(tmp_path: Path):
    project = _project(tmp_path, "evidence-rules.ttl")
    (project / "data" / "undated.ttl").write_text(UNDATED, encoding="utf-8")
    built = run_kg("build", root=project, data_dir=tmp_path / "build")
    assert built.returncode == 0 and "0 violations, 1 warnings" in built.stdout  # the missing date is a warning
    out = run_kg("query", "provision-since", "--param", "topic=topic:administrative-data-access", "--format", "json",
                 root=project, data_dir=tmp_path / "build")
    assert [(r["number"], r.get("since"), r["basis"]) for r in _rows(out.stdout)] == [
        ("1", None, "inserted or substituted (date not recorded)")]


def test_audit_flags_the_mislocated_quote_and_the_weak_position(fixture_store):
    out = _run(fixture_store, "audit", "--format", "json")
    assert out.returncode == 0, out.stderr
    audit = json.loads(out.stdout)
    assert [(m["evidence"], m["locates"]) for m in audit["mislocated_evidence"]] == [
        ("id/effect/tst-fixture/art_1/1/evidence/1", "eli/tst/act/2000/fixture/art_2")]
    assert [(p["country"], p["topic"], p["level"]) for p in audit["weak_positions"]] == [("CAN", "private-data-access", "secondary")]
    assert audit["by_jurisdiction"] == {"CAN": {"effect": {"text-read": 2}, "position": {"text-read": 1, "secondary": 1},
                                                "change": {"secondary": 2}}}
    strict = _run(fixture_store, "audit", "--strict")
    assert strict.returncode == 1 and "1 evidence node(s) break the evidence rules" in strict.stderr
    assert "Traceback" not in strict.stderr


# --------------------------------------------------------------------------- the shipped data

def _expected_audit() -> tuple[dict, set, list]:
    """by_jurisdiction, weak positions and mislocated evidence, by walking the source files with rdflib."""
    g = graph()
    ranks = lambda fact: [RANK[str(g.value(e, N.confidence))] for e in g.objects(fact, N.evidence)
                          if g.value(e, N.confidence) is not None]
    country = lambda provision: str(g.value(top_law(provision), ELI.jurisdiction)).rsplit("/", 1)[-1]
    by: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    weak, mislocated = set(), []
    for kind, cls, link in (("effect", N.ProvisionEffect, N.grantedBy), ("change", N.ProvisionChange, N.changedProvision),
                            ("mapping", N.ProvisionMapping, N.sourceProvision)):
        for fact in g.subjects(RDF.type, cls):
            r = ranks(fact)
            by[country(g.value(fact, link))][kind][LEVEL[max(r)] if r else "none"] += 1
    for pos in g.subjects(RDF.type, N.JurisdictionPosition):
        r = ranks(pos)
        level = LEVEL[min(r)] if r else "none"
        iso = str(g.value(pos, N.jurisdiction)).rsplit("/", 1)[-1]
        by[iso]["position"][level] += 1
        if level != "text-read":
            weak.add((iso, str(g.value(pos, N.topic)).rsplit("/", 1)[-1]))
    owns_of = {N.grantedBy, N.changedProvision, N.amendingProvision, N.sourceProvision, N.targetProvision}
    for fact, ev in g.subject_objects(N.evidence):
        located = g.value(ev, N.locatesProvision)
        if located is None:
            continue
        owns = {o for p in owns_of for o in g.objects(fact, p)}
        owns |= {o for e in g.objects(fact, N.supportedBy) for o in g.objects(e, N.grantedBy)}
        owns |= {a for o in set(owns) for c in g.subjects(N.changedProvision, o) for a in g.objects(c, N.amendingProvision)}
        ancestors, node = set(), located
        while (node := g.value(node, ELI.is_part_of)) is not None and node not in ancestors:
            ancestors.add(node)
        if owns and located not in owns and not ancestors & owns:
            mislocated.append(str(ev).removeprefix(BASE))
    return ({iso: {k: dict(c) for k, c in kinds.items()} for iso, kinds in by.items()}, weak, sorted(mislocated))


def test_audit_counts_on_the_shipped_data_are_exact(shipped_store):
    out = run_kg("audit", "--format", "json", data_dir=shipped_store)
    assert out.returncode == 0, out.stderr
    audit = json.loads(out.stdout)
    by, weak, mislocated = _expected_audit()
    assert audit["by_jurisdiction"] == by
    assert {(p["country"], p["topic"]) for p in audit["weak_positions"]} == weak
    assert sorted(m["evidence"] for m in audit["mislocated_evidence"]) == mislocated
    cases = {str(g_id) for g_id in graph().objects(None, N.caseId)}
    assert set(audit["by_case"]) == cases


def test_shipped_evidence_breaks_no_rule(shipped_store):
    """No shipped evidence names another provision than its fact, and every text-read node has its quote."""
    out = run_kg("audit", "--strict", data_dir=shipped_store)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr


def test_the_audit_page_through_a_real_server(shipped_store):
    import httpx

    server = LiveServer(shipped_store)
    try:
        page = httpx.get(server.url + "/audit", timeout=60)
        data = httpx.get(server.url + "/audit.json", timeout=60).json()
        law = httpx.get(server.url + "/eli/pol/ustawa/1995/statystyka-publiczna", headers={"Accept": "text/html"}, timeout=60)
    finally:
        server.stop()
    assert page.status_code == 200 and "Evidence audit" in page.text
    weak = len(data["weak_positions"])
    assert f"Positions resting only on secondary or recalled evidence ({weak})" in page.text
    assert data["by_jurisdiction"] == _expected_audit()[0]
    # a law page shows each effect's evidence level and each position's level beside it
    assert law.status_code == 200 and "level <span class=\"conf conf-" in law.text and "rests on" in law.text
