"""Names as curators write them (issue 15): countries and organisations matched by their labels in the
vocabulary (case, accents and spacing aside, nothing fuzzier), ambiguous names refused with their
candidates, unknown names with a hint, UNECE membership as data, and new organisations declared with
their kind and country in `new_organisations`."""
from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib import RDF, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, SKOS

from conftest import FIXTURES, ROOT, make_project, run_kg, write_csv
from kg import importer
from kg.sources import discover, parse

HELDOUT = FIXTURES / "heldout-cases.csv"
COUNTRY = importer.COUNTRY
NSP = "https://w3id.org/nso-partnership/ontology#"
ORG = "https://w3id.org/nso-partnership/id/org/"
UNECE = URIRef("https://w3id.org/nso-partnership/id/collection/unece-member-states")


def _real_project(dest: Path) -> Path:
    """The real laws, organisations and concept note (UNECE, Eurostat), and no cases."""
    files = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "data" / "laws").rglob("*.ttl"))]
    files += [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "data" / "concept-note").glob("*.ttl"))]
    return make_project(dest, files + ["data/organisations.ttl"])


def _small_project(dest: Path) -> Path:
    """Vocabularies plus two offices sharing a name and one company (tests/fixtures/names-orgs.ttl)."""
    project = make_project(dest, [])
    (project / "data" / "organisations.ttl").write_text((FIXTURES / "names-orgs.ttl").read_text(encoding="utf-8"), encoding="utf-8")
    return project


def _context(project: Path) -> importer.Context:
    store = ox.Store()
    for s in discover(project):
        store.extend(parse(s))
    return importer.Context(store)


def _row(**cells: str) -> dict[str, str]:
    base = {"id": "NAMES-TEST", "title": "A test case", "organisations": "Destatis", "countries": "Germany",
            "partners": "Deutsche Telekom [data-supplier]", "type": "supplier-recipient", "status": "ongoing",
            "sources": "https://example.org/case", "confidence": "secondary"}
    return {**base, **cells}


def _import(tmp_path: Path, project: Path, *rows: dict[str, str], allow_new: bool = False) -> importer.ImportResult:
    return importer.run_import(write_csv(tmp_path / "rows.csv", list(rows), importer.COLUMNS), project, allow_new=allow_new)


# --- the vocabulary ---------------------------------------------------------------------------

def test_the_unece_member_states_are_56_countries_of_the_vocabulary():
    g = rdflib.Graph().parse(ROOT / "data" / "vocab" / "countries.ttl")
    members = set(g.objects(UNECE, SKOS.member))
    assert len(members) == 56
    for m in members:  # each a country of the vocabulary, with its name and its ISO 3166 code
        assert (m, RDF.type, DCTERMS.Location) in g and g.value(m, SKOS.prefLabel) is not None, m
        assert str(g.value(m, SKOS.notation)) == str(m).rsplit("/", 1)[-1]
    codes = {str(m).rsplit("/", 1)[-1] for m in members}
    assert {"TUR", "MDA", "MKD", "RUS", "USA", "CAN", "ISR", "UZB", "GBR"} <= codes
    assert not codes & {"KOR", "JPN", "AUS", "PRK"}
    assert str(g.value(UNECE, DCTERMS.source)) == "https://unece.org/geographical-scope"


NAMES = {
    "Republic of Korea": "KOR", "South Korea": "KOR", "Korea, Republic of": "KOR", "Korea (the Republic of)": "KOR",
    "Türkiye": "TUR", "Turkey": "TUR", "Czech Republic": "CZE", "Czechia": "CZE", "Russia": "RUS",
    "Russian Federation": "RUS", "Moldova": "MDA", "Republic of Moldova": "MDA", "North Macedonia": "MKD",
    "United States of America": "USA", "United States": "USA", "USA": "USA", "United Kingdom": "GBR", "UK": "GBR",
    "North Korea": "PRK", "Guinea": "GIN",
    # matching: case, accents (after NFKC) and white space aside
    "turkiye": "TUR", "TÜRKİYE": "TUR", "  czech   republic ": "CZE", "ｕｓａ": "USA", "kor": "KOR",
}


