"""Pages of the analysis for the server (kg/server/app.py mounts them): /reports/gap-analysis,
/network (SVG force layout computed in Python, no JavaScript), /network.json (node-link JSON) and
/audit, /audit.json (the evidence audit).
Rendered once per store: a rebuild (new store directory) renders them again."""
from __future__ import annotations

import threading
from typing import Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

_cache: dict[tuple[str, str], object] = {}
_lock = threading.RLock()  # the network page is made from the cached network


def _local_href(base: str) -> Callable[[str], str]:
    """Minted IRIs are served at the same path on this site; others through /resource?iri=."""
    def href(iri: str) -> str:
        return "/" + iri[len(base):] if iri.startswith(base) else "/resource?iri=" + quote(iri, safe="")
    return href


def _cached(request: Request, kind: str, make: Callable[[], object]) -> object:
    kg = request.app.state.kg
    key = (str(kg.store_path), kind)
    with _lock:
        if key not in _cache:
            for old in [k for k in _cache if k[1] == kind]:
                del _cache[old]
            _cache[key] = make()
        return _cache[key]


def gap_report(request: Request) -> Response:
    from .gap import render_gap_report

    kg = request.app.state.kg
    page = _cached(request, "gap", lambda: render_gap_report(kg.store(), kg.root, "/queries/", _local_href(kg.base)))
    return HTMLResponse(page)


def _network(request: Request):
    from . import network as N

    kg = request.app.state.kg
    return _cached(request, "network", lambda: N.read(kg.store(), kg.root))


def network_page(request: Request) -> Response:
    from .network import render_network_page

    kg = request.app.state.kg
    page = _cached(request, "network-page",
                   lambda: render_network_page(_network(request), _local_href(kg.base), "/network.json"))
    return HTMLResponse(page)


def network_json(request: Request) -> Response:
    from .network import node_link

    return JSONResponse(node_link(_network(request)))


def _audit(request: Request):
    from .audit import collect

    kg = request.app.state.kg
    return _cached(request, "audit", lambda: collect(kg.store()))


def audit_page(request: Request) -> Response:
    from ..server.pages import render
    from .audit import LEVELS

    a = _audit(request)
    return render(request, "audit.html", audit=a, levels=LEVELS, share=a.position_share(),
                  totals=[(k, a.totals[k]) for k in ("position", "effect", "change", "mapping") if k in a.totals],
                  jurisdictions=sorted(a.by_jurisdiction.items()), cases=sorted(a.by_case.items()))


def audit_json(request: Request) -> Response:
    return JSONResponse(_audit(request).as_json())
