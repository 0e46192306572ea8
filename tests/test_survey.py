"""Survey of offices: importing the EXAMPLE responses into a project copy, the aggregation queries'
exact rows, and CSVs with errors that write nothing and name every bad row and column."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, make_project, run_kg
from kg import BASE, VOCAB
from kg import survey

EXAMPLE = FIXTURES / "survey-example.csv"
SURVEY = BASE + "id/survey/ces-strategic-partnerships"
LAWS = [f"data/laws/{c}.ttl" for c in ("aut", "can", "eur", "gbr", "mex", "nld", "nor")]
NOTE_FILES = ["data/concept-note/ces-concept-note.ttl", "data/concept-note/survey.ttl"]
HEADER = "office,country,main_challenge,partnership_types,difficulty_categories\n"
PT, DIFF, COUNTRY = VOCAB + "partnership-type/", VOCAB + "difficulty-category/", "http://publications.europa.eu/resource/authority/country/"


def new_project(dest: Path) -> Path:
    return make_project(dest, LAWS + NOTE_FILES)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A project copy with the example survey imported and built: (project, data dir)."""
    base = tmp_path_factory.mktemp("survey")
    project = new_project(base / "project")
    result = run_kg("import-survey", str(EXAMPLE), root=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (f"7 responses to survey ces-strategic-partnerships valid; "
                                     f"wrote {project / 'data/survey/ces-strategic-partnerships.ttl'}")
    build = run_kg("build", root=project, data_dir=base / "store")
    assert build.returncode == 0, build.stderr + build.stdout
    assert "Validated: 0 violations" in build.stdout
    return project, base / "store"


def query_rows(project: Path, data_dir: Path, name: str, *params: str) -> list[list[str]]:
    args = ["query", name, "--format", "csv"] + [a for p in params for a in ("--param", p)]
    result = run_kg(*args, root=project, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return list(csv.reader(io.StringIO(result.stdout)))


def test_most_wanted_partnership_types(imported):
    rows = query_rows(*imported, "survey-partnership-types")
    assert rows == [
        ["survey", "type", "notation", "typeLabel", "responses"],
        [SURVEY, PT + "supplier-recipient", "B.1", "Supplier/recipient partnership", "5"],
        [SURVEY, PT + "open-innovation", "B.2", "Open innovation/strategic partnership", "3"],
        [SURVEY, PT + "policy-makers", "A", "Partnerships with policy makers", "2"],
        [SURVEY, PT + "co-creation", "B.3", "Co-creation partnership", "2"],
    ]


def test_difficulty_categories_by_count(imported):
    rows = query_rows(*imported, "survey-difficulty-categories", f"survey={SURVEY}")
    assert rows == [
        ["survey", "category", "categoryLabel", "responses"],
        [SURVEY, DIFF + "legal", "legal", "4"],
        [SURVEY, DIFF + "privacy-data-protection", "privacy and data protection", "2"],
        [SURVEY, DIFF + "commercial", "commercial interests and confidentiality", "1"],
        [SURVEY, DIFF + "continuity", "continuity of supply", "1"],
        [SURVEY, DIFF + "cost", "cost and financing", "1"],
        [SURVEY, DIFF + "organisational", "organisational", "1"],
        [SURVEY, DIFF + "public-trust", "reputational and public trust", "1"],
        [SURVEY, DIFF + "skills-capacity", "skills and capacity", "1"],
        [SURVEY, DIFF + "technical-methodological", "technical and methodological", "1"],
    ]


def test_responses_by_country(imported):
    rows = query_rows(*imported, "survey-responses-by-country")
    assert rows[0] == ["survey", "country", "countryLabel", "responses", "offices"]
    assert rows[1:] == [
        [SURVEY, COUNTRY + "AUT", "Austria", "1", "Statistics Austria"],
        [SURVEY, COUNTRY + "CAN", "Canada", "1", "Statistics Canada"],
        [SURVEY, COUNTRY + "EUR", "European Union", "1", "Eurostat"],
        [SURVEY, COUNTRY + "MEX", "Mexico", "1", "National Institute of Statistics and Geography"],
        [SURVEY, COUNTRY + "NLD", "Netherlands", "1", "Statistics Netherlands"],
        [SURVEY, COUNTRY + "NOR", "Norway", "1", "Statistics Norway"],
        [SURVEY, COUNTRY + "GBR", "United Kingdom", "1", "Office for National Statistics"],
    ]


def test_a_survey_parameter_for_another_survey_gives_no_rows(imported):
    assert query_rows(*imported, "survey-partnership-types", f"survey={BASE}id/survey/other")[1:] == []


def test_the_written_file_names_offices_by_their_graph_iris(imported):
    project, _ = imported
    text = (project / "data/survey/ces-strategic-partnerships.ttl").read_text()
    assert text.count("a nsp:SurveyResponse") == 7
    assert "<id/survey/ces-strategic-partnerships/response/NLD-CBS> a nsp:SurveyResponse" in text
    assert "nsp:respondent <id/org/GBR-ONS>" in text
    # Eurostat gave no country: it comes from the office
    assert "<id/survey/ces-strategic-partnerships/response/INT-ESTAT>" in text and "country:EUR" in text


def test_dry_run_writes_nothing(tmp_path: Path):
    project = new_project(tmp_path / "p")
    result = run_kg("import-survey", str(EXAMPLE), "--dry-run", root=project)
    assert result.returncode == 0, result.stderr
    assert "dry run: would write" in result.stdout
    assert not (project / "data" / "survey").exists()


def test_out_option_writes_elsewhere(tmp_path: Path):
    project = new_project(tmp_path / "p")
    result = run_kg("import-survey", str(EXAMPLE), "--out", str(tmp_path / "elsewhere"), root=project)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "elsewhere" / "ces-strategic-partnerships.ttl").is_file()
    assert not (project / "data" / "survey").exists()


BAD = (
    "# rows with errors\n"
    + HEADER
    + "Statistcs Netherland,NLD,Access to retailer data on a legal footing,supplier-recipient,legal\n"       # row 3
    + "StatCan,MEX,Trust when using banking data,B.1,public-trust\n"                                         # row 4
    + "INEGI,,short,supplier,legl\n"                                                                      # row 5
    + "Eurostat,,Continuity of privately held data sources,,legal\n"                                       # row 6
    + "StatCan,CAN,Another answer from the same office,co-creation,cost\n"                                 # row 7
    + ",XYZ,An answer without an office,open-innovation,\n"                                                # row 8
    + "Statistics Austria,AUT,Explaining new data sources to policy makers,policy-makers,\n"               # row 9 (valid)
)


def test_errors_name_every_bad_row_and_column_and_nothing_is_written(tmp_path: Path):
    project = new_project(tmp_path / "p")
    good = run_kg("import-survey", str(EXAMPLE), root=project)
    assert good.returncode == 0, good.stderr
    target = project / "data/survey/ces-strategic-partnerships.ttl"
    before = target.read_bytes()
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD)
    result = run_kg("import-survey", str(bad), root=project)
    assert result.returncode == 1
    problems = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("row ")]
    where = [p.split(":")[0] for p in problems]
    assert where == [
        "row 3, column office",
        "row 4, column country",
        "row 5, column main_challenge",
        "row 5, column partnership_types",
        "row 5, column difficulty_categories",
        "row 6, column partnership_types",
        "row 7, column office",
        "row 8, column office",
        "row 8, column country",
    ]
    text = "\n".join(problems)
    assert "unknown office 'Statistcs Netherland'; did you mean 'Statistics Netherlands (NLD-CBS)'" in text
    assert "'MEX' is not the country of Statistics Canada (CAN-STATCAN) (CAN)" in text
    assert "unknown partnership type 'supplier'; did you mean 'supplier-recipient'?" in text
    assert "unknown difficulty category 'legl'; did you mean 'legal'?" in text
    assert "Statistics Canada (CAN-STATCAN) already answered in row 4" in text
    assert "9 problems; nothing was written." in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_bytes() == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left


