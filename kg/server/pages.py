"""HTML pages and content negotiation for resources: dereferenceable IRIs, canned-query pages,
search, the dataset (VoID/DCAT) description, dumps, ontology and shapes documentation.

A minted IRI https://w3id.org/nso-partnership/PATH is served at /PATH (the canonical base maps to
the server's root). Its HTML page is for people; by Accept or by a suffix (.ttl, .jsonld, .nt,
.rdf) the same URL gives its description: the resource's triples plus those of its sub-nodes.
"""
from __future__ import annotations

import dataclasses
import html
import json
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from markupsafe import Markup
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from .. import BASE, NSP, PREFIXES, __version__, answers
from .. import queries as canned_queries
from ..csvsafe import neutralise_json_term
from ..export import DERIVED_GRAPHS, export as run_export
from ..queries import compact_iri
from . import conneg, sparql
from .data import Data, Node, bind, expand, kind_of, natural_key
from .executor import QueryFailed, QueryTimeout, Result, ServerBusy, Task, term_json

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(version=__version__, PREFIXES=PREFIXES)
templates.env.tests["iri"] = lambda term: isinstance(term, ox.NamedNode)
RDF_OFFERS = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
PAGE_OFFERS = ["text/html", *RDF_OFFERS]
SUFFIX_OF = {"text/turtle": "ttl", "application/ld+json": "jsonld", "application/n-triples": "nt",
             "application/rdf+xml": "rdf"}
DATA_LINKS = [("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"), ("RDF/XML", "rdf")]
KIND_TITLES = {"case": "Partnership cases", "organisation": "Organisations", "law": "Laws", "article": "Articles",
               "concept": "Concepts", "scheme": "Concept schemes", "class": "Classes", "property": "Properties",
               "ontology": "Ontologies", "other": "Other resources"}


# ----------------------------------------------------------------------------- view helpers

class View:
    """Per-request helpers for templates: links with labels, local addresses for IRIs."""

    def __init__(self, request: Request):
        self.request = request
        self.kg = request.app.state.kg
        self.d: Data = self.kg.data()
        self.root = request.scope.get("root_path", "").rstrip("/")

    def url(self, path: str) -> str:
        return self.root + path

    def href(self, iri: str) -> str:
        base = self.kg.base
        if iri.startswith(base):
            return self.root + "/" + iri[len(base):]
        if self.d.described(iri):
            return self.root + "/resource?" + urlencode({"iri": iri})
        return iri

    def data_href(self, iri: str, suffix: str) -> str:
        if iri.startswith(self.kg.base):
            path = iri[len(self.kg.base):].split("#")[0]
            return self.root + "/" + path + "." + suffix
        return self.root + "/resource?" + urlencode({"iri": iri, "format": suffix})

    def label(self, term: Any) -> str:
        return self.d.label(term)

    def node(self, term: Any) -> Node:
        return self.d.node(term if not isinstance(term, ox.NamedNode) else term.value)

    def link(self, term: Any, text: str | None = None) -> Markup:
        """An <a> for an IRI (label as text, IRI as title), text for a literal."""
        if term is None:
            return Markup("")
        if isinstance(term, dict):  # SPARQL JSON term
            term = _from_json(term)
        if isinstance(term, ox.Literal):
            lang = f' <span class="lang">@{html.escape(term.language)}</span>' if term.language else ""
            value = html.escape(term.value)
            if term.value.startswith(("http://", "https://")) and " " not in term.value:
                return Markup(f'<a class="ext" href="{value}">{value}</a>')
            return Markup(f"{value}{lang}")
        if isinstance(term, ox.BlankNode):
            return Markup('<span class="bnode">[ ]</span>')
        if isinstance(term, ox.Triple):
            return Markup("&lt;&lt; ") + self.link(term.subject) + " " + self.link(term.predicate) + " " + self.link(term.object) + Markup(" &gt;&gt;")
        iri = term.value if isinstance(term, ox.NamedNode) else str(term)
        href = self.href(iri)
        cls = ' class="ext"' if href == iri and not iri.startswith(self.kg.base) else ""
        return Markup(f'<a href="{html.escape(href)}" title="{html.escape(iri)}"{cls}>'
                      f'{html.escape(text or self.d.label(ox.NamedNode(iri)))}</a>')

    def links(self, terms: list[Any], sep: str = ", ") -> Markup:
        return Markup(html.escape(sep)).join(self.link(t) for t in terms)

    def curie(self, iri: str) -> str:
        return compact_iri(iri)

    def prop_label(self, iri: str) -> str:
        found = self.d.label_or_none(iri)
        return found if found else compact_iri(iri)


def _from_json(t: dict) -> Any:
    from .executor import json_term
    return json_term(t) if t.get("type") != "triple" else ox.Literal(json.dumps(t["value"]))


def render(request: Request, name: str, **context: Any) -> Response:
    v = context.pop("v", None) or View(request)
    return templates.TemplateResponse(request, name, {"v": v, "request": request, **context},
                                      headers={"Vary": "Accept"})


def rdf_response(triples: list[ox.Triple], media: str, content_location: str | None = None,
                 first: str | None = None) -> Response:
    triples = sparql.tidy(triples, first)
    body = ox.serialize(triples, format=sparql.GRAPH_FORMATS[media],
                        prefixes=sparql.used_prefixes(triples) if media == "text/turtle" else None) or b""
    headers = {"Vary": "Accept"}
    if content_location:
        headers["Content-Location"] = content_location
    return Response(body, media_type=media, headers=headers)


def not_acceptable(request: Request, offers: list[str]) -> Response:
    return PlainTextResponse(f"Not acceptable: available representations are {', '.join(offers)}\n", status_code=406)


# ----------------------------------------------------------------------------- resources

def resource(request: Request) -> Response:
    """A minted IRI: its HTML page, or its description by Accept or suffix."""
    kg = request.app.state.kg
    d: Data = kg.data()
    path = request.path_params["path"]
    forced = None
    if not d.exists(kg.base + path):
        stripped, forced = conneg.split_suffix(path)
        if forced:
            path = stripped
    if path in ("ontology", "dataset", "shapes"):
        return {"ontology": ontology, "dataset": dataset, "shapes": shapes}[path](request, forced)
    iri = kg.base + path
    return describe(request, iri, forced)


