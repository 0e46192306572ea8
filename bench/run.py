"""`make bench`: every figure of the project beside the same work done the plain way.

For each scale (default 10k, 100k and 1M triples of synthetic data from bench/generate.py):
load, reasoning (materialisation), full validation, incremental validation of one new case,
each canned query's latency (median, p95), and HTTP throughput of /sparql for three queries at
concurrency 1, 4 and 16. Each step runs in its own process; its time is measured inside it
(imports excluded) and its peak memory is the process's maximum resident set size (os.wait4).
Baselines: rdflib in memory + pyshacl on the whole graph; rdflib's SPARQL engine; the bare
`oxigraph serve-read-only` server on the same store. A baseline that runs past its time limit
is stopped and reported as "> N s".

    python -m bench.run [--scales 10k,100k,1m] [--out docs/benchmarks.md]
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import math
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from importlib import metadata
from pathlib import Path

from .generate import ROOT, SCALES, extra_case, generate
from .steps import DEEP_PAGE

PY = sys.executable
WORK = ROOT / "build" / "bench"
# time limits (seconds) of the baseline runs, by scale
LIMITS = {"smoke": 60, "10k": 120, "100k": 120, "1m": 240, "5m": 300}
# the rdflib query baseline's budget for its whole run (every canned query), by scale
BASE_QUERIES_LIMIT = {"smoke": 30, "10k": 30, "100k": 45, "1m": 60, "5m": 60}
QUERY_LIMIT = {"smoke": 10, "10k": 20, "100k": 20, "1m": 10, "5m": 10}


def measure(step: str, root: Path, data_dir: Path, extra: str = "", limit: float | None = None) -> dict:
    """Run one step in a child process; its JSON output plus wall time and peak RSS (MB)."""
    env = {**os.environ, "KG_ROOT": str(root), "KG_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "bench.steps", step, str(root), str(data_dir), extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    timer = threading.Timer(limit, proc.kill) if limit else None
    peak_hint = [0]
    if timer:
        def kill() -> None:
            peak_hint[0] = _vm_hwm(proc.pid)
            proc.kill()
        timer = threading.Timer(limit, kill)
        timer.start()
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if timer:
        timer.cancel()
    wall = time.perf_counter() - started
    peak_mb = max(usage.ru_maxrss, peak_hint[0]) / 1024
    if proc.returncode != 0:
        if limit and wall >= limit:
            return {"timeout": limit, "peak_mb": peak_mb, "wall": wall}
        raise RuntimeError(f"step {step} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    result = json.loads(out.decode().strip().splitlines()[-1])
    result.update(peak_mb=peak_mb, wall=wall)
    return result


def _vm_hwm(pid: int) -> int:
    """Peak resident set size (kB) of a running process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- HTTP -----------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, path: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", path + "?query=" + urllib.parse.quote("ASK {}"), headers={"Accept": "application/sparql-results+json"})
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def _run_clients(threads: list[threading.Thread]) -> float:
    """Start the client threads together, wait for them all; the seconds it took."""
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def load_test(port: int, path: str, query: str | list[str], concurrency: int, seconds: float) -> dict:
    """`concurrency` client threads, each with a keep-alive connection, POSTing the query for `seconds`.
    Given a list, the requests take its queries in turn across all threads (each sent once while the
    list lasts: `repeats` counts the requests sent after it ran out)."""
    texts = [query] if isinstance(query, str) else query
    bodies = [urllib.parse.urlencode({"query": q}) for q in texts]
    turn = itertools.count()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"}
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while time.perf_counter() < stop:
            body = bodies[next(turn) % len(bodies)]
            t = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
                    continue
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    elapsed = _run_clients([threading.Thread(target=worker) for _ in range(concurrency)])
    sent = next(turn)
    return {"qps": len(latencies) / elapsed, "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
            "requests": len(latencies), "errors": errors[0], "repeats": max(0, sent - len(bodies)) if len(bodies) > 1 else 0}