def test_header_problems_are_reported(tmp_path: Path):
    project = new_project(tmp_path / "p")
    bad = tmp_path / "bad.csv"
    bad.write_text("office,contry,main_challenge\nStatCan,CAN,Trust when using banking data\n")
    result = run_kg("import-survey", str(bad), root=project)
    assert result.returncode == 1
    assert "row 1, column contry: unknown column; did you mean 'country'?" in result.stderr
    assert "row 1, column partnership_types: required column is missing" in result.stderr
    assert not (project / "data" / "survey").exists()


def test_unknown_survey_is_refused(tmp_path: Path):
    project = new_project(tmp_path / "p")
    result = run_kg("import-survey", str(EXAMPLE), "--survey", "no-such-survey", root=project)
    assert result.returncode == 1
    assert "survey 'no-such-survey' is not described in the graph (known surveys: ces-strategic-partnerships)" in result.stderr


def test_missing_file_is_a_usage_error():
    assert run_kg("import-survey", "/no/such/file.csv").returncode == 2


def test_resolve_accepts_keys_labels_notations_and_label_with_acronym():
    ref = survey.load_reference(ROOT)
    offices = ref.offices
    for name in ("NLD-CBS", "statistics netherlands", "Statistics Netherlands (CBS)",
                 BASE + "id/org/NLD-CBS", "org:NLD-CBS", "Centraal Bureau voor de Statistiek"):
        assert survey.resolve(name, offices, "office", {"org": survey.ORG_NS}).key == "NLD-CBS", name
    # 'CBS' alone is also Israel's Central Bureau of Statistics: refused with both candidates
    with pytest.raises(ValueError, match=r"^'CBS' names more than one office: Central Bureau of Statistics \(ISR-CBS\), "
                                         r"Statistics Netherlands \(NLD-CBS\); use the key$"):
        survey.resolve("CBS", offices, "office", {"org": survey.ORG_NS})
    for name in ("B.1", "supplier-recipient", "Supplier/recipient partnership"):
        assert survey.resolve(name, ref.partnership_types, "partnership type").key == "supplier-recipient"
    assert survey.resolve("Privacy and data protection", ref.difficulties, "difficulty").key == "privacy-data-protection"
    assert survey.resolve("Norway", ref.countries, "country").key == "NOR"


def test_the_shacl_gate_maps_violations_back_to_rows(tmp_path: Path):
    """A response that passed the row checks but breaks a shape (here, a difficulty category given as a
    partnership type) is still refused, named by its row."""
    ref = survey.load_reference(ROOT)
    office = next(o for o in ref.offices if o.key == "NLD-CBS")
    bad = survey.Response(5, office, COUNTRY + "NLD", "A long enough answer", [DIFF + "legal"], [])
    text = survey.to_turtle(survey.DEFAULT_SURVEY, [bad], "x.csv")
    errors = survey._validate(text, tmp_path / "ces-strategic-partnerships.ttl", ROOT, [bad], survey.DEFAULT_SURVEY)
    assert errors == ["row 5, column partnership_types: A response names at least one partnership type of interest "
                      "from the CES typology (nsp:typeOfInterest). (value diff:legal)"]


def test_help():
    result = run_kg("import-survey", "--help")
    assert result.returncode == 0 and "--dry-run" in result.stdout and "--out" in result.stdout
