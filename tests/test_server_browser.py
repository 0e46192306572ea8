"""`kg serve` in a real browser: headless Debian Chromium driven by playwright.

Opens the query editor (YASGUI, served locally) and runs a canned query, loads a canned-query page,
a law page and, when the graph holds one, a case page; asserts on what each page shows and saves a
screenshot of each under build/screenshots/. Skipped only when chromium or playwright is absent
(.ci/run installs both).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from server_helpers import SCREENSHOTS, LiveServer

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(shipped_store):
    live = LiveServer(shipped_store, "--workers", "2")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # No internet at run time: any request that leaves the server fails the test.
    outside: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(server.url)
                  else (outside.append(route.request.url), route.abort()))
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not outside, f"requests outside the server: {outside}"
    assert not errors, f"JavaScript errors: {errors}"


def shot(pg, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def test_editor_runs_a_canned_query(page, server):
    if not (Path(__file__).resolve().parent.parent / "kg/server/static/vendor/yasgui/yasgui.min.js").exists():
        pytest.skip("YASGUI assets not installed: run `make assets` (npm ci)")
    page.goto(server.url + "/editor")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=15000)  # YASGUI loaded from /static/vendor
    assert "PREFIX nsp:" in page.evaluate("window.kgYasgui.getTab().getQuery()")
    assert page.locator(".cm-keyword, .cm-string-2, .cm-variable-2").count() > 0  # syntax highlighting
    page.select_option("#example", "statistical-laws")
    page.wait_for_selector(".yasr table.dataTable tbody tr, .yasr .dataTable tbody tr", timeout=20000)
    body = page.locator(".yasr").inner_text()
    assert "s-19" in body or "Statistics Act" in body
    shot(page, "editor")


def test_canned_query_page_shows_table_and_downloads(page, server):
    page.goto(server.url + "/queries/private-data-access?country=country%3ACAN")
    assert page.locator("h1").inner_text().startswith("Access to privately held data")
    assert page.locator("table#results tbody tr").count() >= 1
    assert page.locator("table#results").get_by_role("link", name="Statistics Act").count() >= 1
    assert page.get_by_role("link", name="CSV").count() == 1
    assert page.input_value("input[name=country]") == "country:CAN"
    shot(page, "query-page")


def test_law_page(page, server):
    page.goto(server.url + "/eli/can/act/1985/s-19")
    assert page.locator("h1").inner_text() == "Statistics Act"
    assert page.locator("#articles table tbody tr").count() >= 5
    assert page.get_by_role("link", name="Statistics Canada").count() >= 1
    assert "right of access" in page.locator("#effects").inner_text().lower()
    assert page.get_by_role("link", name="Turtle").count() >= 1
    shot(page, "law")
    page.get_by_role("link", name="13", exact=True).first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/eli/can/act/1985/s-19/sec_13")
    assert "Access to records" in page.content()


def test_case_page_if_there_is_a_case(page, server):
    r = httpx.get(server.url + "/sparql", params={"query": "SELECT ?c WHERE { ?c a <https://w3id.org/nso-partnership/ontology#PartnershipCase> } ORDER BY ?c LIMIT 1"},
                  headers={"Accept": "application/json"})
    bindings = r.json()["results"]["bindings"]
    if not bindings:
        pytest.skip("no partnership case in the graph yet")
    iri = bindings[0]["c"]["value"]
    page.goto(server.url + "/" + iri.split("https://w3id.org/nso-partnership/", 1)[1])
    assert page.locator("h1").inner_text()
    for section in ("Participants", "Data flows", "Difficulties", "Lessons learned", "Legal basis", "Sources"):
        assert page.get_by_role("heading", name=section).count() == 1, section
    assert page.locator("table.facts").inner_text().startswith("Partnership type")
    shot(page, "case")


def test_search_box(page, server):
    page.goto(server.url + "/")
    page.fill("header input[name=q]", "statistics canada")
    page.press("header input[name=q]", "Enter")
    page.wait_for_selector("#result-count")
    assert page.get_by_role("link", name="Statistics Canada").count() >= 1
    shot(page, "search")
