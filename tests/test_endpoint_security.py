"""The public endpoint: no federated calls unless allowed (by the parsed query, and by workers that
have no network), bounded parse depth, crashed workers replaced, bounded bodies, no leaks, no write API.
Each test runs against a real `kg serve` process."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from server_helpers import LiveServer


class Listener:
    """A loopback TCP listener that records every connection made to it (a would-be SERVICE target)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def settle(self) -> None:
        """Give a connection already on its way the time to be accepted and counted."""
        time.sleep(0.3)

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def listener():
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def server(shipped_store):
    live = LiveServer(shipped_store, "--workers", "2", "--timeout", "10")
    yield live
    live.stop()


def _escaped(text: str) -> str:
    r"""Every character of text as a SPARQL \uXXXX escape (processed before parsing)."""
    return "".join(f"\\u{ord(c):04X}" for c in text)


# SERVICE spelled, escaped, commented, cased and nested every way the issue and its variations tried.
# {L} is the listener's URL. Each must be refused (4xx) with no connection to the listener.
BYPASSES = {
    "no space": "SELECT * WHERE { SERVICE<{L}> { ?s ?p ?o } }",
    "escaped keyword": r"SELECT * WHERE { \u0053ERVICE <{L}> { ?s ?p ?o } }",
    "escaped keyword U": r"SELECT * WHERE { \U00000053\U00000045RVICE <{L}> { ?s ?p ?o } }",
    "escaped lower": r"SELECT * WHERE { \u0073\u0065rvice<{L}> { ?s ?p ?o } }",
    "mixed case": "SELECT * WHERE { sErViCe <{L}> { ?s ?p ?o } }",
    "after a comment": "SELECT * WHERE { # a comment with SERVICE in it }\nSERVICE\n<{L}> { ?s ?p ?o } }",
    "comment between": "SELECT * WHERE { SERVICE#x\n<{L}> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{L}> { ?s ?p ?o } }",
    "silent no space": "SELECT * WHERE { SERVICE SILENT<{L}>{ ?s ?p ?o } }",
    "subquery": "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <{L}> { ?s ?p ?o } } } }",
    "filter exists": "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{L}> { ?s ?p ?o } } } LIMIT 1",
    "filter not exists": "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <{L}> { ?s ?p ?o } } } LIMIT 1",
    "graph": "SELECT * WHERE { GRAPH ?g { SERVICE <{L}> { ?s ?p ?o } } }",
    "nested graph": "SELECT * WHERE { GRAPH ?g { GRAPH ?h { { SERVICE <{L}> { ?s ?p ?o } } } } }",
    "optional": "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE <{L}> { ?s ?q ?r } } } LIMIT 1",
    "union": "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <{L}> { ?s ?p ?o } } } LIMIT 1",
    "minus": "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{L}> { ?s ?p ?o } } } LIMIT 1",
    "escaped IRI": "SELECT * WHERE { SERVICE <{LESC}> { ?s ?p ?o } }",
    "escaped IRI before a later SERVICE": "SELECT * WHERE { BIND(<{LESC}> AS ?e) SERVICE <{L}> { ?s ?p ?o } }",
    "prefixed name": "PREFIX r: <{LDIR}> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }",
    "relative IRI": "BASE <{LDIR}> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "variable from VALUES": "SELECT * WHERE { VALUES ?x { <{L}> } SERVICE ?x { ?s ?p ?o } }",
    "variable from BIND": "SELECT * WHERE { BIND(<{L}> AS ?x) SERVICE ?x { ?s ?p ?o } }",
    "ask": "ASK { SERVICE <{L}> { ?s ?p ?o } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{L}> { ?s ?p ?o } }",
    "describe": "DESCRIBE ?s WHERE { SERVICE <{L}> { ?s ?p ?o } }",
    "describe iri": "DESCRIBE <{L}> WHERE { SERVICE <{L}> { ?s ?p ?o } }",
    # rdflib cannot parse these (SPARQL 1.2 LATERAL, triple terms), oxigraph can: the worker has no network
    "lateral": "SELECT * WHERE { ?s ?p ?o LATERAL { SERVICE <{L}> { ?s ?p ?o } } } LIMIT 1",
    "triple term": "SELECT * WHERE { SERVICE <{L}> { ?s ?p <<( ?a ?b ?c )>> } }",
}