def external(request: Request) -> Response:
    """A non-minted IRI the store describes (countries, reused terms): /resource?iri=..."""
    iri = request.query_params.get("iri", "")
    if not iri:
        raise HTTPException(400, "give ?iri=")
    if iri.startswith(request.app.state.kg.base):
        return RedirectResponse(View(request).href(iri), status_code=303)
    return describe(request, iri, None)


def describe(request: Request, iri: str, forced: str | None) -> Response:
    d: Data = request.app.state.kg.data()
    if not d.exists(iri) and not d.incoming(iri, limit=1):
        raise HTTPException(404, f"Nothing is known about {iri}")
    media = forced or conneg.negotiate(request, PAGE_OFFERS)
    if media is None:
        return not_acceptable(request, PAGE_OFFERS)
    if media != "text/html":
        return rdf_response(d.description(iri), media, first=iri)
    v = View(request)
    types = d.types(iri)
    kind = kind_of(set(types), iri)
    n = d.node(iri)
    context: dict[str, Any] = {"iri": iri, "n": n, "kind": kind, "types": types, "title": v.label(ox.NamedNode(iri)),
                               "incoming": d.incoming(iri, limit=300), "graph_svg": neighbourhood_svg(v, iri)}
    builder = {"case": case_context, "law": law_context, "article": law_context, "organisation": org_context,
               "concept": concept_context, "scheme": concept_context}.get(kind)
    if builder:
        context.update(builder(v, iri, n))
    template = {"case": "case.html", "law": "law.html", "article": "law.html", "organisation": "org.html",
                "concept": "concept.html", "scheme": "concept.html"}.get(kind, "resource.html")
    return render(request, template, v=v, **context)


def nodes(v: View, terms: list[Any]) -> list[Node]:
    return [v.d.node(t.value if isinstance(t, ox.NamedNode) else "_:" + t.value) for t in terms
            if isinstance(t, (ox.NamedNode, ox.BlankNode))]


def evidence_of(v: View, n: Node) -> list[dict[str, Any]]:
    out = []
    for ev in nodes(v, n["nsp:evidence"]):
        src = ev.one("nsp:sourceDocument")
        src_node = v.d.node(src.value) if isinstance(src, ox.NamedNode) else None
        out.append({"node": ev, "source": src, "page": src_node.one("foaf:page") if src_node else None,
                    "locator": ev.one("nsp:locator"), "paraphrase": ev.one("nsp:paraphrase"), "quote": ev.one("nsp:quote"),
                    "gloss": ev.one("nsp:quoteGloss"), "provision": ev.one("nsp:locatesProvision"),
                    "confidence": ev.one("nsp:confidence")})
    return out


def case_context(v: View, iri: str, n: Node) -> dict[str, Any]:
    participations = nodes(v, n["nsp:hasParticipation"])
    flows = nodes(v, n["nsp:hasDataFlow"])
    agreements = nodes(v, n["nsp:agreement"])
    findings = {key: [(f, evidence_of(v, f)) for f in nodes(v, n[prop])]
                for key, prop in (("difficulties", "nsp:hasDifficulty"), ("lessons", "nsp:hasLesson"), ("risks", "nsp:hasRisk"))}
    legal: list[Any] = []
    for holder in [n, *flows, *agreements]:
        for t in holder["nsp:legalBasis"]:
            if t not in legal:
                legal.append(t)
    legal_rows = []
    for t in legal:
        law = None
        if isinstance(t, ox.NamedNode):
            rows = v.d.select("SELECT ?law WHERE { ?a eli:is_part_of* ?law FILTER NOT EXISTS { ?law eli:is_part_of ?up } }", a=t.value)
            law = rows[0]["law"] if rows else None
        legal_rows.append({"article": t, "law": law if law != t else None})
    sources: list[Any] = []
    for holder in [n, *participations, *flows, *agreements]:
        for s in holder["dct:source"]:
            if s not in sources:
                sources.append(s)
    for _, evs in [x for lst in findings.values() for x in lst]:
        for ev in evs:
            if ev["source"] is not None and ev["source"] not in sources:
                sources.append(ev["source"])
    sections = [(k, h, findings[k]) for k, h in (("difficulties", "Difficulties"), ("lessons", "Lessons learned"), ("risks", "Risks"))]
    return {"participations": participations, "flows": flows, "agreements": agreements, "finding_sections": sections,
            "legal": legal_rows, "sources": [(s, v.d.node(s.value) if isinstance(s, ox.NamedNode) else None) for s in sources]}


# What a law or article page lists about ?law and its parts. Each starts from the parts (eli:is_part_of* ?law),
# then follows links to them (tests/test_server_data.py compares them with the former texts, which started from
# every link in the store).
LAW_PAGE_QUERIES = {
    "effects": """SELECT DISTINCT ?e ?a WHERE { ?a eli:is_part_of* ?law . ?e nsp:grantedBy ?a }""",
    "amended": """SELECT DISTINCT ?x ?t WHERE { ?t eli:is_part_of* ?law . ?x eli:amends ?t } ORDER BY ?x ?t""",
    "cited": """SELECT DISTINCT ?x ?t WHERE { ?t eli:is_part_of* ?law .
        VALUES ?p { eli:cites eli:based_on eli:implements eli:transposes eli:related_to } ?x ?p ?t } ORDER BY ?x ?t""",
    "mappings": """SELECT DISTINCT ?m ?src ?tgt ?degree WHERE {
        ?a eli:is_part_of* ?law . { ?m nsp:sourceProvision ?a BIND(?a AS ?src) } UNION { ?m nsp:targetProvision ?a BIND(?a AS ?tgt) }
        ?m nsp:sourceProvision ?src ; nsp:targetProvision ?tgt . OPTIONAL { ?m nsp:matchDegree ?degree } } ORDER BY ?src ?tgt ?m""",
    "cases": """SELECT DISTINCT ?case ?a WHERE { ?a eli:is_part_of* ?law .
        { ?case nsp:legalBasis ?a } UNION { ?f nsp:legalBasis ?a . ?case nsp:hasDataFlow ?f }
        UNION { ?g nsp:legalBasis ?a . ?case nsp:agreement ?g } } ORDER BY ?case ?a""",
    "positions": """SELECT DISTINCT ?p ?country ?topic ?position ?level WHERE {
        ?a eli:is_part_of* ?law . ?e nsp:grantedBy ?a . ?p nsp:supportedBy ?e .
        OPTIONAL { ?p nsp:jurisdiction ?country } OPTIONAL { ?p nsp:topic ?topic } OPTIONAL { ?p nsp:position ?position }
        OPTIONAL { ?p nsp:restsOnLevel ?level } }
        ORDER BY ?topic ?p""",
}


