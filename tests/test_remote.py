"""kg push and kg query --endpoint against a real Oxigraph server (the `oxigraph` command of the venv)."""
from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import ROOT, run_kg
from kg import queries
from kg.remote import push, remote_graph_counts, run_remote, with_values

OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
pytestmark = pytest.mark.skipif(OXIGRAPH is None, reason="the oxigraph server command is not installed")

# parameter values to try besides the defaults, per parameter type
PARAM_VALUES = {"country": "country:CAN", "law": "https://w3id.org/nso-partnership/eli/can/act/1985/s-19",
                "topic": "topic:microdata-access"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """A real Oxigraph server on a free loopback port (default graph: its own, not the union)."""
    port = _free_port()
    location = tmp_path_factory.mktemp("oxigraph")
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"oxigraph serve exited: {proc.stderr.read().decode()}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _rows(result, sampled: set[str] = frozenset()) -> list[tuple]:
    """Rows as sorted tuples of N-Triples terms. SPARQL leaves two things to the engine: the order
    of GROUP_CONCAT lists (sorted here) and the value SAMPLE picks (`sampled` columns: left out)."""
    variables = [v.value for v in result.variables]
    out = []
    for sol in result:
        row = []
        for v in variables:
            term = sol[v]
            if v in sampled:
                term = None
            sep = next((s for s in ("; ", " | ") if isinstance(term, ox.Literal) and s in term.value), None)
            if sep:
                value = sep.join(sorted(term.value.split(sep)))
                term = ox.Literal(value, language=term.language) if term.language else ox.Literal(value, datatype=term.datatype)
            row.append(None if term is None else str(term))
        out.append(tuple(row))
    return sorted(out, key=lambda r: [x or "" for x in r])


@pytest.fixture(scope="module")
def pushed(server: str, shipped_store: Path):
    result = run_kg("push", "--endpoint", f"{server}/query", data_dir=shipped_store)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "Checked: every graph" in result.stdout
    return server


def test_push_uploads_every_named_graph_and_is_idempotent(pushed: str, store):
    local = {g.value: sum(1 for _ in store.quads_for_pattern(None, None, None, g)) for g in store.named_graphs()}
    assert remote_graph_counts(f"{pushed}/query") == local
    push(store, f"{pushed}/store", batch=1000)  # again, in small batches: PUT then POSTs per graph
    assert remote_graph_counts(f"{pushed}/query") == local


def test_every_canned_query_returns_the_same_rows_remotely(pushed: str, store):
    found = queries.discover(ROOT)
    assert found
    for name, canned in found.items():
        variants = [{}] + [{p.name: PARAM_VALUES[p.name]} for p in canned.params if p.name in PARAM_VALUES]
        for params in variants:
            sampled = set(re.findall(r"SAMPLE\s*\(\s*\?\w+\s*\)\s+AS\s+\?(\w+)", canned.text, re.IGNORECASE))
            local = _rows(queries.run(store, canned, params), sampled)
            remote = _rows(run_remote(f"{pushed}/query", canned, params, all_graphs=True), sampled)
            assert remote == local, f"{name} {params}"
            if params:
                assert local, f"{name} {params} should have rows on the shipped data"


def test_query_command_with_endpoint(pushed: str, shipped_store: Path):
    args = ["query", "private-data-access", "-p", "country=country:CAN", "--format", "csv"]
    local = run_kg(*args, data_dir=shipped_store)
    remote = run_kg(*args, "--endpoint", f"{pushed}/query", "--all-graphs", data_dir=shipped_store)
    assert remote.returncode == 0, remote.stderr
    assert sorted(remote.stdout.splitlines()) == sorted(local.stdout.splitlines())
    bad = run_kg("query", "private-data-access", "-p", "country=x> } DROP ALL {", "--endpoint", f"{pushed}/query")
    assert bad.returncode == 1 and "is not a valid iri" in bad.stderr


def test_unreachable_endpoint_is_a_clear_failure(shipped_store: Path):
    result = run_kg("push", "--endpoint", f"http://127.0.0.1:{_free_port()}/query", data_dir=shipped_store)
    assert result.returncode == 1 and "Connection refused" in result.stderr


def test_values_binding_keeps_hostile_text_a_literal():
    hostile = '" } ; DROP ALL ; SELECT * { "'
    text = "# where { not here\nSELECT ?name ?s WHERE { ?s ?p ?name }"
    bound = with_values(text, {ox.Variable("name"): ox.Literal(hostile)})
    assert bound.startswith("# where { not here\nSELECT ?name ?s WHERE { VALUES ?name { ")
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal(hostile)))
    store.add(ox.Quad(ox.NamedNode("http://x/b"), ox.NamedNode("http://x/p"), ox.Literal("other")))
    assert [r["s"].value for r in store.query(bound)] == ["http://x/a"]
    assert "VALUES (?x) { (<http://x/a>) }" in with_values("SELECT * {}", {ox.Variable("x"): ox.NamedNode("http://x/a")})