def _fill(template: str, listener) -> str:
    directory = listener.url.rsplit("/", 1)[0] + "/"
    return (template.replace("{LESC}", _escaped(listener.url)).replace("{LDIR}", directory)
            .replace("{L}", listener.url))


@pytest.mark.parametrize("name", list(BYPASSES))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_service_bypass_is_refused_and_no_connection_is_made(http, listener, name, method):
    query = _fill(BYPASSES[name], listener)
    before = listener.connections
    if method == "GET":
        r = http.get("/sparql", params={"query": query})
    else:
        r = http.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert 400 <= r.status_code < 500, (name, r.status_code, r.text)
    assert len(r.text.strip().splitlines()) == 1 and "Traceback" not in r.text
    if name not in ("lateral", "triple term"):  # the others are refused by the parsed query
        assert r.status_code == 403 and "Federated query is disabled" in r.text, (name, r.text)
    listener.settle()
    assert listener.connections == before, name


def test_silent_service_the_parser_cannot_read_makes_no_connection(http, listener):
    """SILENT asks for a failed call to be ignored: the answer may be 200, but no call leaves the worker."""
    before = listener.connections
    r = http.get("/sparql", params={"query": f"SELECT * WHERE {{ BIND(1 AS ?x) SERVICE SILENT <{listener.url}> "
                                              "{ ?s ?p <<( ?a ?b ?c )>> } }"})
    assert r.status_code in (200, 403)
    listener.settle()
    assert listener.connections == before


def test_a_query_worker_has_no_network(listener):
    """The defence at the engine: after isolate_network() a process cannot reach even the loopback."""
    code = ("import socket, sys\n"
            "from kg.server.executor import isolate_network\n"
            "reason = isolate_network()\n"
            "if reason: print('UNAVAILABLE', reason); sys.exit(0)\n"
            "s = socket.socket()\n"
            "try:\n    s.connect(('127.0.0.1', %d)); print('CONNECTED')\n"
            "except OSError as exc:\n    print('REFUSED', exc.errno)\n" % listener.port)
    before = listener.connections
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    if out.startswith("UNAVAILABLE"):
        pytest.skip(f"no network namespaces here: {out}")
    import errno
    assert out.split() == ["REFUSED", str(errno.ENETUNREACH)]
    listener.settle()
    assert listener.connections == before