def law_context(v: View, iri: str, n: Node) -> dict[str, Any]:
    d = v.d
    parent = d.select("SELECT ?law WHERE { ?a eli:is_part_of+ ?law FILTER NOT EXISTS { ?law eli:is_part_of ?up } }", a=iri)
    articles = d.select("""SELECT ?a ?number ?heading (COUNT(DISTINCT ?e) AS ?effects) WHERE {
        ?a eli:is_part_of+ ?law . OPTIONAL { ?a eli:number ?number } OPTIONAL { ?a dct:title ?heading }
        OPTIONAL { ?e nsp:grantedBy ?a } } GROUP BY ?a ?number ?heading""", law=iri)
    articles.sort(key=lambda r: natural_key(r["number"].value if r["number"] else r["a"].value))
    effect_rows = d.select(LAW_PAGE_QUERIES["effects"], law=iri)
    effects = []
    for r in effect_rows:
        e = d.node(r["e"].value)
        effects.append({"node": e, "article": r["a"], "evidence": evidence_of(v, e),
                        "number": (d.node(r["a"].value).one("eli:number") or ox.Literal("")).value})
    effects.sort(key=lambda x: (natural_key(x["number"]), x["node"].iri))
    amended_by = d.select(LAW_PAGE_QUERIES["amended"], law=iri)
    cited_by = d.select(LAW_PAGE_QUERIES["cited"], law=iri)
    mappings = d.select(LAW_PAGE_QUERIES["mappings"], law=iri)
    cases = d.select(LAW_PAGE_QUERIES["cases"], law=iri)
    positions = d.select(LAW_PAGE_QUERIES["positions"], law=iri)
    law = parent[0]["law"] if parent else None
    # an IRI outside the project's base is the legislation site's own identifier (ELI), which is its page
    official = iri if iri.startswith(("http://", "https://")) and not iri.startswith(v.kg.base) else None
    return {"parent": law, "articles": articles, "effects": effects, "official_iri": official,
            "amended_by": amended_by, "cited_by": cited_by, "mappings": mappings, "cases": cases, "positions": positions,
            **element_context(v, iri, law)}


def element_context(v: View, iri: str, law: Any) -> dict[str, Any]:
    """Elements of statistical legislation: on an article page its tags and "the same element in other
    laws" (articles of other laws tagged with each element, by jurisdiction: cells of the comparative
    table, made once per store by the canned query links-elements and shared with /elements); on a law
    page its articles by element; on both, the jurisdiction's profile link."""
    from ..analysis.links import COUNTRY, NO_ELEMENT
    from ..analysis.web import cached_element_table

    d = v.d
    country = d.select("SELECT ?c WHERE { ?law eli:jurisdiction ?c }", law=law.value if law is not None else iri)
    found = next((r["c"] for r in country if r["c"].value.startswith(COUNTRY)), None)
    out: dict[str, Any] = {"profile_iso": found.value.removeprefix(COUNTRY) if found else None, "profile_country": found}
    if law is None:  # a law: its articles grouped by element
        rows = d.select("""SELECT ?e ?a ?number WHERE { ?a nsp:topLevelAct ?law ; eli:is_about ?e .
            FILTER(!sameTerm(?a, ?law)) OPTIONAL { ?a eli:number ?number } }""", law=iri)
        by: dict[str, list[Any]] = {}
        for r in sorted(rows, key=lambda r: natural_key(r["number"].value if r["number"] else r["a"].value)):
            if r["a"] not in by.setdefault(r["e"].value, []):
                by[r["e"].value].append(r["a"])
        out["law_elements"] = sorted(by.items(), key=lambda kv: (kv[0] == NO_ELEMENT, v.label(ox.NamedNode(kv[0])).lower()))
        return out
    tags = d.select("SELECT ?e ?basis WHERE { ?a eli:is_about ?e OPTIONAL { ?a nsp:elementBasis ?basis } }", a=iri)
    counterparts = []
    table = cached_element_table(v.request) if any(r["e"].value != NO_ELEMENT for r in tags) else None
    for r in sorted(tags, key=lambda r: v.label(r["e"]).lower()):
        if r["e"].value == NO_ELEMENT or table is None:
            continue
        others = [(j, [x for x in table.cell(j, r["e"].value) if x["law"] != law.value]) for j in table.jurisdictions]
        counterparts.append({"element": r["e"], "groups": [(j, xs) for j, xs in others if xs]})
    out.update({"element_tags": tags, "counterparts": counterparts})
    return out


def org_context(v: View, iri: str, n: Node) -> dict[str, Any]:
    d = v.d
    cases = d.select("""SELECT ?case (GROUP_CONCAT(DISTINCT STR(?role); separator=" ") AS ?roles) WHERE {
        { ?case nsp:hasParticipation ?p . ?p prov:agent ?org OPTIONAL { ?p prov:hadRole ?role } }
        UNION { ?case nsp:hasDataFlow ?f . { ?f nsp:dataProvider ?org } UNION { ?f nsp:dataRecipient ?org } }
        UNION { ?case nsp:agreement/nsp:party ?org } } GROUP BY ?case ORDER BY ?case""", org=iri)
    for c in cases:
        c["roles"] = [ox.NamedNode(r) for r in (c["roles"].value.split() if c["roles"] else [])]
    laws = d.subjects("nsp:establishes", iri)
    effects = d.select("""SELECT ?e ?a ?law ?modality WHERE { ?e nsp:addressee ?org ; nsp:grantedBy ?a .
        OPTIONAL { ?e nsp:modality ?modality } ?a eli:is_part_of* ?law FILTER NOT EXISTS { ?law eli:is_part_of ?up } }""", org=iri)
    effects.sort(key=lambda r: (r["law"].value, natural_key(d.label(r["a"]))))
    return {"cases": cases, "laws": laws, "effects": effects}


def concept_context(v: View, iri: str, n: Node) -> dict[str, Any]:
    d = v.d
    members = sorted(d.subjects("skos:inScheme", iri), key=lambda t: natural_key(d.label(t)))
    skip = {expand(p) for p in ("skos:inScheme", "skos:broader", "skos:narrower", "skos:topConceptOf", "skos:hasTopConcept")}
    used = [(s, p) for s, p in d.incoming(iri, limit=400) if p not in skip]
    groups: dict[str, list[tuple[Any, str]]] = {}
    for s, p in used:
        groups.setdefault(v.prop_label(p), []).append((s, p))
    return {"members": members, "used_by": groups, "narrower": d.subjects("skos:broader", iri)}


# ----------------------------------------------------------------------------- neighbourhood graph view

def neighbourhood_svg(v: View, iri: str, limit: int = 18) -> Markup:
    """A radial picture of a resource and the IRIs it links to / is linked from (server-side SVG)."""
    n = v.d.node(iri)
    edges: list[tuple[str, Any, bool]] = []
    skip = {expand("rdf:type")}
    for p, values in n.props.items():
        if p in skip:
            continue
        for o in values:
            if isinstance(o, ox.NamedNode) and len(edges) < limit:
                edges.append((p, o, True))
    for s, p in v.d.incoming(iri, limit=limit):
        if isinstance(s, ox.NamedNode) and len(edges) < limit + limit // 2:
            edges.append((p, s, False))
    if not edges:
        return Markup("")
    w, h, cx, cy, r = 900, 560, 450, 280, 215
    parts = [f'<svg class="neighbourhood" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg" role="img" '
             f'aria-label="links of this resource">']
    esc = html.escape
    for i, (p, other, out) in enumerate(edges):
        a = 2 * math.pi * i / len(edges) - math.pi / 2
        x, y = cx + r * math.cos(a) * 1.55, cy + r * math.sin(a)
        mx, my = (cx + x) / 2, (cy + y) / 2
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{x:.0f}" y2="{y:.0f}" class="{"out" if out else "in"}"/>')
        parts.append(f'<text x="{mx:.0f}" y="{my:.0f}" class="edge">{esc(("" if out else "← ") + v.prop_label(p))}</text>')
        label = v.label(other)
        label = label if len(label) <= 34 else label[:32] + "…"
        parts.append(f'<a href="{esc(v.href(other.value))}"><circle cx="{x:.0f}" cy="{y:.0f}" r="6"/>'
                     f'<text x="{x:.0f}" y="{y + 18:.0f}" class="node">{esc(label)}</text></a>')
    title = v.label(ox.NamedNode(iri))
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="10" class="centre"/><text x="{cx}" y="{cy - 16}" class="centre">'
                 f'{esc(title if len(title) < 50 else title[:48] + "…")}</text></svg>')
    return Markup("".join(parts))


def neighbourhood(request: Request) -> Response:
    iri = request.query_params.get("iri", "")
    svg = neighbourhood_svg(View(request), iri)
    if not svg:
        raise HTTPException(404, f"no links for {iri}")
    return Response(str(svg), media_type="image/svg+xml")


# ----------------------------------------------------------------------------- home, search

def home(request: Request) -> Response:
    v = View(request)
    d = v.d
    laws = d.select("""SELECT ?law ?country WHERE { ?law a eli:LegalResource .
        FILTER NOT EXISTS { ?law eli:is_part_of ?up } OPTIONAL { ?law eli:jurisdiction ?country } }""")
    laws.sort(key=lambda r: (v.label(r["country"]) if r["country"] else "~", v.label(r["law"])))
    cases = d.select("SELECT DISTINCT ?case WHERE { ?case a nsp:PartnershipCase }")
    cases.sort(key=lambda r: v.label(r["case"]).lower())
    orgs = d.select("SELECT DISTINCT ?org WHERE { ?org a org:Organization FILTER(isIRI(?org)) }")
    orgs.sort(key=lambda r: v.label(r["org"]).lower())
    schemes = d.select("SELECT DISTINCT ?s WHERE { ?s a skos:ConceptScheme }")
    schemes.sort(key=lambda r: v.label(r["s"]).lower())
    store = request.app.state.kg.store()
    stats = {"quads": len(store), "graphs": sum(1 for _ in store.named_graphs())}
    return render(request, "home.html", v=v, laws=laws, cases=cases, orgs=orgs, schemes=schemes, stats=stats)


def search(request: Request) -> Response:
    v = View(request)
    q = request.query_params.get("q", "")
    results = v.d.search(q) if q.strip() else []
    if conneg.negotiate(request, ["text/html", "application/json"]) == "application/json":
        return JSONResponse({"q": q, "results": results})
    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(KIND_TITLES.get(r["kind"], r["kind"]), []).append(r)
    return render(request, "search.html", v=v, search_q=q, groups=groups, count=len(results))


def not_found(request: Request, exc: Exception) -> Response:
    detail = getattr(exc, "detail", "Not found")
    status = getattr(exc, "status_code", 404)
    accept = request.headers.get("accept", "")
    if "text/html" not in accept:
        return PlainTextResponse(f"{detail}\n", status_code=status)
    try:
        return templates.TemplateResponse(request, "error.html", {"v": View(request), "request": request,
                                          "status": status, "message": detail}, status_code=status)
    except Exception:  # noqa: BLE001 - no store: plain text
        return PlainTextResponse(f"{detail}\n", status_code=status)


def no_store(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Service unavailable: {exc}\n", status_code=503, headers={"Retry-After": "10"})


def server_error(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(f"Internal error: {type(exc).__name__}: {exc}\n", status_code=500)


# ----------------------------------------------------------------------------- canned queries

def query_index(request: Request) -> Response:
    return render(request, "queries.html", queries=list(canned_queries.discover(request.app.state.kg.root).values()))


DOWNLOADS = {"csv": "text/csv", "json": "application/json", "srj": "application/sparql-results+json",
             "tsv": "text/tab-separated-values"}


def query_page(request: Request) -> Response:
    kg = request.app.state.kg
    name = request.path_params["name"]
    fmt = None
    for suffix in DOWNLOADS:
        if name.endswith("." + suffix):
            name, fmt = name[: -len(suffix) - 1], suffix
    available = canned_queries.discover(kg.root)
    if name not in available:
        raise HTTPException(404, f"No canned query named {name!r}")
    q = available[name]
    given = {p.name: request.query_params[p.name] for p in q.params if p.name in request.query_params}
    values = {p.name: given.get(p.name, p.default) for p in q.params}
    if fmt is None and request.query_params.get("format") in DOWNLOADS:
        fmt = request.query_params["format"]
    error, result, pager = None, None, None
    try:
        # paging: ?limit=N&offset=M (limit=0: every row). The page shows a listing's first `# page: N`
        # rows by default; downloads give every row unless asked for a page.
        limit_arg, offset_arg = request.query_params.get("limit"), request.query_params.get("offset")
        limit = canned_queries.page_size(limit_arg, "limit") if limit_arg not in (None, "") else (None if fmt else q.page)
        limit = limit or None  # 0: every row
        offset = canned_queries.page_size(offset_arg, "offset") if offset_arg not in (None, "") else 0
        probe = limit + 1 if limit is not None and not fmt else limit  # one more row tells whether a next page exists
        started = time.perf_counter()  # a page the build computed (kg.answers), else the query in a worker
        found = answers.page(kg.store_path, q, given, probe, offset)
        if found is not None and len(found[1]) <= kg.max_rows:  # more rows than the server gives: the worker's cap
            result = Result("solutions", variables=found[0], rows=found[1], count=len(found[1]),
                            seconds=time.perf_counter() - started, lane="answers")
        else:
            text = canned_queries.paged(q.text, probe, offset)
            subs = {var.value: term_json(term) for var, term in canned_queries.bindings(q, given).items()}
            result = kg.pool.run(Task(text, substitutions=subs, use_prefixes=True, max_rows=kg.max_rows, timeout=kg.timeout))
        if probe != limit and result.kind == "solutions":
            more = len(result.rows) > limit
            result.rows = result.rows[:limit]
            result.count = len(result.rows)
            pager = _pager(request, values, limit, offset, result.count, more)
    except canned_queries.QueryError as exc:
        error = (400, str(exc))
    except QueryTimeout:
        error = (503, f"The query timed out (limit {kg.pool.timeout:g} s, kg serve --timeout).")
    except ServerBusy as exc:
        error = (503, f"Server busy: {exc}")
    except QueryFailed as exc:
        error = (400 if exc.syntax else 500, str(exc))
    if fmt:
        if error:
            return PlainTextResponse(error[1] + "\n", status_code=error[0])
        headers = sparql.result_headers(result, kg.max_rows)
        headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
        if fmt == "json":
            body = {"query": name, "title": q.title, "params": values, "columns": result.variables,
                    "rows": [{var: (t or {}).get("value") for var, t in zip(result.variables, row)} for row in result.rows],
                    "truncated": result.truncated}
            return JSONResponse(body, headers=headers)
        if fmt in ("csv", "tsv") and result.kind == "solutions":  # opened in spreadsheets: no formulas (kg.csvsafe)
            result = dataclasses.replace(result, rows=[[neutralise_json_term(t) for t in row] for row in result.rows])
        return Response(sparql.serialize(result, DOWNLOADS[fmt]), media_type=DOWNLOADS[fmt], headers=headers)
    qs = urlencode(values)
    downloads = [(label, f"{request.url.path}.{suffix}" + (f"?{qs}" if qs else "")) for label, suffix in
                 (("CSV", "csv"), ("JSON", "json"), ("SPARQL JSON", "srj"), ("TSV", "tsv"))]
    chart = bar_chart(View(request), result) if result is not None and result.kind == "solutions" else None
    response = render(request, "query.html", q=q, values=values, result=result, error=error and error[1],
                      downloads=downloads, chart=chart, max_rows=kg.max_rows, pager=pager,
                      editor_link=f"{request.url_for('editor')}?" + urlencode({"query": q.text}))
    if error:
        response.status_code = error[0]
    return response


def _pager(request: Request, values: dict[str, str], limit: int, offset: int, shown: int, more: bool) -> dict:
    """Rows shown and the links to the previous and next pages and to every row (same parameters)."""
    def link(**paging: int) -> str:
        return f"{request.url.path}?" + urlencode({**{k: v for k, v in values.items() if v != ""}, **paging})

    return {"first": offset + 1 if shown else offset, "last": offset + shown, "limit": limit,
            "previous": link(limit=limit, offset=max(0, offset - limit)) if offset > 0 else None,
            "next": link(limit=limit, offset=offset + limit) if more else None,
            "all": link(limit=0, offset=0) if more or offset else None}


def bar_chart(v: View, result: Result) -> dict | None:
    """Bars for the first numeric column, labelled by the first other column (None if there is none)."""
    numeric = None
    for i, var in enumerate(result.variables):
        cells = [row[i] for row in result.rows if row[i] is not None]
        if cells and all(c["type"] == "literal" and c.get("datatype", "").endswith(("#integer", "#decimal", "#double", "#int", "#long", "#float"))
                         for c in cells):
            numeric = i
            break
    if numeric is None or len(result.rows) < 2 or len(result.rows) > 60:
        return None
    label_cols = [i for i in range(len(result.variables)) if i != numeric]
    if not label_cols:
        return None
    bars = []
    for row in result.rows:
        cell = row[numeric]
        try:
            value = float(cell["value"]) if cell else 0.0
        except ValueError:
            value = 0.0
        parts: list[str] = []
        for i in label_cols:
            lab = row[i]
            if lab is None or (lab["type"] == "literal" and lab.get("datatype", "").startswith(PREFIXES["xsd"])
                               and not lab.get("datatype", "").endswith("#string")):
                continue
            text = v.label(ox.NamedNode(lab["value"])) if lab["type"] == "uri" else lab["value"]
            if text not in parts:
                parts.append(text)
        bars.append({"label": " / ".join(parts), "value": value})
    top = max((b["value"] for b in bars), default=0) or 1
    for b in bars:
        b["pct"] = 100 * b["value"] / top
    return {"column": result.variables[numeric], "by": ", ".join(result.variables[i] for i in label_cols), "bars": bars}


# ----------------------------------------------------------------------------- editor

def editor(request: Request) -> Response:
    kg = request.app.state.kg
    examples = [{"name": q.name, "title": q.title, "query": q.text}
                for q in canned_queries.discover(kg.root).values()]
    prefixes = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()
                       if p in ("nsp", "eli", "dct", "skos", "org", "prov", "foaf", "rdf", "rdfs", "country"))
    initial = request.query_params.get("query") or (
        prefixes + "\nSELECT ?law ?title WHERE {\n  ?law a nsp:StatisticalLaw ; dct:title ?title .\n"
                   "  FILTER(langMatches(lang(?title), \"en\"))\n} ORDER BY ?title\nLIMIT 50\n")
    yasgui = (HERE / "static" / "vendor" / "yasgui" / "yasgui.min.js").exists()
    return render(request, "editor.html", examples=examples, prefixes=prefixes, initial=initial, yasgui=yasgui,
                  prefix_map=PREFIXES)


# ----------------------------------------------------------------------------- dataset, dumps

DUMP_MEDIA = {"ttl": "text/turtle", "nq": "application/n-quads", "jsonld": "application/ld+json",
              "nt": "application/n-triples", "trig": "application/trig", "rdf": "application/rdf+xml"}
_dump_lock = threading.Lock()
DUMP_DIR = Path(tempfile.mkdtemp(prefix="kg-dumps-"))  # dumps cached per store, removed at shutdown


def dump(request: Request) -> Response:
    """Full dumps of the asserted graphs (made by kg.export, cached per store)."""
    kg = request.app.state.kg
    name = request.path_params["file"]
    stem, _, ext = name.partition(".")
    if stem != "kg" or ext not in DUMP_MEDIA:
        raise HTTPException(404, f"No dump {name}; available: " + ", ".join(f"kg.{e}" for e in DUMP_MEDIA))
    store_path = kg.store_path
    DUMP_DIR.mkdir(exist_ok=True)
    target = DUMP_DIR / f"{store_path.name}.{ext}"
    with _dump_lock:
        if not target.exists():
            tmp = target.with_suffix(target.suffix + ".part")
            run_export(kg.store(), "rdfxml" if ext == "rdf" else ext, tmp)
            tmp.replace(target)
    return FileResponse(target, media_type=DUMP_MEDIA[ext], filename=name, content_disposition_type="inline")


LINK_TARGETS = [
    ("eurlex-eli", "EUR-Lex legislation (ELI)", "http://data.europa.eu/eli/", "https://eur-lex.europa.eu/"),
    ("eu-countries", "EU Publications Office country authority table", "http://publications.europa.eu/resource/authority/country/",
     "http://publications.europa.eu/resource/authority/country"),
    ("uk-legislation", "legislation.gov.uk", "http://www.legislation.gov.uk/", "https://www.legislation.gov.uk/"),
    ("irish-statute-book", "Irish Statute Book (ELI)", "http://www.irishstatutebook.ie/eli/", "https://www.irishstatutebook.ie/"),
    ("legifrance", "Légifrance (ELI)", "https://www.legifrance.gouv.fr/eli/", "https://www.legifrance.gouv.fr/"),
]
VOID, DCAT, SD = "http://rdfs.org/ns/void#", "http://www.w3.org/ns/dcat#", "http://www.w3.org/ns/sparql-service-description#"


def dataset_stats(kg) -> dict[str, Any]:
    store: ox.Store = kg.store()
    d: Data = kg.data()
    asserted = "FILTER(?g NOT IN (<%s>, <%s>))" % tuple(sorted(DERIVED_GRAPHS))
    one = lambda q: int(next(iter(store.query(q)))["n"].value)  # noqa: E731
    stats = {
        "quads": len(store),
        "triples": one("SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } %s } }" % asserted),
        "subjects": one("SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } %s }" % asserted),
        "objects": one("SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } %s }" % asserted),
        "properties": one("SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } %s }" % asserted),
        "classes": one("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { GRAPH ?g { ?s a ?c } %s }" % asserted),
    }
    stats["graphs"] = [(g.value, sum(1 for _ in store.quads_for_pattern(None, None, None, g)))
                       for g in sorted(store.named_graphs(), key=lambda g: g.value)]
    stats["class_partitions"] = [(r["c"], int(r["n"].value)) for r in store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s a ?c } %s } GROUP BY ?c ORDER BY DESC(?n)" % asserted)]
    linksets = []
    for key, title, prefix, homepage in LINK_TARGETS:
        rows = list(store.query(bind(
            "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } %s FILTER(isIRI(?o) && STRSTARTS(STR(?o), ?prefix) "
            "&& !STRSTARTS(STR(?o), \"http://data.europa.eu/eli/ontology\") && !STRSTARTS(STR(?s), ?prefix)) } GROUP BY ?p" % asserted,
            {"prefix": ox.Literal(prefix)})))
        if rows:
            linksets.append({"key": key, "title": title, "prefix": prefix, "homepage": homepage,
                             "predicates": [(r["p"].value, int(r["n"].value)) for r in rows],
                             "triples": sum(int(r["n"].value) for r in rows)})
    stats["linksets"] = linksets
    del d
    return stats


