"""The SPARQL 1.1 Protocol endpoint (/sparql): query via GET and POST, results by Accept, read-only.

Follows https://www.w3.org/TR/sparql11-protocol/: `query` by GET or by POST as
application/x-www-form-urlencoded or application/sparql-query; `default-graph-uri` and
`named-graph-uri` set the dataset (without them, and without FROM in the query, the default graph
is the union of all graphs); updates are refused with 403; a malformed query gets 400 with the
parser's message; GET without a query returns the service description.
"""
from __future__ import annotations

from urllib.parse import parse_qs
import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from . import conneg
from .cache import Cached, request_key
from .results import EXTRA_PREFIXES, GRAPH_FORMATS, RESULT_FORMATS, results_json, serialize, tidy, used_prefixes  # noqa: F401
from ..queries import nesting_error
from .executor import (QueryCrashed, QueryFailed, QueryIsUpdate, QueryRefused, QueryTimeout, Result, ServerBusy,
                       Task, WorkerLost)

READ_ONLY = ("This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, ...) is refused. "
             "Change the source files under data/ and run `kg build` instead.")

MAX_BODY_BYTES = 1_000_000


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than `limit` bytes (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def offers_for(kind: str) -> list[str]:
    return list(GRAPH_FORMATS) if kind == "graph" else list(RESULT_FORMATS)


def result_headers(result: Result, max_rows: int) -> dict[str, str]:
    headers = {"X-KG-Rows": str(result.count), "X-KG-Query-Seconds": f"{result.seconds:.3f}", "X-KG-Lane": result.lane}
    if result.truncated:
        headers["X-KG-Truncated"] = "true"
        headers["X-KG-Notice"] = (f"result truncated to the first {max_rows} "
                                  f"{'triples' if result.kind == 'graph' else 'rows'} (server limit --max-rows)")
    return headers


def error(status: int, message: str, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(message.rstrip() + "\n", status_code=status, headers=headers)


async def run_task(request: Request, task: Task) -> Result | Response:
    """Run a query in the worker pool (never in this process); map time-outs, overload, refusals,
    crashes and engine errors to HTTP answers."""
    pool = request.app.state.kg.pool
    try:
        return await pool.run_async(task)
    except QueryTimeout:
        return error(503, f"Query timed out: it ran longer than the server's limit of {pool.timeout:g} s "
                          "(kg serve --timeout). Narrow it down (LIMIT, more specific patterns) and try again.",
                     **{"Retry-After": "1", "X-KG-Timeout": "true"})
    except ServerBusy as exc:
        return error(503, f"Server busy: {exc}", **{"Retry-After": "2"})
    except QueryRefused as exc:
        return error(403, str(exc))
    except QueryIsUpdate:  # decided in the worker by a parser, after the engine rejected it as a query
        return error(403, READ_ONLY)
    except QueryCrashed as exc:
        return error(400, f"Query refused: {exc}. Simplify the query (less nesting) and try again.")
    except WorkerLost as exc:
        return error(503, f"Query interrupted: {exc}.", **{"Retry-After": "1"})
    except QueryFailed as exc:
        if exc.syntax:
            return error(400, f"Malformed query: {exc}")
        return error(500, f"Query failed: {exc}")


# ----------------------------------------------------------------------------- the endpoint

async def endpoint(request: Request) -> Response:
    kg = request.app.state.kg
    params = request.query_params
    raw = b""
    queries = params.getlist("query")
    updates = params.getlist("update")
    formats = params.getlist("format")
    default_graphs = params.getlist("default-graph-uri")
    named_graphs = params.getlist("named-graph-uri")
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await read_body(request, kg.max_body)
        if raw is None:
            return error(413, f"Request body larger than {kg.max_body:,} bytes.")
        if ctype == "application/x-www-form-urlencoded":
            form = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
            queries += form.get("query", [])
            updates += form.get("update", [])
            formats += form.get("format", [])
            default_graphs += form.get("default-graph-uri", [])
            named_graphs += form.get("named-graph-uri", [])
        elif ctype == "application/sparql-query":
            queries.append(raw.decode("utf-8", errors="replace"))
        elif ctype == "application/sparql-update":
            return error(403, READ_ONLY)
        else:
            return error(415, "POST a query as application/x-www-form-urlencoded (query=...) or as "
                              f"application/sparql-query; got {ctype or 'no content type'}.")
    # The protocol's operations take exactly one query string (or one update): say so rather than pick one.
    for name, values in (("query", queries), ("update", updates)):
        if len(values) > 1:
            return error(400, f"The `{name}` parameter is given {len(values)} times (URL, form body and "
                              "application/sparql-query body together); the SPARQL protocol allows exactly one.")
    if queries and updates:
        return error(400, "Both `query` and `update` are given; a SPARQL protocol request carries one operation.")
    if updates:
        return error(403, READ_ONLY)
    query = queries[0] if queries else None
    if query is None:
        if request.method == "POST":
            return error(400, "Missing the `query` parameter.")
        return service_description(request)
    if not query.strip():
        return error(400, "The `query` parameter is empty.")
    # A size bound before any parser sees the text (parsing itself happens only in a worker process).
    message = nesting_error(query)
    if message is not None:
        return error(400, f"Query refused: {message}.")
    base_iri = endpoint_url(request)  # relative IRIs in the query resolve against the endpoint's URL
    # Check the requested format is one we can produce for some query form before running it; the
    # worker renders the answer in the format negotiated for its kind.
    media_for = {kind: conneg.negotiate(request, offers_for(kind), formats) for kind in ("solutions", "graph")}
    if media_for["solutions"] is None and media_for["graph"] is None:
        return not_acceptable(request, offers_for("solutions") + offers_for("graph"))
    # Repeats of this exact request are answered from the cache (kg/server/cache.py) while the store stays.
    key = request_key(kg.store_path, request.method, request.scope["query_string"],
                      request.headers.get("content-type", ""), raw, request.headers.get("accept", ""),
                      request.headers.get("host", "")) if kg.cache.enabled else None
    union = not default_graphs and not named_graphs  # the worker then honours a FROM in the query (executor.dataset_clause)
    task = Task(query, default_graphs or None, named_graphs or None, union=union, use_prefixes=True,
                max_rows=kg.max_rows, timeout=kg.timeout, base_iri=base_iri, media=media_for)
    result = await run_task(request, task)
    if isinstance(result, Response):
        return result
    media = media_for["graph" if result.kind == "graph" else "solutions"]
    if media is None:
        return not_acceptable(request, offers_for(result.kind))
    body = result.body if result.body is not None and result.media == media else serialize(result, media)
    headers = {**result_headers(result, kg.max_rows), "Vary": "Accept"}
    response = Response(body, media_type=media, headers={**headers, "X-KG-Cache": "miss"})
    if key is not None:
        kg.cache.put(key, Cached(response.headers["content-type"], body, tuple(headers.items())))
    return response


_ENDPOINT_URLS: dict[tuple, str] = {}


def endpoint_url(request: Request) -> str:
    """The endpoint's own URL as the request reached it (`url_for`, remembered per scheme, host and root
    path; at most 64 kept, since the Host header is the client's)."""
    scope = request.scope
    key = (scope.get("scheme"), scope.get("server"), scope.get("root_path", ""), request.headers.get("host"))
    url = _ENDPOINT_URLS.get(key)
    if url is None:
        url = str(request.url_for("sparql"))
        if len(_ENDPOINT_URLS) >= 64:
            _ENDPOINT_URLS.clear()
        _ENDPOINT_URLS[key] = url
    return url


def not_acceptable(request: Request, offers: list[str]) -> Response:
    return error(406, f"Cannot produce any of Accept: {request.headers.get('accept')}; available: {', '.join(offers)} "
                      "(or name one with ?format=)")


# ----------------------------------------------------------------------------- service description

def service_description(request: Request) -> Response:
    offers = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml", "text/html"]
    media = conneg.negotiate(request, offers)
    if media == "text/html":
        return RedirectResponse(request.url_for("editor"), status_code=303)
    if media is None:
        return not_acceptable(request, offers)
    triples = tidy(description_triples(request))
    prefixes = used_prefixes(triples, {"sd": SD, "void": VOID, "formats": "http://www.w3.org/ns/formats/"})
    body = ox.serialize(triples, format=GRAPH_FORMATS[media], prefixes=prefixes if media == "text/turtle" else None)
    return Response(body, media_type=media, headers={"Vary": "Accept"})


SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def description_triples(request: Request) -> list[ox.Triple]:
    kg = request.app.state.kg
    endpoint_iri = ox.NamedNode(str(request.url_for("sparql")))
    sd = lambda local: ox.NamedNode(SD + local)  # noqa: E731
    service = ox.NamedNode(str(request.url_for("sparql")) + "#service")
    dataset = ox.BlankNode("dataset")
    default = ox.BlankNode("default")
    t: list[ox.Triple] = [
        ox.Triple(service, RDF_TYPE, sd("Service")),
        ox.Triple(service, sd("endpoint"), endpoint_iri),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, ox.NamedNode("http://purl.org/dc/terms/title"),
                  ox.Literal("NSO strategic partnerships knowledge graph: SPARQL endpoint (read-only)", language="en")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, sd("Graph")),
        ox.Triple(dataset, ox.NamedNode(VOID + "sparqlEndpoint"), endpoint_iri),
    ]
    for fmt in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        t.append(ox.Triple(service, sd("resultFormat"), ox.NamedNode("http://www.w3.org/ns/formats/" + fmt)))
    store = kg.store()
    for g in sorted(store.named_graphs(), key=lambda g: g.value):
        n = sum(1 for _ in store.quads_for_pattern(None, None, None, g))
        node = ox.BlankNode()
        graph = ox.BlankNode()
        t += [ox.Triple(dataset, sd("namedGraph"), node), ox.Triple(node, RDF_TYPE, sd("NamedGraph")),
              ox.Triple(node, sd("name"), g), ox.Triple(node, sd("graph"), graph),
              ox.Triple(graph, RDF_TYPE, sd("Graph")),
              ox.Triple(graph, ox.NamedNode(VOID + "triples"), _int(n))]
    t += [ox.Triple(default, ox.NamedNode(VOID + "triples"), _int(union_size(kg.store_path, store))),
          ox.Triple(default, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"), ox.Literal(
              "The default graph is the union (RDF merge) of all named graphs: its void:triples counts their distinct "
              "triples; a triple held by several named graphs is counted once here and once in each of them.",
              language="en"))]
    return t


_UNION_SIZES: dict[object, int] = {}


def union_size(key: object, store: ox.Store) -> int:
    """Distinct triples over all named graphs of a store, computed once per store (`key`: its path)."""
    if key not in _UNION_SIZES:
        query = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
        _UNION_SIZES.clear()  # only the current store's is wanted
        _UNION_SIZES[key] = int(next(iter(store.query(query)))["n"].value)
    return _UNION_SIZES[key]


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