def test_the_word_service_in_a_literal_or_comment_is_not_refused(http):
    r = http.get("/sparql", params={"query": 'ASK { BIND("SERVICE <http://x/>" AS ?x) } # SERVICE <http://y/>'},
                 headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_allow_list_lets_the_named_endpoint_be_called(shipped_store, listener):
    live = LiveServer(shipped_store, "--workers", "1", "--timeout", "5", "--allow-service", listener.url)
    try:
        before = listener.connections
        with httpx.Client(base_url=live.url, timeout=30) as client:
            r = client.get("/sparql", params={"query": f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"})
            assert r.status_code != 403
            other = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"})
            assert other.status_code == 403
        time.sleep(0.5)
        assert listener.connections > before
    finally:
        live.stop()


def test_request_body_is_bounded(http):
    big = "ASK {} #" + "x" * 1_100_000
    r = http.post("/sparql", content=big.encode(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413 and "larger than" in r.text


@pytest.mark.parametrize("request_", [
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B"),
    ("GET", "/id/case/NO-SUCH-CASE"),
    ("GET", "/queries/no-such-query"),
    ("GET", "/queries/private-data-access?country=not%20an%20iri"),
])
def test_errors_leak_no_traceback_or_path(http, shipped_store, request_):
    method, url = request_
    r = http.request(method, url)
    assert r.status_code >= 400
    assert "Traceback" not in r.text and "File \"" not in r.text
    assert str(shipped_store) not in r.text and "/site-packages/" not in r.text and "/work/" not in r.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_there_is_no_write_api(http, method):
    r = http.request(method, "/sparql", content=b"<http://x/a> <http://x/b> <http://x/c> .",
                     headers={"Content-Type": "application/n-triples"})
    assert r.status_code in (403, 405)
    assert http.get("/sparql", params={"query": "ASK { <http://x/a> ?p ?o }"},
                    headers={"Accept": "application/sparql-results+json"}).json()["boolean"] is False


def test_allow_list_is_decided_on_the_parsed_query(shipped_store, listener):
    """With an allow-list, only queries whose every SERVICE endpoint is on it reach the lane with network."""
    other = Listener()
    live = LiveServer(shipped_store, "--workers", "1", "--timeout", "5", "--allow-service", listener.url)
    try:
        with httpx.Client(base_url=live.url, timeout=30) as client:
            before, other_before = listener.connections, other.connections
            nested = f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }} }} }}"
            assert client.get("/sparql", params={"query": nested}).status_code != 403
            listener.settle()
            assert listener.connections > before  # an allowed endpoint, even in a subquery, is called
            for query in (f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} SERVICE <{other.url}> {{ ?s ?p ?o }} }}",
                          f"SELECT * WHERE {{ VALUES ?x {{ <{listener.url}> }} SERVICE ?x {{ ?s ?p ?o }} }}",
                          f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} "
                          f"FILTER EXISTS {{ SERVICE<{other.url}> {{ ?s ?p ?o }} }} }}",
                          # the parser cannot read it: not trusted with the network
                          f"SELECT * WHERE {{ ?s ?p ?o LATERAL {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }} }}",
                          f"SELECT * WHERE {{ SERVICE <{other.url}> {{ ?s ?p ?o }} }}"):
                before = listener.connections
                r = client.get("/sparql", params={"query": query})
                assert r.status_code == 403 and "Federated query is disabled" in r.text, query
                listener.settle()
                assert listener.connections == before, query
        assert other.connections == other_before
    finally:
        live.stop()
        other.close()


# ----------------------------------------------------------------------------- parse depth, crashes

DEEP_PARENS = "SELECT * WHERE { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
DEEP_BRACES = "SELECT * WHERE " + "{" * 20_000 + "}" * 20_000