@pytest.mark.parametrize("name,code", sorted(NAMES.items()))
def test_common_names_and_official_short_forms_resolve(name: str, code: str):
    assert CONTEXT.place(name) == ([COUNTRY + code], None)


def test_nothing_fuzzier_than_case_accents_and_spacing():
    for name in ("Turkye", "Czech Rep.", "Korea Republic", "Great Britain"):
        found, why = CONTEXT.place(name)
        assert found is None and why.startswith(f"unknown country {name!r}"), (name, why)


def test_a_name_of_two_countries_is_ambiguous_with_its_candidates():
    assert CONTEXT.place("Korea") == (None, "'Korea' is ambiguous: it names Democratic People's Republic of Korea (PRK) "
                                            "or Korea, Republic of (KOR); write one of these names")
    assert CONTEXT.place("congo")[1] == ("'congo' is ambiguous: it names Congo (COG) or Democratic Republic of the Congo (COD); "
                                         "write one of these names")
    # kg export writes a name of each country that names it alone
    assert CONTEXT.country_labels[COUNTRY + "COG"] == "Republic of the Congo"
    assert CONTEXT.country_labels[COUNTRY + "KOR"] == "Korea, Republic of"


CONTEXT = None


@pytest.fixture(autouse=True, scope="module")
def _vocabulary_context(tmp_path_factory):
    global CONTEXT
    CONTEXT = _context(make_project(tmp_path_factory.mktemp("vocab") / "p", []))


# --- kg import: errors by row and column ----------------------------------------------------------

def test_import_refuses_an_ambiguous_country_naming_row_column_and_candidates(tmp_path: Path):
    result = _import(tmp_path, _small_project(tmp_path / "p"), _row(countries="Germany; Korea"))
    assert [str(p) for p in result.problems] == [
        "row 1, column countries: 'Korea' is ambiguous: it names Democratic People's Republic of Korea (PRK) "
        "or Korea, Republic of (KOR); write one of these names"]


def test_import_refuses_an_ambiguous_organisation_and_never_mints_it(tmp_path: Path):
    project = _small_project(tmp_path / "p")
    for allow_new in (False, True):
        result = _import(tmp_path, project, _row(organisations="Federal Statistical Office", countries="Germany; Switzerland"),
                         allow_new=allow_new)
        assert [str(p) for p in result.problems] == [
            "row 1, column organisations: 'Federal Statistical Office' is ambiguous: it names Destatis (DEU-DESTATIS) "
            "or Swiss Federal Statistical Office (CHE-FSO); write a name of one of them"]
        assert len(result.new_organisations) == 0
    result = _import(tmp_path, project, _row(data_providers="Federal Statistical Office", exchanged="Prices", countries="Austria"))
    assert [str(p) for p in result.problems] == [
        "row 1, column data_providers: 'Federal Statistical Office' is ambiguous: it names Destatis (DEU-DESTATIS) "
        "or Swiss Federal Statistical Office (CHE-FSO); write a name of one of them"]


def test_a_shared_name_is_decided_by_the_row_country_when_exactly_one_organisation_is_there(tmp_path: Path):
    """'Federal Statistical Office' in a case of Switzerland is the Swiss office (its dct:spatial); in a
    case of both countries, or of neither, it stays ambiguous (previous test)."""
    project = _small_project(tmp_path / "p")
    result = _import(tmp_path, project, _row(organisations="Federal Statistical Office", countries="Switzerland",
                                             partners="Deutsche Telekom [data-supplier]"))
    assert result.problems == []
    (case,) = result.cases
    agents = set(case.graph.objects(None, URIRef("http://www.w3.org/ns/prov#agent")))
    assert URIRef(ORG + "CHE-FSO") in agents and URIRef(ORG + "DEU-DESTATIS") not in agents