def dataset_triples(request: Request, stats: dict[str, Any]) -> list[ox.Triple]:
    kg = request.app.state.kg
    N, L, T = ox.NamedNode, ox.Literal, ox.Triple
    XSD = PREFIXES["xsd"]
    integer = lambda n: L(str(n), datatype=N(XSD + "integer"))  # noqa: E731
    rdf_type, dct = N(PREFIXES["rdf"] + "type"), PREFIXES["dct"]
    ds = N(kg.base + "dataset")
    endpoint = N(str(request.url_for("sparql")))
    out = [T(ds, rdf_type, N(VOID + "Dataset")), T(ds, rdf_type, N(DCAT + "Dataset")),
           T(ds, N(dct + "title"), L("Strategic partnerships in official statistics: a knowledge graph", language="en")),
           T(ds, N(dct + "description"), L("Strategic partnerships of national statistical offices and the statistical laws "
                                           "that enable or restrict them, article by article, with sources.", language="en")),
           T(ds, N(dct + "license"), N("https://creativecommons.org/licenses/by/4.0/")),
           T(ds, N(VOID + "uriSpace"), L(kg.base)),
           T(ds, N(VOID + "sparqlEndpoint"), endpoint),
           T(ds, N(VOID + "triples"), integer(stats["triples"])),
           T(ds, N(VOID + "distinctSubjects"), integer(stats["subjects"])),
           T(ds, N(VOID + "distinctObjects"), integer(stats["objects"])),
           T(ds, N(VOID + "properties"), integer(stats["properties"])),
           T(ds, N(VOID + "classes"), integer(stats["classes"])),
           T(ds, N(VOID + "rootResource"), N(kg.base + "ontology")),
           T(ds, N(dct + "conformsTo"), N(kg.base + "ontology"))]
    for prefix in ("eli", "org", "skos", "prov", "dct", "foaf"):
        out.append(T(ds, N(VOID + "vocabulary"), N(PREFIXES[prefix])))
    service = N(str(request.url_for("sparql")) + "#service")
    out += [T(ds, N(DCAT + "distribution"), service), T(service, rdf_type, N(DCAT + "DataService")),
            T(service, N(DCAT + "endpointURL"), endpoint), T(service, N(DCAT + "servesDataset"), ds),
            T(service, N(DCAT + "endpointDescription"), endpoint)]
    for ext, media in DUMP_MEDIA.items():
        url = N(str(request.url_for("dump", file=f"kg.{ext}")))
        dist = N(kg.base + f"dataset#dump-{ext}")
        out += [T(ds, N(VOID + "dataDump"), url), T(ds, N(DCAT + "distribution"), dist),
                T(dist, rdf_type, N(DCAT + "Distribution")), T(dist, N(DCAT + "downloadURL"), url),
                T(dist, N(DCAT + "mediaType"), N("https://www.iana.org/assignments/media-types/" + media))]
    for i, (cls, n) in enumerate(stats["class_partitions"]):
        part = N(kg.base + f"dataset#class-{i}")
        out += [T(ds, N(VOID + "classPartition"), part), T(part, N(VOID + "class"), cls), T(part, N(VOID + "entities"), integer(n))]
    # The dataset is what the source files assert: its subsets are their graphs (which may share triples,
    # so their counts add up to at least the dataset's). The inferred and provenance graphs are derived
    # from it, not part of it: datasets of their own, which the endpoint's union default graph also holds.
    out.append(T(ds, N(PREFIXES["rdfs"] + "comment"), L(
        "void:triples counts the distinct triples asserted by the source files, i.e. of the union of the named graphs "
        "listed as void:subset (one per file; a triple in several files is counted once here and once per subset), "
        "and void:distinctSubjects, void:distinctObjects, void:properties, void:classes and the class partitions "
        "are counted over those same triples; each subset's "
        "void:triples counts its own graph. The inferred and provenance graphs are described as datasets "
        "derived from this one (prov:wasDerivedFrom), not as subsets; the SPARQL endpoint's default graph is the "
        "union of all graphs, these included. A linkset counts the triples linking to its target.", language="en")))
    for g, n in stats["graphs"]:
        sub = N(g)
        derived = g in DERIVED_GRAPHS
        out += [T(sub, rdf_type, N(VOID + "Dataset")), T(sub, N(SD + "name"), sub), T(sub, N(VOID + "triples"), integer(n)),
                T(sub, N(PREFIXES["prov"] + "wasDerivedFrom"), ds) if derived else T(ds, N(VOID + "subset"), sub)]
    for ls in stats["linksets"]:
        node = N(kg.base + f"dataset#links-{ls['key']}")
        target = N(ls["homepage"])
        out += [T(ds, N(VOID + "subset"), node), T(node, rdf_type, N(VOID + "Linkset")),
                T(node, N(VOID + "subjectsTarget"), ds), T(node, N(VOID + "objectsTarget"), target),
                T(target, rdf_type, N(VOID + "Dataset")), T(target, N(dct + "title"), L(ls["title"])),
                T(target, N(VOID + "uriSpace"), L(ls["prefix"])), T(node, N(VOID + "triples"), integer(ls["triples"]))]
        for p, _ in ls["predicates"]:
            out.append(T(node, N(VOID + "linkPredicate"), N(p)))
    return out


