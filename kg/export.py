"""Export: dumps of the store in each RDF format (asserted graphs; inferences on request)."""
from __future__ import annotations

from pathlib import Path
from typing import IO, Iterator

import pyoxigraph as ox

from . import INFERRED_GRAPH, PREFIXES
from .pipeline import PROVENANCE_GRAPH

FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
DERIVED_GRAPHS = {INFERRED_GRAPH, PROVENANCE_GRAPH}


def quads(store: ox.Store, include_derived: bool = False) -> Iterator[ox.Quad]:
    """Every quad of the source graphs (and of the inferred/provenance graphs if asked)."""
    for q in store.quads_for_pattern(None, None, None, None):
        if include_derived or not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in DERIVED_GRAPHS):
            yield q


def export(store: ox.Store, fmt: str, output: IO[bytes] | Path | str, include_derived: bool = False) -> int:
    """Write a dump; dataset formats keep the named graphs, graph formats give their union. Returns statements written."""
    rdf_format = FORMATS[fmt]
    data = list(quads(store, include_derived))
    if rdf_format.supports_datasets:
        items: list = data
    else:
        items = list({ox.Triple(q.subject, q.predicate, q.object) for q in data})
        items.sort(key=str)
    ox.serialize(items, output, format=rdf_format, prefixes=PREFIXES if fmt in ("ttl", "trig") else None)
    return len(items)


# --- CSV of the partnership cases (the columns of `kg import`; see kg/importer.py) ---

