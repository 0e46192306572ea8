"""`kg import` and `kg export --format csv`: the lossless round trip, all-or-nothing writes, errors
named by row and column, dry runs, and cases from a new user reaching the queries."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
import rdflib
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from conftest import FIXTURES, ROOT, make_project, run_kg, write_csv
from kg import importer

REFERENCE = ROOT.parent / "shared" / "reference" / "cases.csv"
# Cases of the dossier not shipped (none: the two whose sources name no statistical office are
# imported with nsp:withoutStatisticalOffice true, which the shapes accept with a Warning).
LEFT_OUT: set[str] = set()
NO_OFFICE = "no statistical office or producer of official statistics among"


def _project(tmp_path: Path) -> Path:
    """The real ontology, shapes, vocabularies, laws (with their article lists) and organisations, and no cases."""
    files = [p.relative_to(ROOT).as_posix() for p in sorted((ROOT / "data" / "laws").rglob("*.ttl"))]
    return make_project(tmp_path / "project", files + ["data/organisations.ttl"])


def _cases(root: Path) -> dict[str, Path]:
    return {p.stem: p for p in sorted((root / "data" / "cases").glob("*.ttl"))}


def test_shipped_cases_are_the_dossier_minus_the_documented_exceptions():
    with open(REFERENCE, newline="", encoding="utf-8") as handle:
        ids = {r["id"] for r in csv.DictReader(handle)}
    assert len(ids) == 79
    assert set(_cases(ROOT)) == ids - LEFT_OUT


def _rows(path: Path = REFERENCE) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_csv(path, rows, importer.COLUMNS)


def test_the_dossier_rows_left_out_are_reported_by_row_and_column(tmp_path: Path):
    result = importer.run_import(REFERENCE, _project(tmp_path))
    rows = {r["id"]: n for n, r in enumerate(_rows(), 1)}
    assert {(p.row, p.column) for p in result.problems} == {(rows[i], "organisations") for i in LEFT_OUT}
    # the rows without a statistical office are named as warnings, whatever the shapes say
    no_office = {"EU-JRC-MNO-COVID", "ES-BBVA-CARD"}  # European Commission; BBVA Research
    assert {(w.row, w.column) for w in result.row_warnings} == {(rows[i], "organisations") for i in no_office}
    assert all(NO_OFFICE in w.message for w in result.row_warnings)


def test_round_trip_of_the_whole_file_is_lossless(tmp_path: Path, shipped_store: Path):
    out = tmp_path / "cases.csv"
    result = run_kg("export", "--format", "csv", "--out", str(out), data_dir=shipped_store)
    assert result.returncode == 0, result.stderr
    project = _project(tmp_path)
    result = run_kg("import", str(out), root=project)
    assert result.returncode == 0, result.stderr + result.stdout
    shipped, imported = _cases(ROOT), _cases(project)
    assert set(imported) == set(shipped) and len(shipped) == 79 - len(LEFT_OUT)
    for case_id, path in shipped.items():
        a, b = rdflib.Graph().parse(path), rdflib.Graph().parse(imported[case_id])
        if not isomorphic(a, b):
            _, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
            pytest.fail(f"{case_id}: shipped only {sorted(only_a)[:3]}; imported only {sorted(only_b)[:3]}")


def test_a_file_with_errors_writes_nothing_and_names_every_bad_row_and_column(tmp_path: Path):
    project = _project(tmp_path)
    result = run_kg("import", str(FIXTURES / "cases-bad.csv"), root=project)
    assert result.returncode == 1
    err = result.stderr
    assert "row 2, column partners: unknown organisation 'Statistcs Norway'; did you mean 'Statistics Norway'?" in err
    assert "row 3, column type: 'supplier' is not a partnership type" in err
    assert "row 3, column start_year: '20x1' is not a year" in err
    assert "row 4, column countries: unknown country 'Atlantis'" in err
    # Bank of England is not typed as a producer of official statistics: a warning, not an error
    assert f"row 5, column organisations: {NO_OFFICE} 'Bank of England' or the partners; recorded as a case without statistical office" in err
    assert "row 1," not in err  # the good row is not blamed ...
    assert "nothing was written" in err
    assert not (project / "data" / "cases").exists()  # ... and not written either


def test_dry_run_writes_nothing(tmp_path: Path):
    project = _project(tmp_path)
    before = (project / "data" / "organisations.ttl").read_text(encoding="utf-8")
    result = run_kg("import", str(FIXTURES / "cases-new-user.csv"), "--dry-run", "--allow-new-organisations", root=project)
    assert result.returncode == 0, result.stderr
    assert "would write data/cases/NEWUSER-SCAN.ttl" in result.stdout
    assert "would write data/organisations.ttl" in result.stdout
    assert not (project / "data" / "cases").exists()
    assert (project / "data" / "organisations.ttl").read_text(encoding="utf-8") == before


def test_unknown_organisation_without_the_flag_is_refused_with_a_suggestion(tmp_path: Path):
    result = run_kg("import", str(FIXTURES / "cases-new-user.csv"), root=_project(tmp_path))
    assert result.returncode == 1
    assert "row 1, column partners: unknown organisation 'Canadian grocery chains'; did you mean" in result.stderr


def test_a_new_users_cases_reach_the_queries(tmp_path: Path):
    project = _project(tmp_path)
    result = run_kg("import", str(FIXTURES / "cases-new-user.csv"), "--allow-new-organisations", root=project)
    assert result.returncode == 0, result.stderr
    assert "<https://w3id.org/nso-partnership/id/org/CAN-CANADIAN-GROCERY-CHAINS>" in (project / "data" / "organisations.ttl").read_text()
    data_dir = tmp_path / "store"
    assert run_kg("build", root=project, data_dir=data_dir).returncode == 0
    result = run_kg("query", "cases-by-type", "--param", "type=pt:co-creation", "--format", "csv", root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [(r["id"], r["countryLabel"], r["outcome"].rsplit("/", 1)[-1]) for r in rows] == [("NEWUSER-SCAN", "Canada", "unsuccessful")]
    # the legal-basis text 'Statistics Act s. 13' was resolved to the article in data/laws/can.ttl
    text = (project / "data" / "cases" / "NEWUSER-SCAN.ttl").read_text()
    assert "nsp:legalBasis <https://w3id.org/nso-partnership/eli/can/act/1985/s-19/sec_13>" in text


def test_cell_parsing():
    assert importer.split_top("A (x; y); B [r]; C") == ["A (x; y)", "B [r]", "C"]
    assert importer.trailing_group("Statistics Norway (partner)") == ("Statistics Norway", "partner")
    assert importer.trailing_links("Statistics Act [eli/can/act/1985/s-19]") == ("Statistics Act", ["eli/can/act/1985/s-19"])
    assert importer.trailing_links("[eli/can/act/1985/s-19]") == ("", ["eli/can/act/1985/s-19"])  # links with no note
    assert importer.split_head("mou (2017) [A; B: x]: text: more") == ("mou (2017) [A; B: x]", "text: more")
    assert importer.category_list("legal, cost") == ["legal", "cost"]
    assert importer.category_list("Technical/methodological") is None
    known = {"legal", "cost", "unclassified"}
    assert importer.parse_findings("legal, cost: a | Legal: b |  | : cost: c", "difficulty-category", known, False) == [
        (["legal", "cost"], "a"), ([], "Legal: b"), None, ([], "cost: c")]
    assert importer.parse_findings("costs: x", "difficulty-category", known, False) == [
        "'costs' is not a difficulty-category (allowed: cost, legal, unclassified); to keep the words as text, write ': costs: x'"]
    # the dossier's free text: items, never a category (even when the words name one)
    assert importer.parse_findings("Legal: no statute; cost of the data. Privacy concerns", "difficulty-category", known, True) == [
        ([], "Legal: no statute"), ([], "cost of the data."), ([], "Privacy concerns")]


def test_legal_basis_articles_are_linked():
    for case, article in (("FR-INSEE-SCANNER", "eli/fra/loi/1951/51-711/art_3bis"),
                          ("CA-STATCAN-CREDIT-BANKS", "eli/can/act/1985/s-19/sec_13")):
        g = rdflib.Graph().parse(ROOT / "data" / "cases" / f"{case}.ttl")
        assert rdflib.URIRef("https://w3id.org/nso-partnership/" + article) in set(g.objects(None, importer.NSP.legalBasis))


def test_an_international_case_validates_with_the_international_area(tmp_path: Path):
    project = _project(tmp_path)
    row = next(r for r in _rows() if r["id"] == "SDMX-SPONSORS")
    assert row["countries"] == "international"
    result = run_kg("import", str(_write_rows(tmp_path / "int.csv", [row])), root=project)
    assert result.returncode == 0, result.stderr
    g = rdflib.Graph().parse(project / "data" / "cases" / "SDMX-SPONSORS.ttl")
    case = rdflib.URIRef("https://w3id.org/nso-partnership/id/case/SDMX-SPONSORS")
    assert set(g.objects(case, rdflib.DCTERMS.spatial)) == {rdflib.URIRef("https://w3id.org/nso-partnership/id/area/INT")}
    assert run_kg("validate", root=project).returncode == 0
    # a case with countries and 'international' keeps both
    g = rdflib.Graph().parse(ROOT / "data" / "cases" / "UNECE-SANDBOX-ICHEC.ttl")
    assert {str(o).rsplit("/", 1)[-1] for o in g.objects(None, rdflib.DCTERMS.spatial)} == {"IRL", "INT"}


def test_a_statistics_producer_leads_its_case():
    g = rdflib.Graph().parse(ROOT / "data" / "cases" / "EE-EESTIPANK-POSITIUM.ttl")
    bank = rdflib.URIRef("https://w3id.org/nso-partnership/id/org/EST-EESTIPANK")
    part = next(g.subjects(rdflib.URIRef("http://www.w3.org/ns/prov#agent"), bank))
    assert {str(r).rsplit("/", 1)[-1] for r in g.objects(part, rdflib.URIRef("http://www.w3.org/ns/prov#hadRole"))} == {"lead-nso"}
    assert (None, importer.NSP.withoutStatisticalOffice, None) not in g


def _no_office_row() -> dict[str, str]:
    row = dict(next(r for r in _rows() if r["id"] == "ES-BBVA-CARD"))
    row["id"] = "TEST-NO-OFFICE"
    return row


def test_a_row_without_statistical_office_is_flagged_with_a_warning(tmp_path: Path):
    project = _project(tmp_path)
    path = _write_rows(tmp_path / "no-office.csv", [_no_office_row()])
    result = importer.run_import(path, project)
    [case] = result.cases
    assert (None, importer.NSP.withoutStatisticalOffice, rdflib.Literal(True)) in case.graph
    [warning] = result.row_warnings
    assert str(warning) == (f"row 1, column organisations: {NO_OFFICE} 'BBVA Research' or the partners; "
                            "recorded as a case without statistical office")
    cli = run_kg("import", str(path), "--dry-run", root=project)
    assert str(warning) in cli.stderr.splitlines()
    # an unknown organisation is still refused, flag or no flag
    bad = _write_rows(tmp_path / "unknown.csv", [{**_no_office_row(), "organisations": "Banco de Atlantis"}])
    cli = run_kg("import", str(bad), root=project)
    assert cli.returncode == 1 and "row 1, column organisations: unknown organisation 'Banco de Atlantis'" in cli.stderr


def test_a_row_without_statistical_office_is_imported_with_exit_0(tmp_path: Path):
    project = _project(tmp_path)
    cli = run_kg("import", str(_write_rows(tmp_path / "no-office.csv", [_no_office_row()])), root=project)
    assert cli.returncode == 0, cli.stderr
    text = (project / "data" / "cases" / "TEST-NO-OFFICE.ttl").read_text()
    assert "nsp:withoutStatisticalOffice true" in text


# --- only what the row states (issue 12): explicit columns, the dossier's free text, the suggester ---

EXPLICIT = FIXTURES / "cases-explicit.csv"
CASE = "https://w3id.org/nso-partnership/id/case/"
ORG = "https://w3id.org/nso-partnership/id/org/"
PROV = rdflib.Namespace("http://www.w3.org/ns/prov#")
GUESSABLE = [importer.NSP.dataProvider, importer.NSP.dataRecipient, importer.NSP.dataSourceType,
             importer.NSP.involvesPrivatelyHeldData, importer.NSP.category, importer.NSP.agreement]


def _local(term) -> str:
    return str(term).rsplit("/", 1)[-1]


def _roles(g: rdflib.Graph) -> dict[str, set[str]]:
    """Organisation key -> its roles (an empty set for a participation without a role)."""
    return {_local(a): {_local(r) for r in g.objects(p, PROV.hadRole)}
            for p, a in g.subject_objects(PROV.agent)}


def _flow(g: rdflib.Graph, case: str, n: int) -> dict[str, set[str]]:
    f = rdflib.URIRef(f"{CASE}{case}/dataflow/{n}")
    return {_local(p).split("#")[-1]: {str(o) if isinstance(o, rdflib.Literal) else _local(o) for o in g.objects(f, p)}
            for p in set(g.predicates(f)) if p != rdflib.RDF.type}


def _categories(g: rdflib.Graph, case: str, kind: str) -> dict[int, tuple[set[str], str]]:
    out = {}
    for node in g.subjects(rdflib.RDF.type, importer.NSP.Difficulty if kind == "difficulty" else importer.NSP.LessonLearned):
        out[int(_local(node))] = ({_local(c) for c in g.objects(node, importer.NSP.category)},
                                  str(g.value(node, rdflib.DCTERMS.description)))
    return out


def test_the_dossier_imports_its_free_text_and_guesses_nothing(tmp_path: Path):
    """The dossier's rows give roles only to the statistical offices in the organisations column
    (lead-nso), and no direction, data-source type, privacy statement, category or agreement."""
    result = importer.run_import(REFERENCE, _project(tmp_path))
    assert result.ok and len(result.cases) == 79
    ctx_offices = 0
    rows = {r["id"]: r for r in _rows()}
    for case in result.cases:
        g = case.graph
        for p in GUESSABLE:
            assert (None, p, None) not in g, (case.case_id, p)
        assert (None, rdflib.RDF.type, importer.NSP.Agreement) not in g
        for part, role in g.subject_objects(PROV.hadRole):
            assert _local(role) == "lead-nso" and case.nodes[str(part)] == "organisations", case.case_id
            ctx_offices += 1
        # the free text is kept: the exchanged note on the one flow, every difficulty and lesson as text
        flows = list(g.objects(None, importer.NSP.hasDataFlow))
        assert [str(g.value(f, rdflib.DCTERMS.description)) for f in flows] == [rows[case.case_id]["exchanged"]]
        assert all(g.value(d, rdflib.DCTERMS.description) for d in g.objects(None, importer.NSP.hasDifficulty))
    assert ctx_offices == 89  # the statistical offices named in the 79 organisations cells


def test_explicit_columns_write_exactly_what_they_say(tmp_path: Path):
    result = importer.run_import(EXPLICIT, _project(tmp_path))
    assert result.ok, result.problems
    g = {c.case_id: c.graph for c in result.cases}["EXPL-SCAN-FLOWS"]
    assert _roles(g) == {"NLD-CBS": {"lead-nso"}, "NLD-SUPERMARKETS": {"data-supplier"}, "NLD-VODAFONE": set(),
                         "NOR-SSB": {"adviser", "partner-nso"}}
    assert _flow(g, "EXPL-SCAN-FLOWS", 1) == {
        "description": {"Scanner data of prices and quantities sold"}, "dataProvider": {"NLD-SUPERMARKETS"},
        "dataRecipient": {"NLD-CBS"}, "dataSourceType": {"scanner-transaction"}, "involvesPrivatelyHeldData": {"true"},
        "legalBasisNote": {"Cooperation with the chains"}, "agreement": {"contract", "data-sharing-agreement"}}
    assert _flow(g, "EXPL-SCAN-FLOWS", 2) == {  # a provider and no recipient: no direction is stated
        "description": {"Advice on index methods"}, "dataProvider": {"NOR-SSB"}, "dataSourceType": {"expertise"},
        "involvesPrivatelyHeldData": {"false"}, "agreement": {"mou"}}
    assert _categories(g, "EXPL-SCAN-FLOWS", "difficulty") == {
        1: ({"technical-methodological"}, "product churn needed a new index method"),
        2: (set(), "coverage: only six chains in 2010"), 3: ({"unclassified"}, "long negotiations with the chains")}
    assert _categories(g, "EXPL-SCAN-FLOWS", "lesson") == {
        1: ({"start-small", "knowledge-sharing"}, "scale up stepwise and share the experience"),
        2: (set(), "Design index methods around transaction data")}
    years = {_local(a): (g.value(a, importer.NSP.startYear), g.value(a, importer.NSP.yearUnknown))
             for a in g.subjects(rdflib.RDF.type, importer.NSP.Agreement)}
    assert {k: (y and y.toPython(), u and u.toPython()) for k, (y, u) in years.items()} == {
        "data-sharing-agreement": (2010, None), "contract": (None, True), "mou": (2017, None)}
    mou = rdflib.URIRef("https://w3id.org/nso-partnership/id/agreement/EXPL-SCAN-FLOWS/mou")
    assert {_local(p) for p in g.objects(mou, importer.NSP.party)} == {"NLD-CBS", "NOR-SSB"}


def test_blank_cells_write_nothing(tmp_path: Path):
    result = importer.run_import(EXPLICIT, _project(tmp_path))
    g = {c.case_id: c.graph for c in result.cases}["EXPL-BLANK"]
    assert _roles(g) == {"NLD-CBS": {"lead-nso"}, "NLD-VODAFONE": set()}
    for p in GUESSABLE + [importer.NSP.hasDataFlow, importer.NSP.hasDifficulty, importer.NSP.hasLesson,
                          importer.NSP.outcome, importer.NSP.startYear]:
        assert (None, p, None) not in g, p
    # an office with empty brackets has no role; a gap between flows keeps the numbers after it
    g = {c.case_id: c.graph for c in result.cases}["EXPL-NUMBERED"]
    assert _roles(g) == {"NLD-CBS": set(), "NLD-SUPERMARKETS": set(), "NLD-VODAFONE": {"coordinator", "funder"}}
    assert sorted(_local(f) for f in g.objects(None, importer.NSP.hasDataFlow)) == ["1", "3"]
    assert _flow(g, "EXPL-NUMBERED", 1)["agreement"] == {"contract-2"} and _flow(g, "EXPL-NUMBERED", 3)["agreement"] == {"contract"}


def test_unknown_values_are_errors_by_row_and_column_and_nothing_is_written(tmp_path: Path):
    good = next(csv.DictReader(EXPLICIT.open(encoding="utf-8")))
    bad_role = {**good, "id": "BAD-ROLE", "partners": "Dutch supermarket chains [supplier]"}
    bad_cells = {**good, "id": "BAD-CELLS", "data_source_types": "scanner || expertise", "privately_held": "maybe || no",
                 "data_providers": "Atlantis Retail || Statistics Norway",
                 "difficulties": "legall: unclear basis", "lessons": "smallstart: begin small",
                 "agreements": "memo (2017) [Statistics Netherlands]: x | mou [Statistics Netherlands]: y | mou (2017): z"
                               " | contract (May 2017) [Statistics Netherlands]: w || "}
    project = _project(tmp_path)
    result = run_kg("import", str(_write_rows(tmp_path / "bad.csv", [good, bad_role, bad_cells])), root=project)
    assert result.returncode == 1
    err = result.stderr.splitlines()
    schemes = {s: ", ".join(sorted(c.rsplit("/", 1)[-1] for c in _concepts(s))) for s in
               ("participation-role", "data-source-type", "difficulty-category", "lesson-theme", "agreement-type")}
    assert f"row 2, column partners: 'supplier' is not a participation-role (allowed: {schemes['participation-role']})" in err
    assert f"row 3, column data_source_types: 'scanner' is not a data-source-type (allowed: {schemes['data-source-type']})" in err
    assert "row 3, column privately_held: 'maybe' is not yes, no or blank" in err
    assert any(line.startswith("row 3, column data_providers: unknown organisation 'Atlantis Retail'") for line in err)
    assert (f"row 3, column difficulties: 'legall' is not a difficulty-category (allowed: {schemes['difficulty-category']});"
            " to keep the words as text, write ': legall: unclear basis'") in err
    assert f"row 3, column lessons: 'smallstart' is not a lesson-theme (allowed: {schemes['lesson-theme']}); to keep the words as text, write ': smallstart: begin small'" in err
    assert f"row 3, column agreements: 'memo' is not a agreement-type (allowed: {schemes['agreement-type']})" in err
    assert ("row 3, column agreements: 'mou [Statistics Netherlands]: y' gives no year: "
            "write 'mou (2017) [...]: ...' or 'mou (year unknown) [...]: ...'") in err
    assert any(line.startswith("row 3, column agreements: 'mou (2017): z' names no party") for line in err)
    assert "row 3, column agreements: 'May 2017' is not a year (four digits) or 'year unknown'" in err
    assert not any(line.startswith("row 1,") for line in err)
    assert "nothing was written" in result.stderr and not (project / "data" / "cases").exists()


def _concepts(scheme: str) -> set[str]:
    g = rdflib.Graph().parse(ROOT / "data" / "vocab" / f"{scheme}.ttl")
    return {str(c) for c in g.subjects(rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme"),
                                        rdflib.URIRef(f"https://w3id.org/nso-partnership/vocab/{scheme}"))}


def test_export_then_import_keeps_every_explicit_form(tmp_path: Path):
    """Several flows, a gap between flows, flows without direction, findings with several, one or no
    category (and text that looks like one), numbered agreements, offices without a role: export ->
    import gives the same graphs."""
    import pyoxigraph as ox

    from kg.export import export_cases_csv
    from kg.sources import discover, parse

    project = _project(tmp_path / "a")
    first = importer.run_import(EXPLICIT, project)
    assert first.ok, first.problems
    store = ox.Store()
    for s in discover(project):
        store.extend(parse(s))
    for c in first.cases:
        store.extend(importer._ox_quads(c.graph, f"urn:test:{c.case_id}"))
    out = tmp_path / "export.csv"
    out.write_text(export_cases_csv(store), encoding="utf-8")
    again = importer.run_import(out, _project(tmp_path / "b"))
    assert again.ok, again.problems
    before, after = {c.case_id: c.graph for c in first.cases}, {c.case_id: c.graph for c in again.cases}
    assert set(before) == set(after) == {"EXPL-SCAN-FLOWS", "EXPL-BLANK", "EXPL-NUMBERED"}
    for case_id, g in before.items():
        assert isomorphic(g, after[case_id]), case_id
    # the export writes the new_organisations column (blank: every participant is in the graph) and
    # reads back through it; tests/test_names.py imports and exports cases that declare organisations
    with open(out, newline="", encoding="utf-8") as handle:
        exported = list(csv.reader(handle))
    assert exported[0] == importer.COLUMNS and all(r[importer.COLUMNS.index("new_organisations")] == "" for r in exported[1:])
    row = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}["EXPL-NUMBERED"]
    # roles in brackets wherever they are written; a participant without brackets in partners has no role
    assert (row["organisations"], row["partners"]) == ("Vodafone Netherlands [coordinator, funder]",
                                                       "Dutch supermarket chains; Statistics Netherlands")
    assert row["exchanged"] == "Mobile network counts ||  || Hosting of the pilot"
    assert row["agreements"] == ("contract-2 (2019) [Vodafone Netherlands]: second contract ||  || "
                                 "contract (2018) [Statistics Netherlands; Vodafone Netherlands]: first contract")


def test_suggest_prints_proposals_with_their_words_and_writes_nothing(tmp_path: Path):
    project = _project(tmp_path)
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    result = run_kg("import", str(REFERENCE), "--suggest", root=project)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    row = out.index("row 1 (NL-CBS-SCAN): proposals only; check each against the sources")
    block = out[row + 1:out.index("row 2 (NL-CBS-CBDS): proposals only; check each against the sources")]
    assert "  data_source_types: scanner-transaction  <- words 'point-of-sale' in exchanged" in block
    assert "  partners: Dutch supermarket chains [data-supplier]  <- first partner, data from the partner" in block
    assert "  data_providers: 'Dutch supermarket chains'  <- data from the partner (scanner-transaction)" in block
    assert any(line.startswith("  lessons: start-small: Scale up stepwise") and line.endswith("<- words 'scale up'") for line in block)
    assert "Nothing was written." in result.stderr
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before
    assert not (project / "data" / "cases").exists()


def test_the_import_guide_lists_every_allowed_value():
    """docs/importing.md lists each value of the explicit columns' schemes, and nothing else."""
    import re

    text = (ROOT / "docs" / "importing.md").read_text(encoding="utf-8")
    for scheme in ("participation-role", "data-source-type", "difficulty-category", "lesson-theme", "agreement-type"):
        section = text.split(f"### `{scheme}`", 1)[1].split("\n#", 1)[0]
        listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", section, re.M))
        assert listed == {c.rsplit("/", 1)[-1] for c in _concepts(scheme)}, scheme