def dataset(request: Request, forced: str | None = None) -> Response:
    """VoID + DCAT description of the dataset (/dataset and /.well-known/void)."""
    kg = request.app.state.kg
    offers = PAGE_OFFERS if request.url.path.endswith("/dataset") or forced else [*RDF_OFFERS, "text/html"]
    media = forced or conneg.negotiate(request, offers)
    if media is None:
        return not_acceptable(request, offers)
    stats = dataset_stats(kg)
    if media != "text/html":
        return rdf_response(dataset_triples(request, stats), media, first=kg.base + "dataset")
    return render(request, "dataset.html", stats=stats, dumps=list(DUMP_MEDIA.items()), iri=kg.base + "dataset")


# ----------------------------------------------------------------------------- ontology and shapes

def ontology(request: Request, forced: str | None = None) -> Response:
    kg = request.app.state.kg
    iri = kg.base + "ontology"
    media = forced or conneg.negotiate(request, PAGE_OFFERS)
    if media is None:
        return not_acceptable(request, PAGE_OFFERS)
    v = View(request)
    if media != "text/html":
        return rdf_response(v.d.description(iri), media, first=iri)
    d = v.d
    graph = "GRAPH ?g { %s } FILTER(STRSTARTS(STR(?g), \"" + PREFIXES["nsp"].replace("ontology#", "graph/ontology/") + "\"))"
    classes = d.select("SELECT DISTINCT ?c WHERE { " + graph % "?c a owl:Class" + " FILTER(isIRI(?c)) }")
    props = d.select("SELECT DISTINCT ?p ?t WHERE { VALUES ?t { owl:ObjectProperty owl:DatatypeProperty owl:AnnotationProperty } "
                     + graph % "?p a ?t" + " }")
    own = lambda t: t.value.startswith(kg.base)  # noqa: E731
    cls_nodes = sorted((d.node(r["c"].value) for r in classes if own(r["c"])), key=lambda n: n.iri.lower())
    seen, prop_nodes = set(), []
    for r in props:
        if own(r["p"]) and r["p"].value not in seen:
            seen.add(r["p"].value)
            prop_nodes.append(d.node(r["p"].value))
    prop_nodes.sort(key=lambda n: n.iri.lower())
    reused = sorted({r["c"].value for r in classes if not own(r["c"])} | {r["p"].value for r in props if not own(r["p"])})
    header = d.node(iri)
    subclasses: dict[str, list[Any]] = {}
    for n in cls_nodes:
        for parent in n["rdfs:subClassOf"]:
            if isinstance(parent, ox.NamedNode):
                subclasses.setdefault(parent.value, []).append(ox.NamedNode(n.iri))
    return render(request, "ontology.html", v=v, header=header, iri=iri, classes=cls_nodes, properties=prop_nodes,
                  reused=[ox.NamedNode(r) for r in reused], subclasses=subclasses,
                  imports=d.select("SELECT DISTINCT ?o WHERE { ?o a owl:Ontology }"))


