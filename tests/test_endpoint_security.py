"""The public endpoint: no federated calls unless allowed, bounded bodies, no leaks, no write API.
Each test runs against a real `kg serve` process."""
from __future__ import annotations

import socket
import threading
import time

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


def test_service_is_refused_and_no_connection_is_made(http, listener):
    before = listener.connections
    for query in (f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}",
                  f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}",
                  f"select * where {{ BIND(<{listener.url}> AS ?e) service ?e {{ ?s ?p ?o }} }}"):
        r = http.get("/sparql", params={"query": query})
        assert r.status_code == 403, query
        assert "Federated query is disabled" in r.text
    time.sleep(0.5)
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
