"""Elements of statistical legislation (issue 14): the comparative table jurisdiction x element (kg links
--elements in CSV and JSON, the canned query links-elements), the Generic Law coverage through the
elements, the jurisdiction profile (kg profile), the article and country pages through a real server
and a real browser, the shapes for articles and tags (known-bad fixtures), and the table on the
shipped data checked against an independent rdflib walk of the source files."""
from __future__ import annotations

import csv
import io
import json
import shutil
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import rdflib

from conftest import FIXTURES, ROOT, built, make_project, run_kg
from kg.pipeline import check, load
from kg.sources import discover
from server_helpers import SCREENSHOTS, LiveServer
from test_shipped_queries import CONF, ELI, N, graph, top_law

BASE = "https://w3id.org/nso-partnership/"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
ELEM = BASE + "vocab/legislation-element/"
GLOS = BASE + "eli/int/model-law/glos/2016"
ALPHA, BETA = BASE + "eli/tst/act/2001/alpha", BASE + "eli/tst/act/2005/beta"
AMENDMENT = BASE + "eli/tst/act/2010/alpha-amendment"
RANK = {CONF + "recalled": 0, CONF + "secondary": 1, CONF + "text-read": 2}
LEVEL = {0: "recalled", 1: "secondary", 2: "text-read"}

# The cells of the fixture's table: (jurisdiction, element) -> [(article, number, basis, level, level from)]
EXPECTED_CELLS = {
    ("CAN", "data-collection"): [(ALPHA + "/art_2", "2", "text", "text-read", "article")],
    ("CAN", "private-data-access"): [(ALPHA + "/art_2", "2", "text", "text-read", "article")],
    ("CAN", "scope-and-definitions"): [(ALPHA + "/art_1", "1", "heading", "secondary", "inventory")],
    ("CAN", "statistical-confidentiality"): [(ALPHA + "/art_3", "3", "heading", "secondary", "inventory")],
    ("GHA", "administrative-data-access"): [(BETA + "/sec_11", "11", "heading", "secondary", "article")],
    ("GHA", "private-data-access"): [(BETA + "/sec_11", "11", "heading", "secondary", "article")],
    ("GHA", "statistical-confidentiality"): [(BETA + "/sec_10", "10", "heading", None, None)],
}


def _project(dest: Path, *fixtures: str) -> Path:
    project = make_project(dest / "project", ["data/laws/int-glos.ttl"])
    for name in fixtures:
        shutil.copy(FIXTURES / name, project / "data" / "laws" / name)
    return project


@pytest.fixture(scope="module")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The elements fixture built by the real CLI: (project root, data directory)."""
    tmp = tmp_path_factory.mktemp("elements")
    return built(_project(tmp, "elements-laws.ttl"), tmp / "build")


def _run(fixture_store, *args: str):
    project, data_dir = fixture_store
    return run_kg(*args, root=project, data_dir=data_dir)


def _scheme_elements() -> list[str]:
    """Every element of the scheme but no-element, read from the vocabulary file with rdflib."""
    g = rdflib.Graph().parse(ROOT / "data" / "vocab" / "legislation-element.ttl")
    scheme = rdflib.URIRef(BASE + "vocab/legislation-element")
    return sorted(str(c).removeprefix(ELEM) for c in g.subjects(rdflib.SKOS.inScheme, scheme) if str(c) != ELEM + "no-element")


# --------------------------------------------------------------------------- shapes

def _results(project: Path) -> set[tuple]:
    report = check(load(discover(project)), project)
    return {(r.severity, r.focus.removeprefix(BASE), r.path, r.value) for r in report.results}


def test_the_valid_fixture_conforms(tmp_path: Path):
    assert _results(_project(tmp_path, "elements-laws.ttl")) == set()


def test_each_broken_article_or_tag_rule_is_one_violation(tmp_path: Path):
    project = _project(tmp_path, "elements-laws.ttl", "elements-bad.ttl")
    assert _results(project) == {
        ("Violation", "eli/tst/act/2005/beta/sec_13", "eli:is_about", "topic:statistical-confidentiality"),  # other scheme
        ("Violation", "eli/tst/act/2005/beta/sec_14", "nsp:elementBasis", None),                             # no basis
        ("Violation", "eli/tst/act/2005/beta/sec_15", "nsp:elementBasis", '"guess"'),                        # basis "guess"
        ("Violation", "eli/tst/act/2007/gamma", "nsp:evidence", None),  # complete article list, no table of contents read
    }
    built = run_kg("build", root=project, data_dir=tmp_path / "build")
    assert built.returncode == 1 and "4 violations" in built.stdout + built.stderr
    assert "nothing was written" in built.stdout + built.stderr and not list((tmp_path / "build").glob("store-*"))


# --------------------------------------------------------------------------- the table

def test_table_cells_in_csv_are_exact(fixture_store):
    out = _run(fixture_store, "links", "--elements", "--format", "csv")
    assert out.returncode == 0, out.stderr
    cells = defaultdict(list)
    for row in csv.DictReader(io.StringIO(out.stdout)):
        cells[(row["jurisdiction"], row["element"])].append(
            (row["article"], row["number"], row["basis"], row["level"] or None, row["level_from"] or None))
        assert row["law"] == (ALPHA if row["jurisdiction"] == "CAN" else BETA)
    assert dict(cells) == EXPECTED_CELLS
    pages = {row["article"]: row["page"] for row in csv.DictReader(io.StringIO(out.stdout))}
    assert pages == {ALPHA + "/art_1": "https://example.org/alpha/art_1", ALPHA + "/art_2": "https://example.org/alpha/art_2",
                     ALPHA + "/art_3": "", BETA + "/sec_10": "", BETA + "/sec_11": "https://example.org/beta/sec_11"}


def test_table_cells_in_json_are_exact(fixture_store):
    out = _run(fixture_store, "links", "--elements", "--format", "json")
    assert out.returncode == 0, out.stderr
    table = json.loads(out.stdout)
    assert table["jurisdictions"] == ["CAN", "GHA"]
    assert sorted(e["name"] for e in table["elements"]) == _scheme_elements()
    cells = {(j, e): [(x["article"], x["number"], x["basis"], x["level"], x["level_from"]) for x in links]
             for j, by in table["cells"].items() for e, links in by.items()}
    assert cells == EXPECTED_CELLS
    assert table["cells"]["GHA"]["statistical-confidentiality"][0]["heading"] == "Confidentiality of information"


def test_filters_and_the_canned_query_give_the_same_cells(fixture_store):
    out = _run(fixture_store, "links", "--elements", "--format", "json", "--element", "statistical-confidentiality", "--country", "GHA")
    table = json.loads(out.stdout)
    assert [e["name"] for e in table["elements"]] == ["statistical-confidentiality"] and table["jurisdictions"] == ["GHA"]
    assert table["cells"] == {"GHA": {"statistical-confidentiality": [
        {"article": BETA + "/sec_10", "number": "10", "heading": "Confidentiality of information", "law": BETA,
         "law_title": "Beta Statistics Act (fixture)", "page": "", "basis": "heading", "level": None, "level_from": None}]}}
    for params, keys in (((), EXPECTED_CELLS), (("--param", "country=country:GHA"), [k for k in EXPECTED_CELLS if k[0] == "GHA"]),
                         (("--param", f"element={ELEM}private-data-access"), [k for k in EXPECTED_CELLS if k[1] == "private-data-access"])):
        out = _run(fixture_store, "query", "links-elements", *params, "--format", "json")
        assert out.returncode == 0, out.stderr
        cells = defaultdict(list)
        for b in json.loads(out.stdout)["results"]["bindings"]:
            r = {k: v["value"] for k, v in b.items()}
            cells[(r["country"].removeprefix(COUNTRY), r["element"].removeprefix(ELEM))].append(
                (r["article"], r["number"], r["basis"], r.get("level", "").removeprefix(CONF) or None, r.get("levelFrom")))
        assert dict(cells) == {k: EXPECTED_CELLS[k] for k in keys}


def test_bad_filters_are_one_line_errors(fixture_store):
    for args, hint in ((("--element", "foo"), "'foo' is not an element of statistical legislation"),
                       (("--country", "XYZ"), "no country 'XYZ' in the graph"),
                       (("--element", "no-element"), "not a column of the table")):
        out = _run(fixture_store, "links", "--elements", *args)
        assert out.returncode == 2 and hint in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_generic_law_coverage_goes_through_the_elements(fixture_store):
    out = _run(fixture_store, "links", "--format", "json")
    assert out.returncode == 0, out.stderr
    cov = json.loads(out.stdout)["coverage"]
    a903, a904 = GLOS + "/art_903", GLOS + "/art_904"
    # art. 903: CAN has a direct mapping (art. 3); GHA only an article with the same element (s. 10)
    assert (cov["cells"]["CAN"][a903], cov["cells"]["GHA"][a903]) == ("mapped", "via element")
    # art. 904 (data collection): CAN art. 2 is tagged with it; GHA has no such article
    assert (cov["cells"]["CAN"][a904], cov["cells"]["GHA"][a904]) == ("via element", "missing")
    # (only the invented articles are checked: the real Generic Law's articles get tagged as they are read)
    assert {(j, a): arts for j, by in cov["via_element"].items() for a, arts in by.items() if a in (a903, a904)} == {
        ("CAN", a904): [ALPHA + "/art_2"], ("GHA", a903): [BETA + "/sec_10"]}
    text = _run(fixture_store, "links").stdout
    assert "e via element" in text and "art. 904 Data collection (fixture) (via element: CAN)" in text


# --------------------------------------------------------------------------- the profile

def test_profile_json_is_exact(fixture_store):
    out = _run(fixture_store, "profile", "CAN", "--format", "json")
    assert out.returncode == 0, out.stderr
    p = json.loads(out.stdout)
    assert (p["country"], p["label"]) == ("CAN", "Canada")
    assert [(law["law"], law["statistics_law"], law["articles"], law["tagged"], law["complete"], law["inventory_level"])
            for law in p["laws"]] == [(ALPHA, True, 5, 5, True, "secondary"), (AMENDMENT, False, 0, 0, False, None)]
    assert p["offices"] == [{"office": BASE + "id/org/TST-ALPHA-OFFICE", "label": "Alpha Statistics Office (fixture)",
                             "established_by": [ALPHA]}]
    coverage = p["element_coverage"]
    assert sorted(coverage["elements"]) == _scheme_elements() and (coverage["covered"], coverage["of"]) == (4, len(_scheme_elements()))
    assert {e: [a["number"] for a in arts] for e, arts in coverage["elements"].items() if arts} == {
        "data-collection": ["2"], "private-data-access": ["2"], "scope-and-definitions": ["1"], "statistical-confidentiality": ["3"]}
    assert [(x["topic"], x["value"], x["level"], [a["article"] for a in x["articles"]]) for x in p["positions"]] == [
        ("private-data-access", "compulsory", "text-read", [ALPHA + "/art_2"])]
    assert [(e["date"], e["kind"], [c["provision"] for c in e["changed"]], e["amending"]) for e in p["amendments"]] == [
        ("2010-06-01", "amends", [ALPHA], AMENDMENT),
        ("2010-07-01", "substituted", [ALPHA + "/art_2"], AMENDMENT)]
    assert [c["id"] for c in p["cases"]] == ["TEST-ELEM-ALPHA"]
    gha = json.loads(_run(fixture_store, "profile", "Ghana", "--format", "json").stdout)
    assert [(x["topic"], x["value"], x["level"], [a["number"] for a in x["articles"]]) for x in gha["positions"]] == [
        ("administrative-data-access", "compulsory", "secondary", ["11"]),
        ("statistical-confidentiality", "duty-established", "recalled", [])]
    assert [(law["articles"], law["tagged"], law["complete"]) for law in gha["laws"]] == [(3, 2, False)]
    assert gha["cases"] == [] and gha["amendments"] == []
    bad = _run(fixture_store, "profile", "FRA")
    assert bad.returncode == 2 and "holds no law, office, position or case for France (FRA)" in bad.stderr


# --------------------------------------------------------------------------- pages through a real server

class Sections(HTMLParser):
    """Per element id: its text, its links (href, text) and its table rows (cell texts), nested ids included."""

    def __init__(self):
        super().__init__()
        self.open: list[tuple[str, str | None]] = []  # (tag, id)
        self.text: dict[str, list[str]] = defaultdict(list)
        self.links: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.rows: dict[str, list[list[str]]] = defaultdict(list)
        self.headings: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (tag, text) of h1-h4
        self._a: list | None = None
        self._cell: list[str] | None = None
        self._h: list | None = None

    VOID = {"br", "img", "input", "meta", "link", "hr", "option"}

    def ids(self) -> list[str]:
        """The ids of the open elements, and "*" for the whole page."""
        return ["*"] + [i for _, i in self.open if i]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a":
            self._a = [a.get("href", ""), []]
        if tag == "tr":
            for i in self.ids():
                self.rows[i].append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag in ("h1", "h2", "h3", "h4"):
            self._h = [tag, []]
        if tag not in self.VOID:
            self.open.append((tag, a.get("id")))

    def handle_endtag(self, tag):
        if tag == "a" and self._a:
            for i in self.ids():
                self.links[i].append((self._a[0], " ".join("".join(self._a[1]).split())))
            self._a = None
        if tag in ("td", "th") and self._cell is not None:
            for i in self.ids():
                if self.rows[i]:
                    self.rows[i][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        if tag in ("h1", "h2", "h3", "h4") and self._h:
            for i in self.ids():
                self.headings[i].append((self._h[0], " ".join("".join(self._h[1]).split())))
            self._h = None
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data):
        for i in self.ids():
            self.text[i].append(data)
        for buf in (self._a and self._a[1], self._cell, self._h and self._h[1]):
            if buf is not None and buf is not False:
                buf.append(data)


def parse(html: str) -> Sections:
    p = Sections()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def server(fixture_store):
    live = LiveServer(fixture_store[1], "--workers", "1")
    yield live
    live.stop()


def _get(server, path: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"Accept": "text/html"}, timeout=60)


def test_article_page_shows_the_same_element_in_other_laws(server):
    page = parse(_get(server, "/eli/tst/act/2001/alpha/art_2").text)
    # grouped by element (h4), each with the other laws' articles tagged with it
    assert [t for tag, t in page.headings["elements"] if tag == "h4"] == ["access to privately held data", "data collection and the duty to respond"]
    articles = [(h, t) for h, t in page.links["elements"] if h.startswith("/eli/")]
    assert articles == [("/eli/tst/act/2005/beta/sec_11", "11")]
    rows = page.rows["elements"]
    assert rows == [["jurisdiction", "articles"], ["Ghana", "11 Access to records Beta Statistics Act (fixture) secondary"]]
    assert "No article of another law is tagged with this element yet." in "".join(page.text["elements"])
    page = parse(_get(server, "/eli/tst/act/2005/beta/sec_10").text)
    assert page.rows["elements"] == [["jurisdiction", "articles"], ["Canada", "3 Secrecy Alpha Statistics Act (fixture) secondary"]]
    assert ("/country/CAN", "Canada") in page.links["elements"]
    law = parse(_get(server, "/eli/tst/act/2001/alpha").text)
    assert ["scope and definitions", "1"] in law.rows["law-elements"] and ["no element of statistical legislation", "4"] in law.rows["law-elements"]


def test_country_page_and_json(server):
    r = _get(server, "/country/CAN")
    assert r.status_code == 200
    page = parse(r.text)
    assert page.rows["laws"][1][1:] == ["Alpha Statistics Act (fixture)", "statistics law", "5", "5", "complete", "secondary"]
    assert page.rows["laws"][2][1:] == ["Alpha Statistics Amendment Act (fixture)", "act", "0", "0", "not complete", ""]
    assert page.links["office"] == [("/id/org/TST-ALPHA-OFFICE", "Alpha Statistics Office (fixture)"), ("/eli/tst/act/2001/alpha", "Alpha Statistics Act (fixture)")]
    assert page.rows["positions"][1:] == [["access to privately held data", "compulsory", "2", "text-read"]]
    assert [row[:3] for row in page.rows["amendments"][1:]] == [["2010-06-01", "amends", "Alpha Statistics Act (fixture)"],
                                                                  ["2010-07-01", "substituted", "art./s. 2"]]
    assert ("/id/case/TEST-ELEM-ALPHA", "Fixture: an Alpha partnership") in page.links["cases"]
    covered = [row for row in page.rows["elements"][1:] if row[1] != "none"]
    assert covered == [["access to privately held data", "2 Duty to respond text-read"],
                       ["data collection and the duty to respond", "2 Duty to respond text-read"],
                       ["scope and definitions", "1 Definitions secondary"], ["statistical confidentiality", "3 Secrecy secondary"]]
    assert httpx.get(server.url + "/country/CAN.json", timeout=60).json()["positions"][0]["level"] == "text-read"
    assert _get(server, "/country/XYZ").status_code == 404
    assert _get(server, "/country/FRA").status_code == 404  # the fixture says nothing about France
    home = parse(_get(server, "/").text)
    assert ("/country/CAN", "Canada") in home.links["laws"]
    assert ("/country/GHA", "Ghana") in parse(_get(server, "/id/position/GHA/statistical-confidentiality").text).links["*"]
    assert ("/country/CAN", "Canada (CAN)") in parse(_get(server, "/eli/tst/act/2001/alpha/art_3").text).links["*"]


def test_elements_page_and_json(server):
    page = parse(_get(server, "/elements?country=GHA").text)
    rows = page.rows["elements"]
    header = rows[0]
    ghana = dict(zip(header, rows[1]))
    assert ghana["jurisdiction"] == "Ghana GHA"
    assert ghana["statistical confidentiality"].startswith("10 none")
    assert ghana["access to administrative data"].startswith("11 secondary")
    assert httpx.get(server.url + "/elements.json?element=private-data-access", timeout=60).json()["cells"] == {
        "CAN": {"private-data-access": [{"article": ALPHA + "/art_2", "number": "2", "heading": "Duty to respond", "law": ALPHA,
                                         "law_title": "Alpha Statistics Act (fixture)", "page": "https://example.org/alpha/art_2",
                                         "basis": "text", "level": "text-read", "level_from": "article"}]},
        "GHA": {"private-data-access": [{"article": BETA + "/sec_11", "number": "11", "heading": "Access to records", "law": BETA,
                                         "law_title": "Beta Statistics Act (fixture)", "page": "https://example.org/beta/sec_11",
                                         "basis": "heading", "level": "secondary", "level_from": "article"}]}}
    assert _get(server, "/elements?element=bogus").status_code == 400


# --------------------------------------------------------------------------- a real browser

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_country_and_elements_pages_in_a_browser(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            outside: list[str] = []
            context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
                          else (outside.append(route.request.url), route.abort()))
            pg = context.new_page()
            pg.goto(server.url + "/country/CAN")
            assert pg.locator("h1").inner_text().startswith("Canada")
            assert pg.locator("#positions tbody tr").count() == 1
            assert pg.locator("#elements tr.covered").count() == 4
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            pg.screenshot(path=str(SCREENSHOTS / "country-CAN.png"))
            pg.goto(server.url + "/elements")
            assert pg.locator("table#elements tbody tr").count() == 2
            pg.select_option("select[name=element]", "statistical-confidentiality")
            pg.click("form.filters button")
            pg.wait_for_url("**/elements?element=statistical-confidentiality*")
            assert pg.locator("table#elements thead th").all_inner_texts() == ["jurisdiction", "statistical confidentiality"]
            assert pg.locator("#row-GHA td").inner_text().startswith("10 none")
            pg.screenshot(path=str(SCREENSHOTS / "elements.png"))
            pg.locator("#row-GHA td a").first.click()
            pg.wait_for_url("**/eli/tst/act/2005/beta/sec_10")
            assert pg.locator("h1").inner_text() == "Beta Statistics Act (fixture) § 10"
            assert pg.locator("table.counterparts td").first.inner_text() == "Canada"
            assert not outside, outside
        finally:
            browser.close()


# --------------------------------------------------------------------------- the shipped data

def _expected_cells() -> dict[tuple[str, str], list[tuple]]:
    """The table's cells by walking the source files with rdflib: each article tagged with an element
    (not no-element) of a law of a country and not marked repealed, with its basis and the level of its
    effects' evidence, else of its law's evidence."""
    g = graph()
    repealed = set(g.subjects(ELI.in_force, rdflib.URIRef("http://data.europa.eu/eli/ontology#InForce-notInForce")))
    cells: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for article, element in g.subject_objects(ELI.is_about):
        if str(element) == ELEM + "no-element" or article in repealed:
            continue
        law = top_law(article)
        if law == article:
            continue
        own = [RANK[str(c)] for e in g.subjects(N.grantedBy, article) for ev in g.objects(e, N.evidence)
               for c in g.objects(ev, N.confidence) if str(c) in RANK]
        inventory = [RANK[str(c)] for ev in g.objects(law, N.evidence) for c in g.objects(ev, N.confidence) if str(c) in RANK]
        rank, source = (max(own), "article") if own else ((max(inventory), "inventory") if inventory else (None, None))
        numbers = sorted(str(n) for n in g.objects(article, ELI.number))
        bases = sorted(str(b) for b in g.objects(article, N.elementBasis))
        # its official page: foaf:page, else its own IRI where that is the legislation site's (not minted here)
        pages = sorted(str(p) for p in g.objects(article, rdflib.FOAF.page))
        page = pages[0] if pages else ("" if str(article).startswith(BASE) else str(article))
        for country in g.objects(law, ELI.jurisdiction):
            if str(country).startswith(COUNTRY):
                cells[(str(country).removeprefix(COUNTRY), str(element).removeprefix(ELEM))].append(
                    (str(article), numbers[0] if numbers else "", bases[0] if bases else "", LEVEL.get(rank), source, page))
    return {k: sorted(v) for k, v in cells.items()}


def test_the_table_on_the_shipped_data_equals_an_independent_walk(shipped_store):
    out = run_kg("links", "--elements", "--format", "json", data_dir=shipped_store)
    assert out.returncode == 0, out.stderr
    table = json.loads(out.stdout)
    cells = {(j, e): sorted((x["article"], x["number"], x["basis"], x["level"], x["level_from"], x["page"]) for x in links)
             for j, by in table["cells"].items() for e, links in by.items()}
    assert cells == _expected_cells()
    assert sorted(table["jurisdictions"]) == sorted({j for j, _ in cells})
    # the UK's sections are legislation.gov.uk's own ELIs, which are their pages; a minted IRI has none unless read
    s42 = "http://www.legislation.gov.uk/ukpga/2007/18/section/42"
    assert {x["page"] for x in cells_of(table, "GBR") if x["article"] == s42} == {s42}
    assert {x["page"] for x in cells_of(table, "DEU")} == {""}


def cells_of(table: dict, iso3: str) -> list[dict]:
    return [x for links in table["cells"].get(iso3, {}).values() for x in links]


def _heldout() -> list[dict[str, str]]:
    with (ROOT / "tests" / "expected" / "elements-heldout.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_heldout_pairs_span_a_dozen_jurisdictions_and_name_what_was_read():
    rows = _heldout()
    assert len({r["iso3"] for r in rows}) >= 12
    elements = set(_scheme_elements())
    for r in rows:
        assert r["element"] in elements, r
        assert r["source"].startswith("http") and r["heading"] and r["reading"], r


def test_the_table_answers_each_heldout_article_element_pair(shipped_store):
    """A held-out set of (article, element) pairs, each verified by reading the law's text (not the
    tags), must be answered by the comparative table: the cell holds that article."""
    out = run_kg("links", "--elements", "--format", "json", data_dir=shipped_store)
    assert out.returncode == 0, out.stderr
    cells = json.loads(out.stdout)["cells"]
    missed = [(r["iso3"], r["element"], r["number"]) for r in _heldout()
              if r["number"] not in {x["number"] for x in cells.get(r["iso3"], {}).get(r["element"], [])}]
    assert missed == []