def page_load_test(port: int, paths: list[str], concurrency: int, seconds: float) -> dict:
    """`concurrency` client threads GETting description pages (`paths`, in turn) for `seconds`:
    distinct resources, so no answer is a repeat of the one before."""
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, i = [], offset
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                conn.request("GET", paths[i % len(paths)])
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[0] += 1
            except (OSError, http.client.HTTPException):
                errors[0] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            finally:
                i += 1
            mine.append(time.perf_counter() - t)
        with lock:
            latencies.extend(mine)

    elapsed = _run_clients([threading.Thread(target=worker, args=(k * 7,)) for k in range(concurrency)])
    q = sorted(latencies)
    return {"qps": len(q) / elapsed, "p50_ms": 1000 * statistics.median(q) if q else None,
            "p99_ms": 1000 * q[min(len(q) - 1, int(0.99 * len(q)))] if q else None, "requests": len(q), "errors": errors[0]}


def project_iris(data_dir: Path, n: int) -> list[str]:
    """n IRIs of described resources minted by the project (laws, articles, cases, organisations)."""
    from kg import BASE
    from kg.store import open_store

    store = open_store(data_dir)
    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), \"{BASE}\")) }} LIMIT {n}",
                       use_default_graph_as_union=True)
    iris = [r["s"].value for r in rows]
    del store
    return iris


def page_paths(iris: list[str]) -> list[str]:
    """`/PATH.ttl` of resources minted by the project (laws, articles, cases, organisations)."""
    from kg import BASE

    return ["/" + iri[len(BASE):] + ".ttl" for iri in iris]


def search_paths(pages: list[str]) -> list[str]:
    """`/search?q=...` for words of the resources' own paths (each search different: case ids, law slugs)."""
    words = sorted({w for p in pages for w in p.strip("/").removesuffix(".ttl").replace("_", "-").split("/")[1:] if len(w) > 3})
    return ["/search?" + urllib.parse.urlencode({"q": w}) for w in words] or ["/search?q=law"]


DISTINCT_LOOKUPS = 50_000  # distinct IRI look-ups available to the load that must miss the answer cache


def http_queries(meta: dict) -> dict[str, str]:
    """Three queries: an IRI look-up, a canned query with a parameter, an aggregation per country."""
    import pyoxigraph as ox

    from kg import queries
    from kg.remote import with_values

    j = meta["first_jurisdiction"]
    country = "http://publications.europa.eu/resource/authority/country/" + j["code"]
    canned = queries.discover(ROOT)
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in __import__("kg").PREFIXES.items())
    strip = lambda text: "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))  # noqa: E731
    out = {"iri-lookup": f"SELECT ?p ?o WHERE {{ {j['nso']} ?p ?o }}"}
    if "private-data-access" in canned:
        out["private-data-access(country)"] = prologue + strip(with_values(canned["private-data-access"].text,
                                                                             {ox.Variable("country"): ox.NamedNode(country)}))
    if "statistical-laws" in canned:
        out["statistical-laws(country)"] = prologue + strip(with_values(canned["statistical-laws"].text,
                                                                          {ox.Variable("country"): ox.NamedNode(country)}))
    return out