def test_unknown_names_get_close_candidates_as_a_hint_only(tmp_path: Path):
    result = _import(tmp_path, _small_project(tmp_path / "p"),
                     _row(countries="Czech Repblic", partners="Deutsche Telecom [data-supplier]"))
    assert [str(p) for p in result.problems] == [
        "row 1, column countries: unknown country 'Czech Repblic'; did you mean 'Czech Republic'? (add it to data/vocab/countries.ttl)",
        "row 1, column partners: unknown organisation 'Deutsche Telecom'; did you mean 'Deutsche Telekom'? (add it to "
        "data/organisations.ttl, declare it in new_organisations or use --allow-new-organisations)"]
    assert not result.cases


def test_names_as_written_resolve_in_a_row(tmp_path: Path):
    result = _import(tmp_path, _small_project(tmp_path / "p"),
                     _row(organisations="statistisches   bundesamt", countries="germany; TURKIYE; Republic of Korea"))
    assert result.ok, result.problems
    g = result.cases[0].graph
    case = URIRef(importer.ID + "case/NAMES-TEST")
    assert set(g.objects(case, DCTERMS.spatial)) == {URIRef(COUNTRY + c) for c in ("DEU", "TUR", "KOR")}
    assert (None, URIRef("http://www.w3.org/ns/prov#agent"), URIRef(ORG + "DEU-DESTATIS")) in g


# --- new organisations with their kind and country ---------------------------------------------------

def test_a_case_led_by_a_declared_office_is_a_case_of_a_statistical_office(tmp_path: Path):
    project = _small_project(tmp_path / "p")
    row = _row(id="TR-TEST", organisations="TurkStat", countries="Türkiye", partners="Deutsche Telekom [data-supplier]",
               new_organisations="TurkStat [statistical office; Turkiye]")
    result = _import(tmp_path, project, row)
    assert result.ok, result.problems
    assert not result.row_warnings  # not recorded as a case without statistical office
    office = URIRef(ORG + "TUR-TURKSTAT")
    orgs = result.new_organisations
    assert set(orgs.objects(office, RDF.type)) == {URIRef(NSP + "NationalStatisticalOffice")}
    assert set(orgs.objects(office, DCTERMS.spatial)) == {URIRef(COUNTRY + "TUR")}
    g = result.cases[0].graph
    case = URIRef(importer.ID + "case/TR-TEST")
    assert (case, URIRef(NSP + "withoutStatisticalOffice"), None) not in g
    part = URIRef(f"{case}/participation/TUR-TURKSTAT")
    assert set(g.objects(part, URIRef("http://www.w3.org/ns/prov#hadRole"))) == {URIRef(importer.VOCAB + "participation-role/lead-nso")}
    # a company declared with its sector and country
    result = _import(tmp_path, project, _row(partners="Albert [data-supplier]", new_organisations="Albert [private-company; Czechia]"))
    assert result.ok, result.problems
    albert = URIRef(ORG + "CZE-ALBERT")
    assert set(result.new_organisations.predicate_objects(albert)) >= {
        (RDF.type, URIRef("http://www.w3.org/ns/org#Organization")), (DCTERMS.spatial, URIRef(COUNTRY + "CZE")),
        (URIRef("http://www.w3.org/ns/org#classification"), URIRef(importer.VOCAB + "partner-sector/private-company"))}