@pytest.mark.parametrize("query", [DEEP_PARENS, DEEP_BRACES], ids=["10000 (", "20000 {"])
def test_a_deeply_nested_query_is_400_and_the_server_keeps_answering(http, query):
    r = http.post("/sparql", content=query.encode(), headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400 and "nest more than 256 deep" in r.text and len(r.text.strip().splitlines()) == 1
    r = http.post("/sparql", data={"query": query})
    assert r.status_code == 400
    ok = http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def test_nesting_up_to_the_bound_is_parsed_in_the_worker(http):
    """256 levels pass the size bound; the worker's parsers (both) have the stack for them."""
    query = "SELECT * WHERE " + "{" * 250 + " ?s ?p ?o " + "}" * 250 + " LIMIT 1"
    r = http.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200 and len(r.json()["results"]["bindings"]) == 1


def test_kg_query_of_a_deep_file_is_a_one_line_error(tmp_path, shipped_store):
    from conftest import run_kg

    deep = tmp_path / "deep.rq"
    deep.write_text(DEEP_BRACES)
    result = run_kg("query", str(deep), data_dir=shipped_store)
    assert result.returncode == 1, result
    assert result.stderr.strip().count("\n") == 0 and "nest more than 256 deep" in result.stderr


def _workers(server_pid: int) -> list[int]:
    """The query worker processes of a `kg serve` (its spawned multiprocessing children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:"))
        if ppid == server_pid and "multiprocessing" in cmdline and "resource_tracker" not in cmdline:
            found.append(int(entry.name))
    return found


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the worker")
@pytest.mark.parametrize("how", [signal.SIGSEGV, signal.SIGKILL], ids=["segfault", "killed"])
def test_a_worker_that_dies_mid_query_is_replaced(shipped_store, how):
    live = LiveServer(shipped_store, "--workers", "1", "--timeout", "20")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    try:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
            (worker,) = _workers(live.process.pid)
            answer: dict = {}
            thread = threading.Thread(target=lambda: answer.update(r=client.get("/sparql", params={"query": slow})))
            thread.start()
            start = _cpu_ticks(worker)
            for _ in range(600):  # until the worker is busy with the query (CPU time grows), at most ~60 s
                if _cpu_ticks(worker) - start > 10:
                    break
                time.sleep(0.1)
            os.kill(worker, how)
            thread.join(60)
            r = answer["r"]
            expected = 400 if how == signal.SIGSEGV else 503
            assert r.status_code == expected and len(r.text.strip().splitlines()) == 1, r.text
            assert ("crashed the query worker" if how == signal.SIGSEGV else "stopped while running") in r.text
            ok = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
            assert ok.status_code == 200 and ok.json()["boolean"] is True
            assert _workers(live.process.pid) != [worker]
            if how == signal.SIGSEGV:  # the same query is refused at once for a while instead of crashing another worker
                again = client.get("/sparql", params={"query": slow})
                assert again.status_code == 400 and "moments ago" in again.text
        assert live.process.poll() is None
    finally:
        live.stop()


def test_a_worker_killed_while_idle_is_replaced_without_an_error(shipped_store):
    live = LiveServer(shipped_store, "--workers", "1", "--timeout", "10")
    try:
        with httpx.Client(base_url=live.url, timeout=60) as client:
            (worker,) = _workers(live.process.pid)
            os.kill(worker, signal.SIGKILL)
            # until it has exited (a zombie, or reaped): while exiting its cmdline is already empty, so
            # _workers() no longer lists it although its end of the pipe may still be open
            while True:
                try:
                    if "zombie" in Path(f"/proc/{worker}/status").read_text():
                        break
                except FileNotFoundError:
                    break
                time.sleep(0.05)
            r = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"})
            assert r.status_code == 200 and r.json()["boolean"] is True, r.text
    finally:
        live.stop()


# ----------------------------------------------------------------------------- IRIs the store cannot hold

@pytest.mark.parametrize("path", ["/id/a%20b", "/id/a%22b", "/id/a%22b.ttl", "/id/a%3Cb%3E", "/resource?iri=a%20b"])
def test_a_path_that_is_no_iri_is_400(http, path):
    r = http.get(path)
    assert r.status_code == 400 and "not an IRI the store can hold" in r.text
    assert len(r.text.strip().splitlines()) == 1


def test_the_degraded_mode_refuses_what_the_parser_cannot_read():
    """Where a worker cannot be cut off from the network, every query is parsed first and an
    unreadable one is refused, SERVICE or not; an isolated worker leaves those to the engine."""
    from kg.server.executor import Task, federation_check

    lateral = "SELECT * WHERE { ?s ?p ?o LATERAL { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } } }"
    unreadable = "SELECT * WHERE { ?s ?p <<( ?a ?b ?c )>> }"
    plain = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    degraded = lambda q: federation_check(Task(q), (), isolated=False, network=False)  # noqa: E731
    isolated = lambda q: federation_check(Task(q), (), isolated=True, network=False)  # noqa: E731
    assert degraded(lateral)[0] == "refused" and degraded(unreadable)[0] == "refused"
    assert degraded(plain) is None and degraded('ASK { BIND("SERVICE" AS ?x) }') is None
    assert isolated(lateral) is None and isolated(unreadable) is None and isolated(plain) is None
    assert degraded("SELECT * { SERVICE <http://127.0.0.1:9/> {} }")[0] == "refused"
    allowed = ("http://127.0.0.1:9/",)
    assert federation_check(Task("SELECT * { SERVICE <http://127.0.0.1:9/> {} }"), allowed, True, False) == ("network", "")
    assert federation_check(Task("SELECT * { SERVICE <http://127.0.0.1:9/> {} }"), allowed, True, True) is None
    assert federation_check(Task("SELECT * { SERVICE <http://127.0.0.1:9/> {} } # SERVICE"), allowed, True, True)[0] == "refused"
    assert federation_check(Task(lateral), allowed, True, True)[0] == "refused"


LATERAL_BODY = "WHERE { ?s ?p ?o LATERAL { SELECT ?x WHERE { ?s ?q ?x } LIMIT 1 } }"  # rdflib cannot read LATERAL


@pytest.mark.parametrize("query,expected", [
    (f"SELECT ?s FROM <http://g/1> {LATERAL_BODY}", True),
    (f"select ?s from named <http://g/1> {LATERAL_BODY}", True),
    (f"PREFIX g: <http://g/>\nSELECT ?s FROM g:one {LATERAL_BODY}", True),
    (f"BASE <http://g/> SELECT * FROM <one> {LATERAL_BODY}", True),
    (f"CONSTRUCT {{ ?s ?p ?o }} FROM <http://g/1> {LATERAL_BODY}", True),
    (f"ASK FROM <http://g/1> {LATERAL_BODY[6:]}", True),
    (f"SELECT * \\u0046ROM <http://g/1> {LATERAL_BODY}", True),  # SPARQL escapes are processed first
    (f'SELECT ("FROM <http://g/1>" AS ?a) {LATERAL_BODY}', False),  # in a literal of the head
    (f"SELECT * # FROM <http://g/1>\n{LATERAL_BODY}", False),  # in a comment
    ('SELECT ?from WHERE { ?s ?p ?from FILTER(?from != "FROM <http://g/1>") '
     'LATERAL { SELECT ?x WHERE { ?s ?q ?x } LIMIT 1 } }', False),  # a variable, a literal in the body
    ("SELECT * FROM <http://g/1> WHERE { ?s ?p ?o }", True),  # rdflib reads the whole query
    ("DESCRIBE <http://a/> FROM <http://g/1>", True),
    ("SELECT * WHERE { ?s ?p ?o }", False),
])
def test_the_dataset_clause_is_read_by_a_parser_even_where_rdflib_cannot_read_the_query(query, expected):
    """Whether the query names its own dataset (the server then does not impose the union of all graphs)
    is decided by rdflib's grammar: of the whole query, or of its head when the body is beyond SPARQL 1.1."""
    from kg.server.executor import dataset_clause

    assert dataset_clause(query) is expected


def test_a_head_no_grammar_reads_is_refused_when_from_may_be_in_it():
    from kg.server.executor import QueryRefused, dataset_clause

    with pytest.raises(QueryRefused, match="default-graph-uri"):
        dataset_clause("SELECT (<<( ?s ?p ?o )>> AS ?t) FROM <http://g/1> WHERE { ?s ?p ?o }")
    assert dataset_clause("SELECT (<<( ?s ?p ?o )>> AS ?t) WHERE { ?s ?p ?o }") is False  # no FROM anywhere


def test_reading_the_head_leaves_rdflibs_grammar_as_it_was():
    """The head is built from rdflib's shared productions; it must not give them a second comment rule.
    Run in a fresh interpreter, where the head has not been built yet."""
    script = (
        "from rdflib.plugins.sparql import parser as g\n"
        "from kg.server.executor import dataset_clause\n"
        "parts = (g.SelectClause, g.DatasetClause, g.Prologue, g.ConstructTemplate)\n"
        "before = [len(e.ignoreExprs) for e in parts]\n"
        f"assert dataset_clause({('SELECT * FROM <http://g/1> ' + LATERAL_BODY)!r}) is True\n"
        "after = [len(e.ignoreExprs) for e in parts]\n"
        "assert before == after, (before, after)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr
