"""Remote stores: push every named graph with the SPARQL 1.1 Graph Store Protocol, and run the
canned queries on a remote SPARQL endpoint (SPARQLWrapper) with parameters bound safely.

Push: one HTTP PUT per graph (PUT replaces the graph, so pushing again gives the same remote
state), N-Triples bodies. A graph larger than `batch` triples is sent as a PUT of the first batch
followed by POSTs (GSP "merge") of the rest; triples with blank nodes all go in the first batch,
because each request has its own blank-node scope.

Query: parameters are validated and turned into RDF terms exactly as for the local store
(kg.queries.to_term), serialised by pyoxigraph (which escapes them) and bound with a VALUES
block at the start of the WHERE clause. User text is never pasted into the query.
"""
from __future__ import annotations

import base64
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pyoxigraph as ox

from .queries import CannedQuery, QueryError, bindings

DEFAULT_BATCH = 200_000
NTRIPLES = "application/n-triples"
Progress = Callable[[str, int, int], None]  # (graph, triples sent so far, total triples)


class RemoteError(Exception):
    """The remote endpoint refused a request or could not be reached."""


@dataclass(frozen=True)
class Auth:
    """HTTP credentials: basic or digest (user + password), or a bearer token."""
    user: str | None = None
    password: str | None = None
    scheme: str = "basic"  # basic | digest
    token: str | None = None


@dataclass
class PushSummary:
    graphs: dict[str, int] = field(default_factory=dict)  # graph IRI (or "" for the default graph) -> triples
    requests: int = 0

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def graph_store_url(endpoint: str, graph_store: str | None = None) -> str:
    """The Graph Store Protocol URL: given, or Oxigraph's layout (…/query or …/sparql -> …/store)."""
    if graph_store:
        return graph_store
    parts = urllib.parse.urlsplit(endpoint)
    path = re.sub(r"/(query|sparql)/?$", "/store", parts.path)
    if path == parts.path:
        raise RemoteError(f"cannot derive the Graph Store Protocol URL from {endpoint}: pass --graph-store "
                          "(Fuseki: …/DATASET/data, GraphDB: …/repositories/REPO/rdf-graphs/service, "
                          "Virtuoso: …/sparql-graph-crud-auth)")
    return urllib.parse.urlunsplit(parts._replace(path=path))


def _opener(url: str, auth: Auth | None) -> urllib.request.OpenerDirector:
    handlers: list = []
    if auth and auth.user and auth.scheme == "digest":
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, auth.user, auth.password or "")
        handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
    return urllib.request.build_opener(*handlers)


def _headers(auth: Auth | None) -> dict[str, str]:
    if auth is None:
        return {}
    if auth.token:
        return {"Authorization": f"Bearer {auth.token}"}
    if auth.user and auth.scheme == "basic":
        raw = f"{auth.user}:{auth.password or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    return {}


def _request(method: str, url: str, body: bytes | None, content_type: str | None, auth: Auth | None,
             timeout: float, accept: str | None = None) -> bytes:
    headers = _headers(auth)
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _opener(url, auth).open(req, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:500]
        raise RemoteError(f"{method} {url}: HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")) from None
    except (urllib.error.URLError, OSError) as exc:
        raise RemoteError(f"{method} {url}: {getattr(exc, 'reason', exc)}") from None


def _graph_url(graph_store: str, graph: ox.NamedNode | ox.DefaultGraph) -> str:
    sep = "&" if "?" in graph_store else "?"
    if isinstance(graph, ox.DefaultGraph):
        return f"{graph_store}{sep}default"
    return f"{graph_store}{sep}graph={urllib.parse.quote(graph.value, safe='')}"


def _batches(triples: list[ox.Triple], size: int) -> Iterable[list[ox.Triple]]:
    """Blank-node triples first and together (one request = one blank-node scope), then the rest."""
    blank = [t for t in triples if isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)]
    plain = [t for t in triples if not (isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode))]
    first = blank + plain[: max(0, size - len(blank))]
    yield first
    rest = plain[len(first) - len(blank):]
    for i in range(0, len(rest), size):
        yield rest[i:i + size]


def push(store: ox.Store, graph_store: str, auth: Auth | None = None, batch: int = DEFAULT_BATCH,
         progress: Progress | None = None, timeout: float = 600, graphs: Iterable[str] | None = None) -> PushSummary:
    """Upload every named graph (and the default graph if it holds anything) to a GSP endpoint."""
    targets: list[ox.NamedNode | ox.DefaultGraph] = sorted(store.named_graphs(), key=lambda g: g.value)
    if graphs is not None:
        wanted = set(graphs)
        targets = [g for g in targets if g.value in wanted]
    if next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None) is not None:
        targets.append(ox.DefaultGraph())
    sizes = {g: sum(1 for _ in store.quads_for_pattern(None, None, None, g)) for g in targets}
    total, done = sum(sizes.values()), 0
    summary = PushSummary()
    for g in targets:
        triples = [ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, g)]
        url = _graph_url(graph_store, g)
        for i, chunk in enumerate(_batches(triples, batch)):
            body = ox.serialize(chunk, format=ox.RdfFormat.N_TRIPLES)
            _request("PUT" if i == 0 else "POST", url, body, NTRIPLES, auth, timeout)
            summary.requests += 1
            done += len(chunk)
            if progress:
                progress(getattr(g, "value", "default graph"), done, total)
        summary.graphs[getattr(g, "value", "")] = len(triples)
    return summary


def remote_graph_counts(endpoint: str, auth: Auth | None = None, timeout: float = 600) -> dict[str, int]:
    """Triples per named graph on the endpoint (to check a push)."""
    result = _select(endpoint, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", auth, timeout)
    return {row["g"].value: int(row["n"].value) for row in result}


def with_values(text: str, subs: dict[ox.Variable, Any]) -> str:
    """The query with each parameter bound by a VALUES block at the start of its WHERE group
    (or a trailing VALUES clause when the query has no WHERE keyword). Terms are pyoxigraph terms,
    so their text is pyoxigraph's N-Triples serialisation: validated IRIs, escaped literals."""
    if not subs:
        return text
    for var, term in subs.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var.value) or not isinstance(term, (ox.NamedNode, ox.Literal)):
            raise QueryError(f"cannot bind parameter {var.value!r}")
    block = " ".join(f"VALUES ?{var.value} {{ {term} }}" for var, term in subs.items())
    masked = re.sub(r"(?m)^\s*#.*$", lambda m: " " * len(m.group()), text)  # comment lines may say "where {"
    m = re.search(r"\bWHERE\s*\{", masked, re.IGNORECASE)
    if m:
        return text[: m.end()] + " " + block + " " + text[m.end():]
    names = " ".join(f"?{v.value}" for v in subs)
    terms = " ".join(str(t) for t in subs.values())
    return f"{text.rstrip()}\nVALUES ({names}) {{ ({terms}) }}\n"


def _sparql(endpoint: str, query: str, auth: Auth | None, timeout: float, default_graphs: Iterable[str] = ()):
    from SPARQLWrapper import BASIC, DIGEST, JSON, POST, SPARQLWrapper

    sw = SPARQLWrapper(endpoint)
    # comment lines out: SPARQLWrapper guesses query or update from the first keyword it finds,
    # and the header comments of canned queries hold words such as "add" or "load"
    sw.setQuery(re.sub(r"(?m)^\s*#.*\n?", "", query))
    sw.setMethod(POST)
    sw.setReturnFormat(JSON)
    sw.setTimeout(int(timeout))
    for g in default_graphs:
        sw.addDefaultGraph(g)
    if auth and auth.token:
        sw.addCustomHttpHeader("Authorization", f"Bearer {auth.token}")
    elif auth and auth.user:
        sw.setHTTPAuth(DIGEST if auth.scheme == "digest" else BASIC)
        sw.setCredentials(auth.user, auth.password or "")
    try:
        return sw.query().response.read()
    except Exception as exc:  # SPARQLWrapper raises urllib errors and its own exceptions
        raise RemoteError(f"{endpoint}: {exc}") from None


def _select(endpoint: str, query: str, auth: Auth | None, timeout: float, default_graphs: Iterable[str] = ()):
    data = _sparql(endpoint, query, auth, timeout, default_graphs)
    try:
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    except SyntaxError as exc:
        raise RemoteError(f"{endpoint}: not SPARQL JSON results: {exc}") from None


def remote_graphs(endpoint: str, auth: Auth | None = None, timeout: float = 600) -> list[str]:
    """IRIs of the endpoint's named graphs."""
    return sorted(row["g"].value for row in _select(endpoint, "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", auth, timeout))


def run_remote(endpoint: str, query: CannedQuery | str, params: dict[str, str] | None = None,
               auth: Auth | None = None, all_graphs: bool = False, timeout: float = 600):
    """Run a canned query (or SPARQL text) on a remote endpoint; returns pyoxigraph query results.

    The local store answers over the union of its graphs. A remote store does the same if its
    default graph is that union (Oxigraph `serve --union-default-graph`, Fuseki `unionDefaultGraph`,
    GraphDB and Virtuoso by default); otherwise `all_graphs` names every graph of the endpoint as
    a default graph of the query (SPARQL protocol `default-graph-uri`)."""
    from . import PREFIXES

    if isinstance(query, CannedQuery):
        text = with_values(query.text, bindings(query, params or {}))
    else:
        text = query
    # the local engine is given the project prefixes; declare those the query text does not
    declared = {m.lower() for m in re.findall(r"(?im)^\s*PREFIX\s+([A-Za-z][\w.-]*)?:", text)}
    prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items() if p.lower() not in declared)
    text = prologue + text
    graphs = remote_graphs(endpoint, auth, timeout) if all_graphs else []
    data = _sparql(endpoint, text, auth, timeout, graphs)
    try:
        return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    except SyntaxError as exc:
        raise RemoteError(f"{endpoint}: not SPARQL JSON results: {exc}") from None
