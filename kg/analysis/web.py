"""Pages of the analysis for the server (kg/server/app.py mounts them): /reports/gap-analysis,
/network (SVG force layout computed in Python, no JavaScript), /network.json (node-link JSON),
/audit, /audit.json (the evidence audit), /elements, /elements.json (laws compared element by element)
and /country/ISO3, /country/ISO3.json (jurisdiction profiles).
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


# ----------------------------------------------------------------------------- elements and jurisdiction profiles

def cached_element_table(request: Request):
    """The whole comparative table, made once per store; pages cut it by element and jurisdiction."""
    from .links import element_table

    kg = request.app.state.kg
    return _cached(request, "element-table", lambda: element_table(kg.store(), kg.root))


def _element_filters(request: Request, table) -> tuple[str | None, str | None, str | None]:
    """(element IRI, country IRI, error) from ?element=NAME&country=ISO3; empty values mean every one."""
    from .links import COUNTRY, ELEM

    name = request.query_params.get("element", "").strip()
    code = request.query_params.get("country", "").strip().upper()
    element = ELEM + name if name else None
    country = COUNTRY + code if code else None
    if element and element not in {e["element"] for e in table.elements}:
        return None, None, f"No element {name!r}: choose one of the list."
    if country and country not in table.jurisdictions:
        return None, None, f"No article of {code!r} is tagged with an element (or no such jurisdiction)."
    return element, country, None


def elements_page(request: Request) -> Response:
    """/elements: jurisdiction x element, each cell the tagged articles with their evidence level; GET filters."""
    from ..server.pages import render
    from .links import LEVEL_RULE, iso3

    full = cached_element_table(request)
    element, country, error = _element_filters(request, full)
    table = full.subset(element, country)
    response = render(request, "elements.html", table=table, full=full, error=error, level_rule=LEVEL_RULE,
                      iso3=iso3, detailed=bool(element or country),
                      selected_element=request.query_params.get("element", ""),
                      selected_country=request.query_params.get("country", "").upper(),
                      json_href="/elements.json" + (f"?{request.url.query}" if request.url.query else ""))
    if error:
        response.status_code = 400
    return response


def elements_json(request: Request) -> Response:
    full = cached_element_table(request)
    element, country, error = _element_filters(request, full)
    if error:
        return JSONResponse({"error": error}, status_code=400)
    return JSONResponse(full.subset(element, country).as_json())


def country_page(request: Request) -> Response:
    """/country/ISO3 (and /country/ISO3.json): the jurisdiction profile (kg profile)."""
    from starlette.exceptions import HTTPException

    from ..server.pages import render
    from .compare import UnknownCountry
    from .profile import amending_label, collect

    kg = request.app.state.kg
    code = request.path_params["code"]
    as_json = code.endswith(".json")
    code = code.removesuffix(".json")
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise HTTPException(404, f"No jurisdiction {code!r}: give an ISO3 code such as /country/FRA")
    try:
        profile = collect(kg.store(), code.upper(), kg.root)
    except UnknownCountry as exc:
        raise HTTPException(404, str(exc)) from None
    if as_json:
        return JSONResponse(profile.as_json())
    return render(request, "country.html", p=profile, amending_label=amending_label, title=f"{profile.label} ({profile.iso3})")