@pytest.mark.parametrize("change, message", [
    (("difficulty/2", "http://purl.org/dc/terms/description", '"a | b"@en'),
     "EXPL-SCAN-FLOWS/difficulty/2>: its description contains ' | ', which separates items in the CSV"),
    (("dataflow/2", "http://purl.org/dc/terms/description", '"a || b"@en'),
     "EXPL-SCAN-FLOWS/dataflow/2>: its exchanged text contains '||', which separates data flows in the CSV"),
])
def test_export_refuses_what_the_columns_cannot_carry_back(tmp_path: Path, change, message):
    """A known-bad graph: a text holding its column's separator would be split on import; the
    export names the node instead of writing a file that imports differently."""
    import pyoxigraph as ox

    from kg.export import NotExportable, export_cases_csv
    from kg.sources import discover, parse

    project = _project(tmp_path)
    result = importer.run_import(EXPLICIT, project)
    store = ox.Store()
    for s in discover(project):
        store.extend(parse(s))
    for c in result.cases:
        store.extend(importer._ox_quads(c.graph, f"urn:test:{c.case_id}"))
    node, prop, value = change
    subject = f"<{CASE}EXPL-SCAN-FLOWS/{node}>"
    store.update(f"DELETE {{ GRAPH ?g {{ {subject} <{prop}> ?o }} }} INSERT {{ GRAPH ?g {{ {subject} <{prop}> {value} }} }} "
                 f"WHERE {{ GRAPH ?g {{ {subject} <{prop}> ?o }} }}")
    with pytest.raises(NotExportable) as exc:
        export_cases_csv(store)
    assert str(exc.value).endswith(message)