def shapes_store(root: Path) -> tuple[ox.Store, str]:
    store, text = ox.Store(), []
    for path in sorted((root / "shapes").glob("*.ttl")):
        content = path.read_text(encoding="utf-8")
        text.append(content)
        store.load(content.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE)
    return store, "\n".join(text)


def shapes(request: Request, forced: str | None = None) -> Response:
    """The SHACL shapes: Turtle for machines, a readable table per shape for people."""
    kg = request.app.state.kg
    store, text = shapes_store(kg.root)
    media = forced or conneg.negotiate(request, PAGE_OFFERS)
    if media is None:
        return not_acceptable(request, PAGE_OFFERS)
    if media == "text/turtle":
        return Response(text, media_type="text/turtle", headers={"Vary": "Accept"})
    if media != "text/html":
        return rdf_response([ox.Triple(q.subject, q.predicate, q.object) for q in store], media)
    SH = "http://www.w3.org/ns/shacl#"
    rows = store.query("""PREFIX sh: <http://www.w3.org/ns/shacl#>
        SELECT ?shape WHERE { ?shape a sh:NodeShape FILTER(isIRI(?shape)) } ORDER BY ?shape""")
    v = View(request)

    def node_of(term) -> dict[str, list[Any]]:
        props: dict[str, list[Any]] = {}
        for q in store.quads_for_pattern(term, None, None, None):
            props.setdefault(q.predicate.value, []).append(q.object)
        return props

    def show(term) -> str:
        """A SHACL term in words: IRIs compacted, lists and blank nodes written out."""
        if isinstance(term, ox.BlankNode):
            props = node_of(term)
            if PREFIXES["rdf"] + "first" in props:
                items, cur = [], term
                while isinstance(cur, ox.BlankNode):
                    p = node_of(cur)
                    items += [show(x) for x in p.get(PREFIXES["rdf"] + "first", [])]
                    cur = (p.get(PREFIXES["rdf"] + "rest") or [None])[0]
                return "(" + " ".join(items) + ")"
            return "[" + "; ".join(f"{compact_iri(k).replace('http://www.w3.org/ns/shacl#', 'sh:')} {' '.join(show(x) for x in vs)}"
                                   for k, vs in props.items()) + "]"
        if isinstance(term, ox.NamedNode):
            return compact_iri(term.value).replace(SH, "sh:")
        return json.dumps(term.value, ensure_ascii=False) if isinstance(term, ox.Literal) else str(term)

    shapes_out = []
    for r in rows:
        props = node_of(r["shape"])
        constraints = []
        for ps in props.get(SH + "property", []):
            p = node_of(ps)
            path = show(p.get(SH + "path", [None])[0]) if SH + "path" in p else "?"
            rules = [f"{k[len(SH):]} {', '.join(show(x) for x in vs)}" for k, vs in p.items()
                     if k.startswith(SH) and k not in (SH + "path", SH + "message", SH + "name", SH + "description")]
            constraints.append({"path": path, "rules": rules, "message": (p.get(SH + "message") or [None])[0]})
        other = [f"{k[len(SH):] if k.startswith(SH) else compact_iri(k)} {', '.join(show(x) for x in vs)}" for k, vs in props.items()
                 if k not in (SH + "property", PREFIXES["rdf"] + "type", SH + "targetClass", SH + "message")]
        shapes_out.append({"iri": r["shape"].value, "name": r["shape"].value.split("#")[-1],
                           "targets": props.get(SH + "targetClass", []), "constraints": constraints, "other": other,
                           "message": (props.get(SH + "message") or [None])[0]})
    return render(request, "shapes.html", v=v, shapes=shapes_out, turtle=text)


__all__ = ["resource", "home", "search", "query_index", "query_page", "editor", "dataset", "dump", "ontology",
           "shapes", "external", "neighbourhood", "not_found", "server_error", "NSP", "quote"]
