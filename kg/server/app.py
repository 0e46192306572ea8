"""The Starlette application: state (store, query pool, settings), middleware and routes."""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import BASE, project_root
from ..store import CURRENT, StoreMissing, current_path
from ..analysis import web as analysis_web
from . import pages, sparql
from .cache import CachedAnswers, ResponseCache
from .data import Data, NotAnIRI
from .executor import QueryCrashed, QueryPool, QueryRefused, QueryTimeout, ServerBusy, WorkerLost, default_workers

HERE = Path(__file__).resolve().parent
log = logging.getLogger("kg.serve")


@dataclass
class KGState:
    """What every handler needs: the store (reopened after a rebuild), the query pool and the limits."""
    data_dir: Path
    base: str = BASE
    timeout: float = 30.0
    max_rows: int = 10_000
    workers: int = 2
    allow_service: tuple[str, ...] = ()  # SERVICE endpoints a query may call; none by default
    max_body: int = 1_000_000  # bytes of a POST body
    root: Path = field(default_factory=project_root)
    pool: QueryPool | None = None
    cache: ResponseCache = field(default_factory=ResponseCache)
    _store: ox.Store | None = None
    _path: Path | None = None
    _data: Data | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _link: str | None = None  # the `current` link's target when _path was set

    def _refresh(self) -> None:
        try:  # one readlink per request (Path.resolve costs a stat per path component); no Path built when unchanged
            link = os.readlink(os.path.join(self.data_dir, CURRENT))
            if link == self._link and self._path is not None:
                return
            path = Path(os.path.abspath(self.data_dir / link))
        except OSError:  # no store yet, or not a link: the store module's own checks and message
            link, path = None, current_path(self.data_dir)
        if path == self._path:
            return
        with self._lock:
            if path != self._path:
                self._store = ox.Store.read_only(str(path))
                self._path, self._data = path, Data(self._store)
        self._link = link

    def store(self) -> ox.Store:
        self._refresh()
        return self._store  # type: ignore[return-value]

    def data(self) -> Data:
        self._refresh()
        return self._data  # type: ignore[return-value]

    @property
    def store_path(self) -> Path:
        self._refresh()
        return self._path  # type: ignore[return-value]


class AccessLog:
    """One log line per request: client, method, path, status, bytes, milliseconds."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status, size = 500, 0

        async def wrapped(message):
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        finally:
            path = scope.get("path", "")
            if scope.get("query_string"):
                qs = scope["query_string"].decode("latin-1")
                path += "?" + (qs if len(qs) <= 200 else qs[:200] + "...")
            client = scope.get("client") or ("-", 0)
            log.info('%s "%s %s" %d %dB %.1fms', client[0], scope.get("method"), path, status, size,
                     (time.perf_counter() - started) * 1000)


def not_an_iri(request, exc: NotAnIRI) -> PlainTextResponse:
    """A path or parameter with a space, a quote or another character no IRI may hold: the client's error."""
    return PlainTextResponse(f"Bad request: {exc}.\n", status_code=400)


def pool_unavailable(request, exc: Exception) -> PlainTextResponse:
    """A page whose query went through the worker pool (a canned query page) ran out of time or found no free worker."""
    return PlainTextResponse("Service unavailable: the look-up ran past the server's time limit or every query "
                             "worker was busy; try again.\n", status_code=503, headers={"Retry-After": "2"})


def query_refused(request, exc: Exception) -> PlainTextResponse:
    """A page's query that a worker refused (SERVICE) or that crashed its worker: one line, never a 500."""
    status = 403 if isinstance(exc, QueryRefused) else 400
    return PlainTextResponse(f"Query refused: {exc}\n", status_code=status)


def create_app(data_dir: Path, base: str = BASE, timeout: float = 30.0, max_rows: int = 10_000,
               workers: int | None = None, allow_service: tuple[str, ...] = (), cache_mb: int = 32) -> Starlette:
    state = KGState(Path(data_dir), base if base.endswith(("/", "#")) else base + "/", timeout, max_rows,
                    workers or default_workers(), tuple(allow_service),
                    cache=ResponseCache(max_bytes=cache_mb * 1024 * 1024))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        state.pool = QueryPool(state.data_dir, state.workers, timeout, max_rows, state.allow_service)
        try:
            yield
        finally:
            state.pool.close()
            shutil.rmtree(pages.DUMP_DIR, ignore_errors=True)

    routes = [
        Route("/sparql", sparql.endpoint, methods=["GET", "POST"], name="sparql"),
        Route("/", pages.home, name="home"),
        Route("/editor", pages.editor, name="editor"),
        Route("/queries", pages.query_index, name="queries"),
        Route("/queries/{name}", pages.query_page, name="query"),
        Route("/search", pages.search, name="search"),
        Route("/dataset", pages.dataset, name="dataset"),
        Route("/.well-known/void", pages.dataset, name="void"),
        Route("/dumps/{file}", pages.dump, name="dump"),
        Route("/ontology", pages.ontology, name="ontology"),
        Route("/shapes", pages.shapes, name="shapes"),
        Route("/resource", pages.external, name="external"),
        Route("/neighbourhood", pages.neighbourhood, name="neighbourhood"),
        # analysis pages (kg/analysis/web.py): gap-analysis report, partnership network, evidence audit,
        # laws compared by element, jurisdiction profiles
        Route("/reports/gap-analysis", analysis_web.gap_report, name="gap-analysis"),
        Route("/network", analysis_web.network_page, name="network"),
        Route("/network.json", analysis_web.network_json, name="network-json"),
        Route("/audit", analysis_web.audit_page, name="audit"),
        Route("/audit.json", analysis_web.audit_json, name="audit-json"),
        Route("/elements", analysis_web.elements_page, name="elements"),
        Route("/elements.json", analysis_web.elements_json, name="elements-json"),
        Route("/country/{code}", analysis_web.country_page, name="country"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        Route("/{path:path}", pages.resource, name="resource"),
    ]
    exposed = ["X-KG-Truncated", "X-KG-Cache", "X-KG-Lane", "X-KG-Notice", "X-KG-Rows", "X-KG-Query-Seconds", "Content-Type", "Link"]
    middleware = [
        Middleware(AccessLog),
        Middleware(CachedAnswers, expose=", ".join(exposed)),  # repeated /sparql requests: no routing, no worker
        Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
                   allow_headers=["*"], expose_headers=exposed, max_age=86400),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: pages.not_found, 500: pages.server_error, StoreMissing: pages.no_store,
                                        NotAnIRI: not_an_iri, QueryTimeout: pool_unavailable, ServerBusy: pool_unavailable,
                                        WorkerLost: pool_unavailable, QueryCrashed: query_refused, QueryRefused: query_refused})
    app.state.kg = state
    return app