@pytest.mark.parametrize("extra, message", [
    ("<{case}/dataflow/1> nsp:dataProvider <{org}NOR-SSB> .", "A data flow names at most one provider"),
    ("<{case}/participation/NLD-VODAFONE> prov:hadRole <https://w3id.org/nso-partnership/vocab/lesson-theme/start-small> .",
     "A participation's roles come from the participation-role scheme"),
    ("<{case}/difficulty/2> nsp:category <https://w3id.org/nso-partnership/vocab/lesson-theme/start-small> .",
     "A difficulty's category comes from the difficulty-category scheme"),
    ("<{case}/dataflow/2> nsp:involvesPrivatelyHeldData true .", "A data flow states at most once"),
])
def test_the_relaxed_case_shapes_stay_strict_about_what_is_stated(tmp_path: Path, extra, message):
    """No role, no direction, no category is valid (the fixture validates); a second provider, a value
    from another scheme or a second privacy statement is not."""
    project = _project(tmp_path)
    assert run_kg("import", str(EXPLICIT), root=project).returncode == 0
    path = project / "data" / "cases" / "EXPL-SCAN-FLOWS.ttl"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\n@prefix prov: <http://www.w3.org/ns/prov#> .\n"
                    + extra.format(case=CASE + "EXPL-SCAN-FLOWS", org=ORG) + "\n", encoding="utf-8")
    result = run_kg("validate", root=project)
    assert result.returncode == 1 and message in result.stdout + result.stderr
