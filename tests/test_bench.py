"""`make bench` keeps working: the whole benchmark at a tiny scale, every step and both sides of each ratio.

No timing is asserted (speed is the benchmark's report, not a test); what is asserted is that every
step ran, on kg's side and the baseline's, and that the report holds every row it promises.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

from conftest import ROOT

from kg import queries


def test_the_benchmark_runs_end_to_end_at_a_tiny_scale(tmp_path):
    out = tmp_path / "benchmarks.md"
    done = subprocess.run([sys.executable, "-m", "bench.run", "--scales", "smoke", "--work", str(tmp_path / "work"),
                           "--out", str(out), "--http-seconds", "0.2"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((tmp_path / "work" / "results.json").read_text())["smoke"]
    for step in ("kg_load", "base_load", "kg_reason", "base_reason", "kg_validate", "base_validate", "kg_incremental",
                 "kg_answers", "kg_queries", "base_queries"):
        assert "seconds" in results[step] and "error" not in results[step], (step, results[step])
    assert results["kg_reason"]["inferred"] == results["base_reason"]["inferred"] > 0  # the same rules, both ways
    assert results["kg_incremental"]["results"] == 0 and results["kg_incremental"]["bad_case_violations"] == 1
    assert set(results["kg_queries"]["queries"]) == set(queries.discover(ROOT))
    assert results["kg_answers"]["queries"] > 40  # every canned SELECT query, from the repository's queries/
    kept = {n for n, q in results["kg_queries"]["queries"].items() if "answers_median" in q}
    assert len(kept) == results["kg_answers"]["queries"]
    http = results["http"]
    for server in ("kg serve", "kg serve --cache-mb 0", "oxigraph serve-read-only"):
        for query in ("iri-lookup", "private-data-access(country)", "statistical-laws(country)"):
            for c in (1, 4, 16):
                row = http[f"{server}|{query}|{c}"]
                assert row["requests"] > 0 and row["errors"] == 0, (server, query, c, row)
    for what in ("pages", "html pages", "search"):  # description pages, HTML pages and searches under 16 clients
        pages = http[f"kg serve --cache-mb 0|{what}|16"]
        assert pages["requests"] > 0 and pages["errors"] == 0 and pages["p99_ms"] >= pages["p50_ms"] > 0, (what, pages)
    for c in (1, 4, 16):  # distinct look-ups: no request of kg serve's repeats another (each would be a cache hit)
        row = http[f"kg serve|iri-lookup (distinct)|{c}"]
        assert row["requests"] > 0 and row["errors"] == 0 and row["repeats"] == 0, (c, row)
    listings = {name for name, q in queries.discover(ROOT).items() if q.page}
    deep = results["kg_deep_pages"]["queries"]
    assert set(deep) == listings and all(q["first"] > 0 and q["deep"] > 0 for q in deep.values())
    assert all(q["first_answers"] > 0 and q["deep_answers"] > 0 for q in deep.values())  # every listing kept whole
    text = out.read_text()
    assert len(re.findall(r"^\| smoke \| [\d,]+ \| ", text, re.M)) == 5  # load, reasoning, full and incremental validation, answers
    assert len(re.findall(r"^\| smoke \| (iri-lookup|private-data-access\(country\)|statistical-laws\(country\)) \| \d+ \| \d+ \|",
                          text, re.M)) == 9
    assert re.search(r"^\| smoke \| description pages .* \| 16 \| \d+ \| ", text, re.M)
    assert "Description pages (`/PATH.ttl`) under 16 clients, p99 under 200 ms" in text
    assert "Page 50 of every listing as fast as its first page" in text
    assert "distinct look-ups (each request a resource not asked before: cache misses)" in text
    assert "evaluated by the store (no answers)" in text
    assert len(re.findall(r"^\| smoke \| [\w-]+ \| 100 \| [\d.]+ ms \| [\d.]+ ms \| \d+ \| [\d.]+x \| [\d.]+ ms \| [\d.]+ ms \|$", text, re.M)) == len(
        [q for q in listings if queries.discover(ROOT)[q].page == 100])  # a deep-pages row per listing of 100 rows
    # --report-only rewrites the page from results.json; with a scale past 1M, the targets are stated at 1M and the
    # larger scale gets the "fits the machine" line (the smoke results stand in for both scales here)
    raw = json.loads((tmp_path / "work" / "results.json").read_text())
    (tmp_path / "work" / "results.json").write_text(json.dumps({"1m": raw["smoke"], "5m": raw["smoke"]}))
    again = subprocess.run([sys.executable, "-m", "bench.run", "--report-only", "--scales", "1m,5m", "--minutes", "61",
                            "--work", str(tmp_path / "work"), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]
    text = out.read_text()
    assert "At 1m (" in text and "took 61.0 min in all" in text
    assert re.search(r"^- The build at 5m \([\d,]+ triples\) fits the machine \(\d+ cores, \d+ GB\): [\d.]+ min as separate "
                     r"steps, peak [\d.]+ GB \(met\)\.$", text, re.M)
    wrong = subprocess.run([sys.executable, "-m", "bench.run", "--report-only", "--scales", "1m", "--work",
                            str(tmp_path / "work"), "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "results.json holds 1m,5m, not --scales 1m" in wrong.stderr


def test_the_query_steps_run_the_repository_queries_not_the_generated_copy(tmp_path):
    """A generated project keeps the copy of queries/ made when its data was generated; the query steps
    run the repository's queries as they are now."""
    from bench import steps

    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "stale.rq").write_text("# title: a stale copy\nSELECT * WHERE { ?s ?p ?o }\n")
    canned = steps._canned(tmp_path)
    assert "stale" not in canned and set(canned) == set(queries.discover(ROOT))
    assert all(q.path.parent == ROOT / "queries" for q in canned.values())


def test_a_run_with_added_scales_states_the_default_scales_share_of_its_time():
    """`make bench` runs the default scales; a run that adds 5m still measures them, each on its own, so
    the report states their summed minutes against the 30-minute target (and says so when a scale's
    minutes were not recorded)."""
    from bench.run import _default_share

    mark = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    timed = {"10k": {"minutes": 1.5}, "100k": {"minutes": 3.0}, "1m": {"minutes": 20.0}, "5m": {"minutes": 40.0}}
    assert _default_share(timed, 64.6, mark) == (
        "24.5 min for the default scales within this run (met); the run added scales (10k, 100k, 1m, 5m) and took "
        "64.6 min in all; 10k 1.5 min; 100k 3.0 min; 1m 20.0 min; 5m 40.0 min.")
    timed["1m"]["minutes"] = 26.0
    assert _default_share(timed, 70.6, mark).startswith("30.5 min for the default scales within this run (**not met**)")
    untimed = {"1m": {}, "5m": {"minutes": 40.0}}
    assert _default_share(untimed, 61.0, mark) == (
        "not measured alone: this run added scales (1m, 5m) and took 61.0 min in all; 5m 40.0 min.")
