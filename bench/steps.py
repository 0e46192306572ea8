"""One measured step per process (so the parent can read each step's peak memory).

    python -m bench.steps STEP ROOT DATA_DIR [EXTRA]

Prints one JSON object: the seconds of the measured work (imports and untimed set-up excluded)
and what the step produced. The project's steps use the project's own code (kg.*); the baseline
steps do the same work the plain way: rdflib in memory, pyshacl on the whole graph, rdflib's
SPARQL engine.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

RDF_FORMATS = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig", ".jsonld": "json-ld"}


def _files(root: Path) -> list[Path]:
    from kg.sources import discover
    return [s.path for s in discover(root)]


def _rdflib_graph(root: Path, extra: list[Path] = ()):
    """Every source file parsed by rdflib into one in-memory graph (the union of the named graphs)."""
    import rdflib
    g = rdflib.Graph()
    for path in [*_files(root), *extra]:
        g.parse(path, format=RDF_FORMATS[path.suffix])
    return g


def kg_load(root: Path, data_dir: Path, _extra: str) -> dict:
    """kg: parse every file strictly (pyoxigraph) and bulk-load a new on-disk store, swapped in atomically."""
    from kg.pipeline import load
    from kg.store import write_new

    started = time.perf_counter()
    loaded = load()
    quads = [q for s in loaded.sources for q in loaded.quads[s]]
    write_new(data_dir, lambda store: store.bulk_extend(quads))
    return {"seconds": time.perf_counter() - started, "triples": len(quads), "files": len(loaded.sources)}


def base_load(root: Path, _data_dir: Path, _extra: str) -> dict:
    started = time.perf_counter()
    g = _rdflib_graph(root)
    return {"seconds": time.perf_counter() - started, "triples": len(g)}


def kg_reason(root: Path, data_dir: Path, _extra: str) -> dict:
    """kg: the OWL RL rules as SPARQL CONSTRUCT to a fixpoint, into the inferred graph of the store."""
    import pyoxigraph as ox
    from kg.reasoning import materialise
    from kg.store import current_path

    store = ox.Store(str(current_path(data_dir)))
    started = time.perf_counter()
    report = materialise(store)
    store.flush()
    return {"seconds": time.perf_counter() - started, "inferred": report.total, "rounds": report.rounds}


# The defined-class rule (cls-int1 with cls-hv1/cls-svf1 members) as the plain SPARQL CONSTRUCT that
# kg.reasoning evaluates instead with indexed look-ups (_defined_class_triples): the baseline's form.
DEFINED_CLASS_CONSTRUCT = """CONSTRUCT { ?x a ?C } WHERE {
    ?C owl:equivalentClass ?I . FILTER(isIRI(?C)) ?I owl:intersectionOf ?list .
    ?list rdf:first ?first . FILTER(isIRI(?first)) ?x a ?first .
    FILTER NOT EXISTS { ?x a ?C }
    FILTER NOT EXISTS {
        ?list rdf:rest*/rdf:first ?m .
        FILTER NOT EXISTS { ?x a ?m }
        FILTER NOT EXISTS { ?m owl:onProperty ?p ; owl:hasValue ?v . ?x ?p ?v }
        FILTER NOT EXISTS { ?m owl:onProperty ?p2 ; owl:someValuesFrom ?D . ?x ?p2 ?y . ?y a ?D }
    } }"""


def base_reason(root: Path, _data_dir: Path, _extra: str) -> dict:
    """Baseline: the same rules run by rdflib's SPARQL engine on the in-memory graph."""
    from kg.reasoning import PREFIXES, RULES, SPARQL_RULES

    rules = {**SPARQL_RULES, "defined-class": DEFINED_CLASS_CONSTRUCT}
    missing = set(RULES) - set(rules)
    if missing:  # a rule kg runs as Python code needs its SPARQL form here, or the baseline does less work
        raise SystemExit(f"base_reason: no SPARQL form for rule(s) {', '.join(sorted(missing))}")
    g = _rdflib_graph(root)
    started = time.perf_counter()
    total, rounds = 0, 0
    for _ in range(20):
        rounds += 1
        new = 0
        for rule in rules.values():
            triples = set(g.query(PREFIXES + rule))
            for t in triples:
                g.add(t)
            new += len(triples)
        total += new
        if not new:
            break
    return {"seconds": time.perf_counter() - started, "inferred": total, "rounds": rounds}


def kg_validate(root: Path, _data_dir: Path, _extra: str) -> dict:
    """kg: the build's validation (pyoxigraph parse, pyshacl on the data with the ontology as TBox)."""
    from kg.pipeline import check, load

    started = time.perf_counter()
    report = check(load(), root)
    return {"seconds": time.perf_counter() - started, "violations": len(report.violations), "warnings": len(report.warnings)}