def export_cases_csv(store: ox.Store) -> str:
    """One row per partnership case, in the cell formats `kg import` reads back to the same graph.

    Every cell passes through kg.csvsafe.neutralise (a leading apostrophe before `=`, `+`, `-`, `@`,
    tab or carriage return, so a spreadsheet shows text, never runs a formula); `kg import` removes it."""
    import csv
    import io

    from . import BASE
    from .csvsafe import neutralise
    from .importer import COLUMNS, Context, ORGANISER_ROLES

    ctx = Context(store)
    q = lambda text: list(store.query(text, use_default_graph_as_union=True, prefixes=PREFIXES))  # noqa: E731
    label = _unique_labels(store, ctx)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    cases = q("SELECT ?c ?id WHERE { ?c a nsp:PartnershipCase ; nsp:caseId ?id } ORDER BY ?id")
    for row in cases:
        c = row["c"].value
        one = lambda p: next((r["v"] for r in q(f"SELECT ?v WHERE {{ <{c}> {p} ?v }} LIMIT 1")), None)  # noqa: E731
        text = lambda t: "" if t is None else t.value  # noqa: E731
        slug = lambda t: "" if t is None else t.value.rsplit("/", 1)[-1]  # noqa: E731
        flow = next((r["f"].value for r in q(f"SELECT ?f WHERE {{ <{c}> nsp:hasDataFlow ?f }} ORDER BY ?f LIMIT 1")), None)
        ends = set()
        fl: dict = {}
        if flow:
            fl = {k: r[k] for r in q(f"""SELECT ?d ?p ?r ?note WHERE {{ <{flow}> nsp:dataProvider ?p ; nsp:dataRecipient ?r .
                     OPTIONAL {{ <{flow}> dct:description ?d }} OPTIONAL {{ <{flow}> nsp:legalBasisNote ?note }} }}""") for k in ("d", "p", "r", "note")}
            ends = {fl["p"].value, fl["r"].value}
        parts = []
        for r in q(f"""SELECT ?a (GROUP_CONCAT(STR(?role); separator=" ") AS ?roles) (SAMPLE(?n) AS ?note) WHERE {{
                         <{c}> nsp:hasParticipation ?x . ?x prov:agent ?a ; prov:hadRole ?role .
                         OPTIONAL {{ ?x dct:description ?n }} }} GROUP BY ?a"""):
            roles = sorted(x.rsplit("/", 1)[-1] for x in r["roles"].value.split())
            parts.append((r["a"].value, roles, text(r["note"])))
        organisers = [p for p in parts if set(p[1]) & ORGANISER_ROLES]
        partners = [p for p in parts if not set(p[1]) & ORGANISER_ROLES]
        lead_first = lambda p: (0 if p[0] in ends and ctx.is_statistical(p[0]) else 1 if p[0] in ends else 2, label(p[0]))  # noqa: E731
        item = lambda p, roles: label(p[0]) + (f" [{', '.join(p[1])}]" if roles else "") + (f" ({p[2]})" if p[2] else "")  # noqa: E731
        sectors = sorted({s for p in partners for s in ctx.org_sectors.get(p[0], set())})
        countries = sorted(ctx.country_labels.get(r["s"].value, r["s"].value) for r in q(f"SELECT ?s WHERE {{ <{c}> dct:spatial ?s }}"))
        outcome, reason = slug(one("nsp:outcome")), text(one("nsp:outcomeReason"))
        findings = {}
        for col, prop in (("difficulties", "nsp:hasDifficulty"), ("lessons", "nsp:hasLesson")):
            items = []
            for r in q(f"""SELECT ?x ?d ?cat WHERE {{ <{c}> {prop} ?x . ?x dct:description ?d OPTIONAL {{ ?x nsp:category ?cat }} }}"""):
                n = int(r["x"].value.rsplit("/", 1)[-1]) if r["x"].value.rsplit("/", 1)[-1].isdigit() else 0
                items.append((n, (slug(r["cat"]) + ": " if r["cat"] is not None else "") + r["d"].value))
            findings[col] = " | ".join(t for _, t in sorted(items))
        links = sorted(r["l"].value for r in q(f"SELECT ?l WHERE {{ <{flow}> nsp:legalBasis ?l }}")) if flow else []
        legal = " ".join([text(fl.get("note"))] + [f"[{l[len(BASE):] if l.startswith(BASE) else l}]" for l in links]).strip()
        sources = sorted(r["u"].value for r in q(f"SELECT ?u WHERE {{ <{c}> dct:source/foaf:page ?u }}"))
        writer.writerow([neutralise(cell) for cell in [
            row["id"].value, text(one("dct:title")),
            "; ".join(item(p, False) for p in sorted(organisers, key=lead_first)),
            "; ".join(countries),
            "; ".join(item(p, True) for p in sorted(partners, key=lead_first)),
            "; ".join(_sector_label(ctx, s) for s in sectors),
            slug(one("nsp:partnershipType")), slug(one("nsp:secondaryPartnershipType")),
            text(fl.get("d")), text(one("nsp:startYear")), text(one("nsp:endYear")), slug(one("nsp:status")),
            f"{outcome}: {reason}" if outcome and reason else outcome or reason,
            findings["difficulties"], findings["lessons"], legal, " | ".join(sources), slug(one("nsp:confidence")),
        ]])
    return buffer.getvalue()


def _unique_labels(store: ox.Store, ctx) -> "Callable[[str], str]":
    """For each organisation, a label that names it and nothing else (English preferred label first)."""
    from .importer import norm

    labels: dict[str, list[tuple[int, str]]] = {}
    for r in store.query("""SELECT ?o ?l WHERE { { ?o <http://www.w3.org/2004/02/skos/core#prefLabel> ?l }
                            UNION { ?o <http://www.w3.org/2004/02/skos/core#altLabel> ?l } }""", use_default_graph_as_union=True):
        o, lit = r["o"].value, r["l"]
        rank = 0 if lit.value == ctx.org_labels.get(o) else 1 if lit.language in ("en", None) else 2
        labels.setdefault(o, []).append((rank, lit.value))

    def label(org: str) -> str:
        for _, text in sorted(labels.get(org, [])):
            if ctx.orgs.get(norm(text)) == {org} and "[" not in text and not text.endswith(")"):
                return text
        for _, text in sorted(labels.get(org, [])):
            if ctx.orgs.get(norm(text)) == {org}:
                return text
        raise ValueError(f"organisation {org} has no label that names it alone: add one to data/organisations.ttl")

    return label


def _sector_label(ctx, slug: str) -> str:
    return slug.replace("-", " ")