@pytest.mark.parametrize("declared,message", [
    ("TurkStat [statistics office; Türkiye]", "'statistics office' is not a kind of organisation (allowed: statistical-office, "
     "statistics-producer, international-statistical-organisation, academia, citizens, civil-society, data-protection-authority, "
     "international-organisation, it-provider, media, policy-maker, private-company, public-body, standards-body)"),
    ("TurkStat [statistical office]", "'TurkStat': a statistical office needs its country: 'Name [statistical office; country]'"),
    ("TurkStat [statistical office; Korea]", "'Korea' is ambiguous: it names Democratic People's Republic of Korea (PRK) or "
     "Korea, Republic of (KOR); write one of these names"),
    ("TurkStat [statistical office; Nordic countries]", "'Nordic countries' is not one country: give the organisation's country"),
    ("TurkStat", "'TurkStat': write each new organisation as 'Name [kind; country]', e.g. 'Turkish Statistical Institute "
     "[statistical office; Türkiye]' or 'SK Telecom [private company; Republic of Korea]'"),
    ("Destatis [statistical office; Switzerland]", "'Destatis' is already in the graph as Destatis (DEU-DESTATIS), of Germany (DEU), "
     "not Switzerland (CHE); correct the declaration or remove it"),
    ("Deutsche Telekom [statistical office; Germany]", "'Deutsche Telekom' is already in the graph as Deutsche Telekom (DEU-TELEKOM), "
     "not a statistical office; correct the declaration or remove it"),
])
def test_a_bad_declaration_is_an_error_and_nothing_is_minted(tmp_path: Path, declared: str, message: str):
    result = _import(tmp_path, _small_project(tmp_path / "p"), _row(new_organisations=declared))
    assert [str(p) for p in result.problems] == [f"row 1, column new_organisations: {message}"]


def test_the_older_explicit_header_without_new_organisations_is_still_read(tmp_path: Path):
    columns = [c for c in importer.COLUMNS if c != importer.NEW_ORGS]
    row = {k: v for k, v in _row().items() if k in columns}
    result = importer.run_import(write_csv(tmp_path / "old.csv", [row], columns), _small_project(tmp_path / "p"))
    assert result.ok, result.problems


# --- the held-out cases, and the round trip -------------------------------------------------------

def test_the_held_out_cases_import_with_dry_run_without_a_name_error(tmp_path: Path):
    project = _real_project(tmp_path / "p")
    result = run_kg("import", str(HELDOUT), "--dry-run", root=project)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "unknown" not in result.stderr and "ambiguous" not in result.stderr
    with open(HELDOUT, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 8
    for r in rows:
        assert f"would write data/cases/{r['id']}.ttl" in result.stdout
    assert f"{len(rows)} cases valid" in result.stderr
    assert not (project / "data" / "cases").exists()
    # every case has its statistical office: none is recorded as a case without one
    imported = importer.run_import(HELDOUT, project)
    assert imported.ok and not imported.row_warnings, imported.problems + imported.row_warnings


def test_export_and_import_of_cases_with_declared_organisations_is_lossless(tmp_path: Path):
    from kg.export import export_cases_csv

    project = _real_project(tmp_path / "p")
    first = importer.run_import(HELDOUT, project)
    assert first.ok, first.problems
    importer.write_all(importer.planned_files(first, project), project)  # cases and the declared organisations
    store = ox.Store()
    for s in discover(project):
        store.extend(parse(s))
    out = tmp_path / "export.csv"
    out.write_text(export_cases_csv(store), encoding="utf-8")
    with open(out, newline="", encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == importer.COLUMNS
    again = importer.run_import(out, project)
    assert again.ok, again.problems
    assert len(again.new_organisations) == 0  # the organisations are in the graph now
    before, after = {c.case_id: c.graph for c in first.cases}, {c.case_id: c.graph for c in again.cases}
    assert set(before) == set(after)
    for case_id, g in before.items():
        assert isomorphic(g, after[case_id]), case_id


# --- kg import-survey -------------------------------------------------------------------------------

def test_import_survey_reads_the_same_names(tmp_path: Path):
    from kg.survey import load_reference, resolve

    ref = load_reference(_real_project(tmp_path / "p"))
    for name, code in (("Republic of Korea", "KOR"), ("Turkiye", "TUR"), ("Czech Republic", "CZE"), ("USA", "USA")):
        assert resolve(name, ref.countries, "country").iri == COUNTRY + code
    assert resolve("통계청", ref.offices, "office").iri == ORG + "KOR-KOSTAT"
    with pytest.raises(ValueError, match=r"^'Korea' names more than one country: KOR, PRK; use the key$"):
        resolve("Korea", ref.countries, "country")