def base_validate(root: Path, _data_dir: Path, extra: str) -> dict:
    """Baseline: rdflib parse of every file (plus EXTRA, the new case) and pyshacl on the whole graph."""
    import pyshacl
    import rdflib

    started = time.perf_counter()
    g = _rdflib_graph(root, [Path(extra)] if extra else [])
    shapes = rdflib.Graph()
    for path in sorted((root / "shapes").glob("*.ttl")):
        shapes.parse(path)
    conforms, _, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none", allow_warnings=True)
    return {"seconds": time.perf_counter() - started, "conforms": bool(conforms)}


def kg_incremental(root: Path, data_dir: Path, extra: str) -> dict:
    """kg: validate one new case file against the built store (IncrementalValidator)."""
    from kg.sources import parse, source_for
    from kg.store import open_store
    from kg.validation import IncrementalValidator, ontology_graph, shapes_graph

    t0 = time.perf_counter()
    store = open_store(data_dir)
    validator = IncrementalValidator(shapes_graph(root), ontology_graph(store))
    setup = time.perf_counter() - t0
    source = source_for(Path(extra), root)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        report = validator.validate(store, {source.graph: parse(source)})
        times.append(time.perf_counter() - started)
    # the same on a case that breaks a shape through another resource (dangling legal basis)
    bad = Path(extra).with_name("bad-case.nt")
    bad.write_text(Path(extra).read_text().replace("/art_1>", "/art_999>").replace("/art_2>", "/art_999>")
                   .replace("ontology#legalBasis> <", "ontology#legalBasis> <https://w3id.org/nso-partnership/eli/none/"))
    bad_report = validator.validate(store, {source_for(bad, root).graph: parse(source_for(bad, root))})
    return {"seconds": statistics.median(times), "setup_seconds": setup, "runs": len(times),
            "results": len(report.results), "bad_case_violations": len(bad_report.violations)}


def _canned(_root: Path):
    """The project's canned queries as they are now (queries/ of the repository), not the copy made in the
    generated project when its data was generated: a benchmark on an older graph measures what ships."""
    from kg import queries

    from .generate import ROOT
    return queries.discover(ROOT)


def kg_answers(root: Path, data_dir: Path, _extra: str) -> dict:
    """kg: the build's last step, the answers of the canned queries (default parameters, first rows) written
    beside the store (kg.answers; `kg build` runs it after reasoning)."""
    from kg import answers
    from kg.store import current_path, open_store

    from .generate import ROOT  # the repository's queries, as the query steps run them (see _canned)
    store = open_store(data_dir)
    started = time.perf_counter()
    kept = answers.write(store, current_path(data_dir), ROOT)
    return {"seconds": time.perf_counter() - started, "queries": len(kept), "rows": sum(kept.values())}


def _answered(store, directory: Path, canned, limit: int | None, *offsets: int) -> list[list[float]] | None:
    """Times of each page (`offsets`, default the first) as `kg query` and the web page give it when the build
    kept them all (kg.answers), else None. The pages are timed in turn, round after round, so that a busy
    moment of a shared machine falls on all of them alike."""
    from kg import answers, queries

    offsets = offsets or (0,)
    if any(answers.page(directory, canned, {}, limit, offset) is None for offset in offsets):
        return None
    runs: list[list[float]] = [[] for _ in offsets]
    budget = time.perf_counter() + 0.5 * len(offsets)
    while len(runs[0]) < 50 and (len(runs[0]) < 5 or time.perf_counter() < budget):
        for times, offset in zip(runs, offsets):
            t = time.perf_counter()
            len(list(queries.run(store, canned, {}, limit=limit, offset=offset, answers_in=directory)))
            times.append(time.perf_counter() - t)
    return runs


def kg_queries(root: Path, data_dir: Path, _extra: str) -> dict:
    """kg: each canned query on the embedded store, default parameters and default page (a listing's
    first `# page: N` rows, as `kg query` and the web page show it); median and p95 of the runs: the
    query evaluated, and the same page read from the build's answers (kg.answers) as `kg query` does."""
    from kg import queries
    from kg.store import current_path, open_store

    store = open_store(data_dir)
    directory = current_path(data_dir)
    out = {}
    started = time.perf_counter()
    for name, canned in _canned(root).items():
        runs, rows = [], 0
        budget = time.perf_counter() + 2
        while len(runs) < 50 and (len(runs) < 5 or time.perf_counter() < budget):
            t = time.perf_counter()
            rows = len(list(queries.run(store, canned, {}, limit=canned.page)))
            runs.append(time.perf_counter() - t)
            if sum(runs) > 6 and len(runs) >= 3:  # a slow query: fewer runs (its median is then over 3 or 4 runs)
                break
        out[name] = {**_stats(runs, rows), "page": canned.page}
        if (answered := _answered(store, directory, canned, canned.page)) is not None:
            out[name]["answers_median"] = statistics.median(answered[0])
    return {"seconds": time.perf_counter() - started, "queries": out}


def base_queries(root: Path, _data_dir: Path, extra: str) -> dict:
    """Baseline: the same queries (default page, as kg_queries) with rdflib's SPARQL engine on the in-memory
    graph (a time limit per run)."""
    import signal

    import rdflib
    from kg import PREFIXES, queries

    limit, _, total = (extra or "60").partition(",")
    limit, total = float(limit), float(total or "inf")  # seconds per run; seconds for the whole step
    g = _rdflib_graph(root)
    out = {}

    def alarm(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, alarm)
    started = time.perf_counter()
    for name, canned in _canned(root).items():
        init = {p.name: rdflib.URIRef(_expand(p.default)) for p in canned.params if p.default and p.type == "iri"}
        runs, rows = [], 0
        budget = time.perf_counter() + min(limit, 20)
        if time.perf_counter() - started > total:
            out[name] = {"skipped": total}  # the step's budget is spent: the rest are not run
            continue
        try:
            while len(runs) < 10 and (len(runs) < 3 or time.perf_counter() < budget):
                t = time.perf_counter()
                signal.setitimer(signal.ITIMER_REAL, limit)
                rows = len(list(g.query(queries.paged(canned.text, canned.page), initNs=PREFIXES, initBindings=init)))
                signal.setitimer(signal.ITIMER_REAL, 0)
                runs.append(time.perf_counter() - t)
        except TimeoutError:
            out[name] = {"timeout": limit, "runs": len(runs)}
            continue
        except Exception as exc:  # rdflib's engine fails on some valid queries
            signal.setitimer(signal.ITIMER_REAL, 0)
            out[name] = {"error": f"{type(exc).__name__}: {exc}"[:160]}
            continue
        out[name] = _stats(runs, rows)
    return {"seconds": time.perf_counter() - started, "queries": out}


DEEP_PAGE = 50  # the page measured beside the first (issue 16: "page 50 as fast as page 1")


def kg_deep_pages(root: Path, data_dir: Path, _extra: str) -> dict:
    """kg: every listing (a canned query with `# page: N`) at its first page and at page 50
    (rows 49N+1 to 50N, as `kg query --offset` and the web page's page links ask for them);
    median of the runs of each, the two pages interleaved so that both see the same machine; then
    both pages as read from the build's answers (kg.answers), when it kept them."""
    from kg import queries
    from kg.store import current_path, open_store

    store = open_store(data_dir)
    directory = current_path(data_dir)
    out = {}
    started = time.perf_counter()
    for name, canned in _canned(root).items():
        if not canned.page:
            continue
        deep = (DEEP_PAGE - 1) * canned.page
        first, last, rows = [], [], 0
        budget = time.perf_counter() + 2
        while len(first) < 20 and (len(first) < 3 or time.perf_counter() < budget):
            for runs, offset in ((first, 0), (last, deep)):
                t = time.perf_counter()
                got = len(list(queries.run(store, canned, {}, limit=canned.page, offset=offset)))
                runs.append(time.perf_counter() - t)
                if offset:
                    rows = got
            if sum(first) + sum(last) > 6:  # a slow listing: three runs of each are enough
                break
        out[name] = {"page": canned.page, "first": statistics.median(first), "deep": statistics.median(last),
                     "deep_rows": rows, "runs": len(first)}
        pair = _answered(store, directory, canned, canned.page, 0, deep)  # both pages, interleaved
        if pair is not None:
            out[name].update(first_answers=statistics.median(pair[0]), deep_answers=statistics.median(pair[1]))
    return {"seconds": time.perf_counter() - started, "queries": out}


def _expand(value: str) -> str:
    from kg.queries import expand
    return expand(value)


def _stats(runs: list[float], rows: int) -> dict:
    ordered = sorted(runs)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"median": statistics.median(ordered), "p95": p95, "runs": len(runs), "rows": rows}


STEPS = {name: fn for name, fn in globals().items() if name.startswith(("kg_", "base_")) and callable(fn)}


def main() -> None:
    step, root, data_dir = sys.argv[1], Path(sys.argv[2]).resolve(), Path(sys.argv[3]).resolve()
    extra = sys.argv[4] if len(sys.argv) > 4 else ""
    os.environ["KG_ROOT"] = str(root)
    os.environ["KG_DATA_DIR"] = str(data_dir)
    print(json.dumps(STEPS[step.replace("-", "_")](root, data_dir, extra)))


if __name__ == "__main__":
    main()