def http_bench(data_dir: Path, meta: dict, seconds: float) -> dict:
    """Throughput of `kg serve` /sparql and of the bare `oxigraph serve-read-only` on the same store."""
    from kg.store import current_path

    results: dict = {}
    oxigraph = shutil.which("oxigraph", path=str(Path(PY).parent)) or shutil.which("oxigraph")
    servers = {
        "kg serve": ([PY, "-m", "kg.cli", "serve", "--store", str(data_dir), "--port", "{port}"], "/sparql"),
        "kg serve --cache-mb 0": ([PY, "-m", "kg.cli", "serve", "--store", str(data_dir), "--port", "{port}",
                                   "--cache-mb", "0"], "/sparql"),
        "oxigraph serve-read-only": ([oxigraph, "serve-read-only", "--location", str(current_path(data_dir)),
                                      "--bind", "127.0.0.1:{port}", "--union-default-graph"], "/query"),
        # no --timeout-s: with it oxigraph 0.5.13 spawns a thread per request and fails under load
        # ("OxHTTP thread spawn error: Resource temporarily unavailable")
    }
    queries: dict[str, str | list[str]] = dict(http_queries(meta))
    # queries not seen before: each request looks up another resource, so none is answered from a cache
    iris = project_iris(data_dir, DISTINCT_LOOKUPS)  # one read of the store for both loads
    queries["iri-lookup (distinct)"] = [f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}" for iri in iris]
    pages = page_paths(iris[:200])
    for name, (cmd, path) in servers.items():
        port = _free_port()
        log = open(WORK / ("server-" + "".join(ch if ch.isalnum() else "-" for ch in name) + ".log"), "wb")  # a pipe left unread would block a chatty server
        proc = subprocess.Popen([c.replace("{port}", str(port)) for c in cmd], stdout=log, stderr=subprocess.STDOUT,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            _wait(port, path, proc)
            for qname, q in queries.items():
                load_test(port, path, q if isinstance(q, str) else q[-100:], 2, 1)  # warm-up (not on the distinct look-ups)
                for k, c in enumerate((1, 4, 16)):
                    # distinct queries: each concurrency level gets its own third of the list (no repeats across loads)
                    part = q if isinstance(q, str) else q[k * len(q) // 3:(k + 1) * len(q) // 3] or q
                    results[(name, qname, c)] = load_test(port, path, part, c, seconds)
            if name == "kg serve --cache-mb 0" and pages:  # description pages, HTML pages and searches
                for what, paths in (("pages", pages), ("html pages", [p[:-len(".ttl")] + ".html" for p in pages]),
                                    ("search", search_paths(pages))):
                    page_load_test(port, paths, 2, 1)
                    results[(name, what, 16)] = page_load_test(port, paths, 16, seconds)
            results[(name, "peak_mb", 0)] = _tree_hwm(proc.pid) / 1024
        except RuntimeError as exc:
            results[(name, "error", 0)] = str(exc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
    return results


def _tree_hwm(pid: int) -> int:
    """Sum of peak RSS (kB) of a process and its children (a server with worker processes)."""
    total = _vm_hwm(pid)
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return total + sum(_tree_hwm(int(c)) for c in children)


# --- the run ------------------------------------------------------------------------------

def run_scale(scale: str, seconds: float, log) -> dict:
    root = WORK / scale
    data_dir = root / "store"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    t = time.perf_counter()
    summary = generate(SCALES[scale], root)
    log(f"[{scale}] generated {summary['triples']:,} triples in {time.perf_counter() - t:.1f} s")
    meta = json.loads((root / "bench-meta.json").read_text())
    case = extra_case(root, WORK / f"new-case-{scale}.nt")
    r: dict = {"generated": summary}
    limit = LIMITS[scale]

    def step(key: str, name: str, extra: str = "", lim: float | None = None) -> None:
        r[key] = measure(name, root, data_dir, extra, lim)
        log(f"[{scale}] {key}: {_fmt_time(r[key])}, {r[key]['peak_mb']:.0f} MB")

    step("kg_load", "kg-load")
    step("base_load", "base-load", lim=limit)
    step("kg_reason", "kg-reason")
    step("base_reason", "base-reason", lim=min(limit, 120))  # rdflib's rules pass: minutes from 100k on
    step("kg_validate", "kg-validate")  # whole-graph pyshacl, the build's own step: no limit (its figure is the point)
    step("base_validate", "base-validate", str(case), lim=limit)
    step("kg_incremental", "kg-incremental", str(case))
    step("kg_answers", "kg-answers")  # the build's last step: the canned queries' answers beside the store
    step("kg_queries", "kg-queries")
    step("kg_deep_pages", "kg-deep-pages")
    # per-query limit, then the budget of the whole step (later queries are skipped); the kill is a safety net
    step("base_queries", "base-queries", f"{QUERY_LIMIT[scale]},{BASE_QUERIES_LIMIT[scale]}",
         lim=BASE_QUERIES_LIMIT[scale] + 3 * QUERY_LIMIT[scale] + 120)
    r["http"] = http_bench(data_dir, meta, seconds)
    log(f"[{scale}] http done")
    r["minutes"] = (time.perf_counter() - t) / 60
    return r


def _fmt_time(x: dict | None, key: str = "seconds") -> str:
    if x is None:
        return "n/a"
    if "timeout" in x:
        return f"> {x['timeout']:.0f} s"
    v = x[key]
    return f"{v * 1000:.0f} ms" if v < 1 else f"{v:.1f} s"


def _ratio(kg: dict, base: dict, key: str = "seconds") -> str:
    if "timeout" in kg:
        return "n/a"
    if "timeout" in base:
        return f"> {base['timeout'] / kg[key]:.0f}x"
    return f"{base[key] / kg[key]:.1f}x" if kg[key] else "n/a"


def machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), 0)
    libs = ", ".join(f"{p} {metadata.version(p)}" for p in ("pyoxigraph", "oxigraph", "rdflib", "pyshacl", "SPARQLWrapper")
                     if _has(p))
    return [f"- CPU: {cpu}, {os.cpu_count()} cores (nproc); memory {mem / 1024 / 1024:.1f} GiB",
            f"- Python {platform.python_version()} on {platform.system()} {platform.release()}",
            f"- Libraries: {libs}"]


def _has(package: str) -> bool:
    try:
        metadata.version(package)
        return True
    except metadata.PackageNotFoundError:
        return False


DEFAULT_SCALES = "10k,100k,1m"
TARGET_SCALE = "1m"  # the scale the speed targets name; a larger one adds the "fits the machine" line


def _build(r: dict) -> tuple[bool, float, float]:
    """The build's steps at one scale: whether one stopped at its limit, their seconds, their peak MB."""
    steps = [r[k] for k in ("kg_load", "kg_reason", "kg_validate", "kg_answers") if k in r]
    return (any("timeout" in x for x in steps), sum(x.get("seconds", x.get("timeout", 0)) for x in steps),
            max(x["peak_mb"] for x in steps))


def _default_share(results: dict[str, dict], minutes: float, mark) -> str:
    """The `make bench` target when a run added scales: the default scales' own minutes (each scale is
    generated, built and measured on its own, so their sum is what `make bench` spends), else why not."""
    per = {s: results[s]["minutes"] for s in results if "minutes" in results[s]}
    default = DEFAULT_SCALES.split(",")
    spent = "".join(f"; {s} {m:.1f} min" for s, m in per.items())
    if all(s in per for s in default):
        share = sum(per[s] for s in default)
        return (f"{share:.1f} min for the default scales within this run ({mark(share < 30)}); the run added scales "
                f"({', '.join(results)}) and took {minutes:.1f} min in all{spent}.")
    return f"not measured alone: this run added scales ({', '.join(results)}) and took {minutes:.1f} min in all{spent}."


def targets(results: dict[str, dict], minutes: float) -> list[str]:
    """The issue's targets, each with the figure reached at 1M triples (or the largest scale run, if smaller)."""
    scale = TARGET_SCALE if TARGET_SCALE in results else list(results)[-1]
    r = results[scale]
    mark = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    default = ",".join(results) == DEFAULT_SCALES or list(results) == ["smoke"]
    out = ["## Targets", "", f"At {scale} ({r['generated']['triples']:,} triples), the scale the speed targets name:", "",
           f"- `make bench` (default scales {DEFAULT_SCALES}) under 30 minutes: "
           + (f"{minutes:.1f} min ({mark(minutes < 30)})." if default else _default_share(results, minutes, mark))]
    qs = r["kg_queries"]["queries"]
    served = {n: q.get("answers_median", q["median"]) for n, q in qs.items()}
    for label, times in (("as `kg query` and the web page answer it (from the build's answers, kg/answers.py, where it kept them)", served),
                         ("evaluated by the store (no answers)", {n: q["median"] for n, q in qs.items()})):
        slow = {n: v for n, v in times.items() if v >= 0.1}
        out.append(f"- Every canned query under 100 ms median on the embedded store (default parameters; a listing's first page), "
                   f"{label}: {len(qs) - len(slow)} of {len(qs)} ({mark(not slow)})"
                   + (": over it " + ", ".join(f"{n} {v * 1000:.0f} ms" for n, v in sorted(slow.items(), key=lambda kv: -kv[1]))
                      if slow else "") + ".")
    inc, full = r["kg_incremental"], r["base_validate"]
    if "timeout" in full:
        out.append(f"- One case validated incrementally in well under a second and at least 100x faster than a full "
                   f"validation: {inc['seconds'] * 1000:.0f} ms against > {full['timeout']:.0f} s "
                   f"({mark(inc['seconds'] < 0.5)}).")
    else:
        out.append(f"- One case validated incrementally in well under a second and at least 100x faster than a full "
                   f"validation: {inc['seconds'] * 1000:.0f} ms against {full['seconds']:.1f} s, "
                   f"{full['seconds'] / inc['seconds']:.0f}x ({mark(inc['seconds'] < 0.5 and full['seconds'] / inc['seconds'] >= 100)}).")
    over, total, peak = _build(r)
    out.append(f"- Build (load + reason + validate + answers) within a few minutes and under 4 GB: {'> ' if over else ''}"
               f"{total / 60:.1f} min as separate steps, peak {peak / 1024:.1f} GB "
               f"({mark(not over and total < 300 and peak < 4096)}).")
    largest = list(results)[-1]
    if largest != scale:  # the growth curve's top scale: does the build fit the machine?
        big = results[largest]
        over, total, peak = _build(big)
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
        out.append(f"- The build at {largest} ({big['generated']['triples']:,} triples) fits the machine ({os.cpu_count()} cores, "
                   f"{memory / 1024:.0f} GB): {'> ' if over else ''}{total / 60:.1f} min as separate steps, peak "
                   f"{peak / 1024:.1f} GB ("
                   + ("not measured whole: a step stopped at its time limit" if over else mark(peak < memory)) + ").")
    h = r["http"]
    deep = r.get("kg_deep_pages", {}).get("queries", {})
    if deep:
        served = {n: {"first": q.get("first_answers", q["first"]), "deep": q.get("deep_answers", q["deep"])} for n, q in deep.items()}
        for label, pages in (("as `kg query --offset` and the web page's page links give them (from the build's answers where it kept them)", served),
                             ("evaluated by the store (no answers)", deep)):
            slow_deep = {n: q for n, q in pages.items() if q["deep"] >= 0.1 or q["deep"] > 1.5 * max(q["first"], 0.002)}
            out.append(f"- Page {DEEP_PAGE} of every listing as fast as its first page (under 100 ms and at most 1.5x page 1, "
                       f"or 3 ms), {label}: {len(pages) - len(slow_deep)} of {len(pages)} ({mark(not slow_deep)})"
                       + (": not " + ", ".join(f"{n} {q['first'] * 1000:.0f} -> {q['deep'] * 1000:.0f} ms"
                                               for n, q in sorted(slow_deep.items(), key=lambda kv: -kv[1]["deep"])) if slow_deep else "") + ".")
    for server, label, qname in (("kg serve", "the same look-up repeated, with the answer cache", "iri-lookup"),
                                 ("kg serve --cache-mb 0", "the same look-up repeated, every request through a worker", "iri-lookup"),
                                 ("kg serve", "distinct look-ups (each request a resource not asked before: cache misses)",
                                  "iri-lookup (distinct)")):
        ratios = []
        for c in (1, 4, 16):
            k, o = h.get((server, qname, c)), h.get(("oxigraph serve-read-only", qname, c))
            if k and o and o["qps"] and not o["errors"] and not k["errors"]:
                ratios.append(k["qps"] / o["qps"])
        if ratios:
            out.append(f"- /sparql keeps 80% of the bare Oxigraph server's throughput on a cheap IRI look-up, {label}: "
                       f"{' / '.join(f'{x:.2f}x' for x in ratios)} at 1 / 4 / 16 clients ({mark(min(ratios) >= 0.8)}).")
    for what, label in (("pages", "Description pages (`/PATH.ttl`)"), ("html pages", "HTML pages (`/PATH.html`)"),
                        ("search", "Searches (`/search?q=`, a different word each)")):
        pages = h.get(("kg serve --cache-mb 0", what, 16))
        if pages and pages["p99_ms"] is not None:
            out.append(f"- {label} under 16 clients, p99 under 200 ms: p99 {pages['p99_ms']:.0f} ms, "
                       f"median {pages['p50_ms']:.0f} ms, {pages['errors']} errors ({mark(pages['p99_ms'] < 200 and not pages['errors'])}).")
    return out + [""]


def growth(results: dict[str, dict]) -> list[str]:
    """How each figure grows with the data: its value at each scale and, between two scales, the
    exponent k of time ~ triples^k (1 = linear; 0 = flat)."""
    scales = list(results)
    if len(scales) < 2:
        return []
    n = {s: results[s]["generated"]["triples"] for s in scales}
    figures: dict[str, dict[str, float | None]] = {}
    for label, key in (("load", "kg_load"), ("reasoning", "kg_reason"), ("full validation", "kg_validate"),
                       ("incremental validation (1 case)", "kg_incremental")):
        figures[label] = {s: results[s][key].get("seconds") for s in scales}
    for name in results[scales[-1]]["kg_queries"]["queries"]:
        figures[f"query {name}"] = {s: results[s]["kg_queries"]["queries"].get(name, {}).get("median") for s in scales}
    for name in results[scales[-1]].get("kg_deep_pages", {}).get("queries", {}):
        figures[f"page {DEEP_PAGE} of {name}"] = {s: results[s].get("kg_deep_pages", {}).get("queries", {}).get(name, {}).get("deep")
                                                  for s in scales}
    head = " | ".join(scales)
    steps = " | ".join(f"k {a}->{b}" for a, b in zip(scales, scales[1:]))
    lines = ["## Growth with the data", "",
             "Each figure at every scale run, and between two scales the exponent k in time ~ triples^k "
             "(k near 1: linear in the data; near 0: independent of it; over 1: faster than the data grows).", "",
             f"| figure | {head} | {steps} |", "|---|" + "---:|" * (len(scales) * 2 - 1)]
    for label, values in figures.items():
        cells = [_fmt_time({"seconds": v}) if v is not None else "n/a" for v in values.values()]
        ks = []
        for a, b in zip(scales, scales[1:]):
            va, vb = values[a], values[b]
            ks.append(f"{math.log(vb / va) / math.log(n[b] / n[a]):.2f}" if va and vb and n[b] != n[a] else "n/a")
        lines.append(f"| {label} | {' | '.join(cells)} | {' | '.join(ks)} |")
    return lines + [""]


def report(results: dict[str, dict], started: float, command: str) -> str:
    lines = ["# Benchmarks", "",
             f"Produced by `{command}` (bench/run.py) on {time.strftime('%Y-%m-%d')}, total run time "
             f"{(time.perf_counter() - started) / 60:.1f} min. Synthetic data in the project's ontology, seeded "
             "(bench/generate.py), valid under shapes/. Each step runs in its own process: time is the measured "
             "work (imports excluded), memory the peak resident set size of that process. Ratio = baseline time / "
             "kg time (higher is better for kg).", "", "## Machine", "", *machine(), "",
             *targets(results, (time.perf_counter() - started) / 60),
             "Baselines: **load** rdflib `Graph.parse` of every file; **reasoning** the same rules run by rdflib's "
             "SPARQL engine; **full validation** rdflib parse + pyshacl on the whole graph; **incremental "
             "validation** the baseline way to validate a new case, i.e. a full pyshacl run on the graph plus the case; "
             "**queries** rdflib SPARQL on the in-memory graph; **HTTP** the bare `oxigraph serve-read-only "
             "--union-default-graph` on the same store. A baseline stopped at its time limit shows `> N s`.", ""]
    lines += ["## Pipeline steps", "",
              "| scale | triples | step | kg time | kg peak | baseline time | baseline peak | ratio |",
              "|---|---:|---|---:|---:|---:|---:|---:|"]
    for scale, r in results.items():
        n = f"{r['generated']['triples']:,}"
        rows = [("load", "kg_load", "base_load"), ("reasoning", "kg_reason", "base_reason"),
                ("full validation", "kg_validate", "base_validate"), ("incremental validation (1 case)", "kg_incremental", "base_validate")]
        for label, k, b in rows:
            kg, base = r[k], r[b]
            lines.append(f"| {scale} | {n} | {label} | {_fmt_time(kg)} | {kg['peak_mb']:.0f} MB | {_fmt_time(base)} | "
                         f"{base['peak_mb']:.0f} MB | {_ratio(kg, base)} |")
        if "kg_answers" in r:  # no baseline: the plain way has no build step that keeps answers
            a = r["kg_answers"]
            lines.append(f"| {scale} | {n} | answers of {a['queries']} canned queries ({a['rows']:,} rows kept) | {_fmt_time(a)} | "
                         f"{a['peak_mb']:.0f} MB | n/a | | |")
    lines += ["", "Incremental validation: median of 5 runs of `IncrementalValidator.validate` on one new case "
              "(about 50 triples) against the built store; set-up (opening the store, reading shapes and TBox) "
              "is shown apart. A case with a dangling legal basis is reported as a violation at every scale.", "",
              "| scale | one case | set-up | results (valid case) | violations (dangling legal basis) |", "|---|---:|---:|---:|---:|"]
    for scale, r in results.items():
        inc = r["kg_incremental"]
        lines.append(f"| {scale} | {inc['seconds'] * 1000:.0f} ms | {inc['setup_seconds'] * 1000:.0f} ms | {inc['results']} | {inc['bad_case_violations']} |")
    lines += ["", "## Canned queries (embedded store; default parameters and, for a listing, its first page as `kg query` shows it)", "",
              "`kg median` and `kg p95`: the query evaluated by the store; `kg from answers`: the same page read from the "
              "answers the build kept (kg/answers.py), as `kg query` and the web page give it.", "",
              "| scale | query | rows | kg median | kg p95 | kg from answers | rdflib median | rdflib p95 | ratio (median) |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for scale, r in results.items():
        for name, q in r["kg_queries"]["queries"].items():
            b = r["base_queries"].get("queries", {}).get(name) if "queries" in r["base_queries"] else None
            if b is None:
                bm = bp = f"> {r['base_queries'].get('timeout', 0):.0f} s (whole run)"
                ratio = "n/a"
            elif "skipped" in b:
                bm, bp, ratio = f"not run (baseline budget of {b['skipped']:.0f} s spent)", "", "n/a"
            elif "error" in b:
                bm, bp, ratio = f"fails ({b['error']})", "", "n/a"
            elif "timeout" in b:
                bm, bp, ratio = f"> {b['timeout']:.0f} s", "", f"> {b['timeout'] / q['median']:.0f}x"
            else:
                bm, bp, ratio = f"{b['median'] * 1000:.1f} ms", f"{b['p95'] * 1000:.1f} ms", f"{b['median'] / q['median']:.0f}x"
            answered = f"{q['answers_median'] * 1000:.1f} ms" if "answers_median" in q else "(not kept)"
            lines.append(f"| {scale} | {name} | {q['rows']:,} | {q['median'] * 1000:.1f} ms | {q['p95'] * 1000:.1f} ms | {answered} | {bm} | {bp} | {ratio} |")
    deep_rows = [(scale, name, q) for scale, r in results.items() for name, q in r.get("kg_deep_pages", {}).get("queries", {}).items()]
    if deep_rows:
        lines += ["", f"## Deep pages (a listing's first page and page {DEEP_PAGE}, embedded store, medians, interleaved runs)", "",
                  f"| scale | listing | page size | page 1 | page {DEEP_PAGE} | rows on page {DEEP_PAGE} | ratio (page {DEEP_PAGE} / page 1) "
                  f"| page 1 from answers | page {DEEP_PAGE} from answers |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
        fmt = lambda q, k: f"{q[k] * 1000:.1f} ms" if k in q else "(not kept)"  # noqa: E731
        lines += [f"| {scale} | {name} | {q['page']} | {q['first'] * 1000:.1f} ms | {q['deep'] * 1000:.1f} ms | {q['deep_rows']} | "
                  f"{q['deep'] / q['first']:.1f}x | {fmt(q, 'first_answers')} | {fmt(q, 'deep_answers')} |" for scale, name, q in deep_rows]
    lines += ["", *growth(results)]
    lines += ["", "## HTTP /sparql throughput (loopback, client threads in the benchmark process)", "",
              "Each load sends one request over and over, except `iri-lookup (distinct)`, whose every request looks up "
              "another resource (distinct queries, none answered from a cache; `repeats` counts any sent twice). "
              "`kg serve` answers a repeat from its answer cache "
              "(kg/server/cache.py: the store is immutable until a rebuild, so the same request has the same "
              "answer); `kg serve --cache-mb 0` runs every request in a query worker process, which is what a "
              "request not seen before costs. The bare server evaluates every request. Ratio = kg q/s / oxigraph q/s.", "",
              "| scale | query | concurrency | kg serve q/s | p50 | ratio | no cache q/s | p50 | ratio | oxigraph q/s | p50 |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for scale, r in results.items():
        h = r["http"]
        for (server, qname, c), v in h.items():
            if server != "kg serve" or c == 0 or qname in ("pages", "html pages", "search"):
                continue
            cells = [f"| {scale} | {qname} | {c}"]
            o = h.get(("oxigraph serve-read-only", qname, c))
            for w in (v, h.get(("kg serve --cache-mb 0", qname, c))):
                ok = w and o and o["qps"] and not o["errors"] and not w["errors"]
                ratio = f"{w['qps'] / o['qps']:.2f}x" if ok else f"n/a ({(o or {}).get('errors', 0) + w.get('errors', 0) if w else 0} errors)"
                cells.append(f"{w['qps']:.0f} | {_ms(w['p50_ms'])} | {ratio}" if w else "n/a | n/a | n/a")
            cells.append(f"{o['qps']:.0f} | {_ms(o['p50_ms'])} |" if o else "n/a | n/a |")
            lines.append(" | ".join(cells))
        for (server, what, c), v in h.items():
            if what in ("pages", "html pages", "search"):
                label = {"pages": "description pages (`/PATH.ttl`", "html pages": "HTML pages (`/PATH.html`",
                         "search": "searches (`/search?q=`, distinct words"}[what]
                lines.append(f"| {scale} | {label}, 200 resources in turn, {server}) | {c} | "
                             f"{v['qps']:.0f} | {_ms(v['p50_ms'])} | p99 {_ms(v['p99_ms'])} | {v['errors']} errors | | | | |")
            if what == "peak_mb":
                lines.append(f"| {scale} | peak memory of {server} (all processes) | | {v:.0f} MB | | | | |")
            if what == "error":
                lines.append(f"| {scale} | {server}: not measured ({v[:120]}) | | | | | | |")
    return "\n".join(lines) + "\n"


NOTES = "<!-- Everything below this line is written by hand and kept when bench/run.py rewrites the page. -->"


def kept_notes(page: Path) -> str:
    """The hand-written part of an existing report (from the NOTES line on), to keep it across runs."""
    old = page.read_text() if page.exists() else ""
    return "\n" + old[old.index(NOTES):] if NOTES in old else ""


def _ms(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.1f} ms"


def _write(out: Path, results: dict[str, dict], started: float, scales: str) -> str:
    """Write the report (keeping the hand-written notes of the page it replaces); return its generated part."""
    text = report(results, started, "make bench" if scales == DEFAULT_SCALES else f"python -m bench.run --scales {scales}")
    out.write_text(text + kept_notes(out))
    return text


def main() -> None:
    global WORK
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default=DEFAULT_SCALES)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--http-seconds", type=float, default=2.0)
    parser.add_argument("--work", type=Path, default=WORK, help="Directory for generated data and stores.")
    parser.add_argument("--report-only", action="store_true",
                        help="Rewrite the report from the last run's results.json (no measuring); with --minutes and "
                             "--scales naming that run.")
    parser.add_argument("--minutes", type=float, help="With --report-only: the last run's total time.")
    args = parser.parse_args()
    WORK = args.work.resolve()
    started = time.perf_counter()
    if args.report_only:
        raw = json.loads((WORK / "results.json").read_text())
        results = {s: {k: ({tuple(key.split("|")[:2]) + (int(key.split("|")[2]),): v for key, v in val.items()}
                           if k == "http" else val) for k, val in r.items()} for s, r in raw.items()}
        if ",".join(results) != args.scales:
            parser.error(f"results.json holds {','.join(results)}, not --scales {args.scales}")
        _write(args.out, results, started - 60 * (args.minutes or 0), args.scales)
        return
    WORK.mkdir(parents=True, exist_ok=True)
    results = {}

    def log(msg: str) -> None:
        print(msg, flush=True)

    for scale in args.scales.split(","):
        results[scale] = run_scale(scale, args.http_seconds, log)
        raw = {s: {k: ({f"{a}|{b}|{c}": v for (a, b, c), v in val.items()} if k == "http" else val) for k, val in r.items()}
               for s, r in results.items()}
        (WORK / "results.json").write_text(json.dumps(raw, indent=1))
        text = _write(args.out, results, started, args.scales)
    print(text)


if __name__ == "__main__":
    main()
