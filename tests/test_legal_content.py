"""Legal content: positions match the table derived from the cited sources; every fact has evidence."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import ROOT
from kg import queries

EXPECTED_DIR = Path(__file__).parent / "expected"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
POS = "https://w3id.org/nso-partnership/vocab/legal-position/"
REQUIRED_TOPICS = ("private-data-access", "statistical-confidentiality", "microdata-access")


def expected_positions() -> dict[str, tuple[str, set[str]]]:
    """iso3 -> (position, article numbers), from every tests/expected/private-data-positions*.csv."""
    out: dict[str, tuple[str, set[str]]] = {}
    for path in sorted(EXPECTED_DIR.glob("private-data-positions*.csv")):
        for row in csv.DictReader(path.open(encoding="utf-8")):
            assert row["iso3"] not in out, f"{row['iso3']} listed twice ({path.name})"
            assert row["source"].startswith("http"), f"{path.name}: {row['iso3']} has no source URL"
            out[row["iso3"]] = (row["position"], {a.strip() for a in row["articles"].split(";") if a.strip()})
    return out


def jurisdictions() -> set[str]:
    """ISO3 codes of the jurisdiction files under data/laws/ (not the Generic Law)."""
    return {p.stem.upper() for p in (ROOT / "data" / "laws").glob("*.ttl") if not p.stem.startswith("int-")}


def test_at_least_35_jurisdictions_are_covered():
    assert len(jurisdictions()) >= 35, sorted(jurisdictions())


def test_private_data_positions_match_the_expected_table(store):
    result = queries.run(store, queries.resolve("legal-positions", ROOT), {"topic": "topic:private-data-access"})
    _, rows = queries.rows(result)
    actual = {}
    for r in rows:
        iso3 = r["country"].value.removeprefix(COUNTRY)
        articles = {a.strip() for a in (r["articles"].value if r["articles"] else "").split(";") if a.strip()}
        assert iso3 not in actual, f"{iso3} has more than one private-data position"
        actual[iso3] = (r["position"].value.removeprefix(POS), articles)
    assert actual == expected_positions()


def test_every_jurisdiction_has_the_required_positions(store):
    missing = []
    for iso3 in sorted(jurisdictions()):
        for topic in REQUIRED_TOPICS:
            ask = f"""ASK {{ ?p a nsp:JurisdictionPosition ; nsp:jurisdiction <{COUNTRY}{iso3}> ;
                        nsp:topic <https://w3id.org/nso-partnership/vocab/legal-topic/{topic}> }}"""
            if not bool(queries.run(store, ask)):
                missing.append(f"{iso3}/{topic}")
    assert missing == []


def test_every_effect_position_and_mapping_has_a_source_url_and_a_confidence(store):
    lacking = f"""SELECT ?fact WHERE {{
        VALUES ?kind {{ nsp:ProvisionEffect nsp:JurisdictionPosition }}
        ?fact a ?kind .
        FILTER NOT EXISTS {{ ?fact nsp:evidence ?e . ?e nsp:sourceDocument/foaf:page ?url ;
                              nsp:confidence ?c . FILTER(isIRI(?url)) VALUES ?c {{ conf:text-read conf:secondary conf:recalled }} }} }}"""
    _, rows = queries.rows(queries.run(store, lacking))
    assert [r["fact"].value for r in rows] == []


@pytest.mark.parametrize("iso3", sorted(expected_positions()))
def test_cited_articles_exist_in_that_jurisdiction(store, iso3: str):
    position, articles = expected_positions()[iso3]
    for number in articles:
        ask = f"""ASK {{ ?art eli:number "{number}" ; eli:is_part_of+ ?law .
                       ?law eli:jurisdiction <{COUNTRY}{iso3}> }}"""
        assert bool(queries.run(store, ask)), f"{iso3}: article {number} not in the graph"


def test_readme_to_verify_list_equals_the_recalled_facts(store):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## To verify", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("- `")}
    _, rows = queries.rows(queries.run(store, queries.resolve("recalled-facts", ROOT)))
    assert listed == {r["fact"].value.removeprefix("https://w3id.org/nso-partnership/") for r in rows}


def test_readme_lists_every_jurisdiction():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Legal content: jurisdictions covered", 1)[1].split("\n## ", 1)[0]
    assert {iso for iso in jurisdictions() if f"({iso})" in section} == jurisdictions()
    assert section.strip().startswith(f"{len(jurisdictions())} jurisdictions")


def _readme_cell(cell: str) -> tuple[str, frozenset[str]]:
    """'compulsory (1; 6)' -> ('compulsory', {'1', '6'})."""
    value, _, rest = cell.strip().partition(" (")
    return value.strip(), frozenset(a.strip() for a in rest.rstrip(")").split(";") if a.strip())


def test_readme_jurisdiction_table_equals_the_legal_positions_query(store):
    """Each README row says what `kg query legal-positions` gives: value and articles (in any order)
    for private data, confidentiality and microdata."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Legal content: jurisdictions covered", 1)[1].split("\n## ", 1)[0]
    shown = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].endswith(")") and "(" in cells[0]:
            shown[cells[0].rsplit("(", 1)[1].rstrip(")")] = tuple(_readme_cell(c) for c in cells[2:])
    topics = ("private-data-access", "statistical-confidentiality", "microdata-access")
    actual: dict[str, list] = {}
    for i, topic in enumerate(topics):
        _, rows = queries.rows(queries.run(store, queries.resolve("legal-positions", ROOT), {"topic": f"topic:{topic}"}))
        for r in rows:
            iso3 = r["country"].value.removeprefix(COUNTRY)
            arts = frozenset(a.strip() for a in (r["articles"].value if r["articles"] else "").split(";") if a.strip())
            actual.setdefault(iso3, [("", frozenset())] * 3)[i] = (r["position"].value.removeprefix(POS), arts)
    assert {k: tuple(v) for k, v in actual.items()} == shown


# The mappings file links provisions of other files by design, so it is not one of these.
@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "data" / "laws").glob("*.ttl") if p.name != "int-glos-mappings.ttl"),
                         ids=lambda p: p.name)
def test_each_law_file_declares_the_provisions_its_facts_rest_on(path: Path):
    """A jurisdiction file stands alone (projects and tests load it without data/laws/articles/): every
    provision its effects, evidence and changes name is declared in it."""
    import rdflib

    nsp, eli = rdflib.Namespace("https://w3id.org/nso-partnership/ontology#"), rdflib.Namespace("http://data.europa.eu/eli/ontology#")
    g = rdflib.Graph().parse(path)
    typed = set(g.subjects(rdflib.RDF.type, None))
    links = (nsp.grantedBy, nsp.locatesProvision, nsp.changedProvision, nsp.amendingProvision, eli.is_part_of, eli.amends)
    assert sorted({str(o) for p in links for o in g.objects(None, p)} - {str(t) for t in typed}) == []


CORE_TOPICS = ("private-data-access", "administrative-data-access", "statistical-confidentiality", "microdata-access")


def test_unece_coverage_query_agrees_with_the_law_files(store):
    """`kg query unece-coverage`: one row per UNECE member State (56); a State has a law and an office
    exactly when it has a jurisdiction file, and its position counts equal an rdflib walk of that file."""
    import rdflib

    nsp = rdflib.Namespace("https://w3id.org/nso-partnership/ontology#")
    _, rows = queries.rows(queries.run(store, queries.resolve("unece-coverage", ROOT), {}))
    assert len(rows) == 56
    for r in rows:
        iso3 = r["iso3"].value
        path = ROOT / "data" / "laws" / f"{iso3.lower()}.ttl"
        assert (int(r["laws"].value) > 0) == path.exists(), iso3
        if not path.exists():
            assert int(r["positions"].value) == 0, iso3
            continue
        assert int(r["offices"].value) > 0, iso3
        g = rdflib.Graph().parse(path)
        topics = {str(t).rsplit("/", 1)[1] for p in g.subjects(rdflib.RDF.type, nsp.JurisdictionPosition)
                  for t in g.objects(p, nsp.topic)}
        assert int(r["positions"].value) == len(topics & set(CORE_TOPICS)), iso3
