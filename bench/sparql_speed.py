"""/sparql on cheap queries that miss the answer cache: `kg serve --cache-mb 0` builds side by side
with the bare `oxigraph serve-read-only` on the same store, interleaved (issue 16).

Every server is started once; then, round after round, each one gets the same load in turn (distinct
IRI look-ups, each request a resource not asked before in that load) at 1, 4 and 16 clients, so a busy
machine slows them alike. `ceiling` is `kg serve` with its answer cache, asked look-ups it has answered
already: the HTTP front alone, with no query work at all, the most any design with this front can reach.
Beside throughput, each line gives the server's CPU time per answered request (the server process and
every process it started, from /proc): what one request costs wherever it runs, independent of how the
machine schedules the load. A build other than the working tree is a copy of the `kg` package taken with
`git archive COMMIT kg` (run with KG_ROOT pointing at this checkout).

    python -m bench.sparql_speed --store build/bench/10k/store [--build before=COMMIT] [--rounds 3] [--seconds 3]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from .generate import ROOT
from .run import PY, _free_port, _wait, load_test, project_iris


def checkout(commit: str, into: Path) -> Path:
    """The `kg` package as of COMMIT, unpacked under `into` (for PYTHONPATH)."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", commit, "kg"], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its live descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
        except OSError:  # ended meanwhile
            continue
        parents[int(entry)] = int(fields[1])
        used[int(entry)] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime (fields 14, 15 of stat)
    tree, todo = set(), [pid]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo += [child for child, parent in parents.items() if parent == p and child not in tree]
    return sum(used.get(p, 0.0) for p in tree)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, default=ROOT / "build" / "bench" / "10k" / "store")
    ap.add_argument("--build", action="append", default=[], metavar="LABEL=COMMIT",
                    help="another build of kg serve to compare (repeatable); the working tree is `now`")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--clients", default="1,4,16")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    from kg.store import current_path

    tmp = Path(tempfile.mkdtemp(prefix="kg-sparql-speed-"))
    oxigraph = shutil.which("oxigraph", path=str(Path(PY).parent)) or shutil.which("oxigraph")
    extra = ["--workers", str(args.workers)] if args.workers else []
    kg_cmd = [PY, "-m", "kg.cli", "serve", "--store", str(args.store.resolve()), "--port", "{port}", "--cache-mb", "0", *extra]
    servers: dict[str, tuple[list[str], str, dict]] = {  # (command, path, environment; a build's cwd is its copy)
        "bare": ([oxigraph, "serve-read-only", "--location", str(current_path(args.store)), "--bind", "127.0.0.1:{port}",
                  "--union-default-graph"], "/query", {}),
        "now": (kg_cmd, "/sparql", {"PYTHONPATH": str(ROOT)}),
        "ceiling": (kg_cmd[:kg_cmd.index("--cache-mb")] + extra, "/sparql", {"PYTHONPATH": str(ROOT)}),
    }
    for spec in args.build:
        label, commit = spec.split("=", 1)
        servers[label] = (kg_cmd, "/sparql", {"PYTHONPATH": str(checkout(commit, tmp / label)), "KG_ROOT": str(ROOT)})
    # `python -m` puts the working directory first on sys.path: a build runs from its own copy
    iris = project_iris(args.store, 50_000)
    clients = [int(c) for c in args.clients.split(",")]
    running: dict[str, tuple[subprocess.Popen, int, str]] = {}
    results: dict[tuple[str, int], list[dict]] = {}
    try:
        for name, (cmd, path, env) in servers.items():
            port = _free_port()
            proc = subprocess.Popen([c.replace("{port}", str(port)) for c in cmd], stdout=subprocess.DEVNULL,
                                    stderr=open(tmp / f"{name}.log", "wb"), cwd=env.get("PYTHONPATH", ROOT), env={**os.environ, **env})
            running[name] = (proc, port, path)
            _wait(port, path, proc)
        turn = 0
        for _ in range(args.rounds):
            for c in clients:
                for name, (proc, port, path) in running.items():
                    # a fresh slice of look-ups for every load: no query is sent twice to a server
                    size = max(200, int(args.seconds * 3000))
                    part = [f"SELECT ?p ?o WHERE {{ <{iris[(turn + k) % len(iris)]}> ?p ?o }}" for k in range(size)]
                    turn += size
                    load_test(port, path, part[:50], 1, 0.2)  # warm the connection path
                    measured = part[50:]
                    if name == "ceiling":  # each look-up answered once (a cache miss), then measured as cache hits
                        measured = part[50:550]
                        load_test(port, path, measured, 1, 0.005 * len(measured))
                    before = tree_cpu(proc.pid)
                    result = load_test(port, path, measured, c, args.seconds)
                    result["cpu_us"] = 1e6 * (tree_cpu(proc.pid) - before) / max(1, result["requests"])
                    results.setdefault((name, c), []).append(result)
    finally:
        for proc, _port, _path in running.values():
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"store {args.store}, {args.rounds} rounds x {args.seconds:g} s per load, median over rounds "
          "(q/s, p50 ms, ratio of q/s to bare, server CPU per request)")
    for c in clients:
        bare = statistics.median(r["qps"] for r in results[("bare", c)])
        for name in running:
            rs = results[(name, c)]
            qps, p50 = statistics.median(r["qps"] for r in rs), statistics.median(r["p50_ms"] for r in rs)
            cpu = statistics.median(r["cpu_us"] for r in rs)
            errors = sum(r["errors"] for r in rs)
            print(f"  c={c:<3} {name:<10} {qps:8.0f} q/s  p50 {p50:6.2f} ms  {qps / bare:5.2f}x  cpu {cpu:5.0f} us/request"
                  + (f"  errors {errors}" if errors else ""))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
