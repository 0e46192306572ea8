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

class NotExportable(ValueError):
    """A case holds something the CSV columns cannot carry back (named, so the data can be fixed)."""


def export_cases_csv(store: ox.Store) -> str:
    """One row per partnership case, in the cell formats `kg import` reads back to the same graph
    (the explicit columns, importer.COLUMNS; docs/importing.md).

    Every cell passes through kg.csvsafe.neutralise (a leading apostrophe before `=`, `+`, `-`, `@`,
    tab or carriage return, so a spreadsheet shows text, never runs a formula); `kg import` removes it."""
    import csv
    import io

    from .csvsafe import neutralise
    from .importer import COLUMNS, Context

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
        organisations, partners = _participants(q, c, ctx, label)
        countries = sorted(ctx.country_labels.get(r["s"].value, r["s"].value) for r in q(f"SELECT ?s WHERE {{ <{c}> dct:spatial ?s }}"))
        sectors = sorted({s for org in _partner_orgs(q, c) for s in ctx.org_sectors.get(org, set())})
        outcome, reason = slug(one("nsp:outcome")), text(one("nsp:outcomeReason"))
        flows = _flow_cells(q, c, label)
        findings = {col: _findings_cell(q, c, prop) for col, prop in (("difficulties", "nsp:hasDifficulty"), ("lessons", "nsp:hasLesson"))}
        sources = sorted(r["u"].value for r in q(f"SELECT ?u WHERE {{ <{c}> dct:source/foaf:page ?u }}"))
        values = {
            "id": row["id"].value, "title": text(one("dct:title")), "organisations": organisations, "countries": "; ".join(countries),
            "partners": partners, "partner_sectors": "; ".join(_sector_label(ctx, s) for s in sectors),
            "new_organisations": "",  # every participant is in the graph already
            "type": slug(one("nsp:partnershipType")), "secondary_type": slug(one("nsp:secondaryPartnershipType")),
            "start_year": text(one("nsp:startYear")), "end_year": text(one("nsp:endYear")), "status": slug(one("nsp:status")),
            "outcome": f"{outcome}: {reason}" if outcome and reason else outcome or reason,
            **findings, **flows, "sources": " | ".join(sources), "confidence": slug(one("nsp:confidence")),
        }
        writer.writerow([neutralise(values[col]) for col in COLUMNS])
    return buffer.getvalue()


def _number(iri: str) -> int:
    """The trailing number of a flow's or finding's IRI (.../dataflow/2 -> 2); 0 when there is none."""
    tail = iri.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _positions(node: str, numbered: list[tuple[int, str]], what: str) -> list[str]:
    """Values by position 1..n (blank where a number is missing), refusing what the import would renumber."""
    if any(n < 1 for n, _ in numbered) or len({n for n, _ in numbered}) != len(numbered):
        raise NotExportable(f"<{node}>: its {what} are not numbered 1, 2, ... (.../{what}/N): the CSV cannot keep their IRIs")
    out = [""] * max((n for n, _ in numbered), default=0)
    for n, value in numbered:
        out[n - 1] = value
    return out


def _participants(q, case: str, ctx, label) -> tuple[str, str]:
    """The organisations and partners cells: `Name [role, role] (note)`. Roles are written in brackets
    except for a statistical office whose only role is lead-nso in the organisations column (the
    import implies that role there); `Name []` in that column is a participant without a role."""
    from .importer import ORGANISER_ROLES

    parts: dict[str, dict] = {}
    for r in q(f"""SELECT ?a ?role ?n WHERE {{ <{case}> nsp:hasParticipation ?x . ?x prov:agent ?a .
                     OPTIONAL {{ ?x prov:hadRole ?role }} OPTIONAL {{ ?x dct:description ?n }} }}"""):
        p = parts.setdefault(r["a"].value, {"org": r["a"].value, "roles": set(), "note": ""})
        if r["role"] is not None:
            p["roles"].add(r["role"].value.rsplit("/", 1)[-1])
        if r["n"] is not None:
            p["note"] = r["n"].value
    order = lambda p: (0 if "lead-nso" in p["roles"] else 1, label(p["org"]))  # noqa: E731
    organisers = sorted((p for p in parts.values() if p["roles"] & ORGANISER_ROLES), key=order)
    partners = sorted((p for p in parts.values() if not p["roles"] & ORGANISER_ROLES), key=order)
    # the import wants a name in each column; which column holds a participant with bracketed roles
    # does not change the graph
    if not organisers and partners:
        organisers.append(partners.pop(0))
    if not partners and len(organisers) > 1:
        partners.append(organisers.pop())

    def item(p: dict, implied: bool) -> str:
        roles = sorted(p["roles"])
        bare = not roles if not implied else (roles == ["lead-nso"] and ctx.is_statistical(p["org"]))
        return label(p["org"]) + ("" if bare else f" [{', '.join(roles)}]") + (f" ({p['note']})" if p["note"] else "")

    return "; ".join(item(p, True) for p in organisers), "; ".join(item(p, False) for p in partners)


def _partner_orgs(q, case: str) -> set[str]:
    """Participants without an organiser role (the partners whose sectors the partner_sectors cell lists)."""
    from .importer import ORGANISER_ROLES

    from . import VOCAB

    roles = " ".join(f"<{VOCAB}participation-role/{r}>" for r in sorted(ORGANISER_ROLES))
    return {r["a"].value for r in q(f"""SELECT ?a WHERE {{ <{case}> nsp:hasParticipation ?x . ?x prov:agent ?a .
                                         FILTER NOT EXISTS {{ ?x prov:hadRole ?r VALUES ?r {{ {roles} }} }} }}""")}


def _flow_cells(q, case: str, label) -> dict[str, str]:
    """The flow columns: one part per data flow (by its number), joined with ' || '."""
    from . import BASE
    from .importer import FLOW_COLUMNS, FLOW_SEP

    flows = [r["f"].value for r in q(f"SELECT ?f WHERE {{ <{case}> nsp:hasDataFlow ?f }}")]
    numbered = []
    for f in flows:
        vals = lambda p: sorted(r["v"].value for r in q(f"SELECT ?v WHERE {{ <{f}> {p} ?v }}"))  # noqa: E731
        held = vals("nsp:involvesPrivatelyHeldData")
        links = [f"[{x[len(BASE):] if x.startswith(BASE) else x}]" for x in vals("nsp:legalBasis")]
        cells = {
            "exchanged": " ".join(vals("dct:description")),
            "data_providers": "; ".join(label(x) for x in vals("nsp:dataProvider")),
            "data_recipients": "; ".join(label(x) for x in vals("nsp:dataRecipient")),
            "data_source_types": "; ".join(x.rsplit("/", 1)[-1] for x in vals("nsp:dataSourceType")),
            "privately_held": {"true": "yes", "false": "no"}.get(held[0], held[0]) if held else "",
            "legal_basis": " ".join(vals("nsp:legalBasisNote") + links),
            "agreements": " | ".join(_agreement_item(q, a, label) for a in _agreement_order(vals("nsp:agreement"))),
        }
        for col, value in cells.items():
            if FLOW_SEP.strip() in value:
                raise NotExportable(f"<{f}>: its {col} text contains '{FLOW_SEP.strip()}', which separates data flows in the CSV")
        numbered.append((_number(f), cells))
    by_position = _positions(case, numbered, "dataflow") if numbered else []
    return {col: FLOW_SEP.join(cells[col] if cells else "" for cells in by_position) if len(by_position) > 1
            else (by_position[0][col] if by_position else "") for col in FLOW_COLUMNS}


def _agreement_order(iris: list[str]) -> list[str]:
    """Agreements as the import numbers them: `type` before `type-2`, `type-3`, ..."""
    import re

    def key(iri: str) -> tuple[str, int]:
        m = re.fullmatch(r"(.+?)(?:-(\d+))?", iri.rsplit("/", 1)[-1])
        return (m.group(1), int(m.group(2) or 1))
    return sorted(iris, key=key)


def _agreement_item(q, agreement: str, label) -> str:
    """`type (year) [party; party]: text`; the type carries the IRI's number when it has one (`contract-2`)."""
    rows = q(f"""SELECT ?t ?d ?y ?u WHERE {{ <{agreement}> nsp:agreementType ?t .
                  OPTIONAL {{ <{agreement}> dct:description ?d }} OPTIONAL {{ <{agreement}> nsp:startYear ?y }}
                  OPTIONAL {{ <{agreement}> nsp:yearUnknown ?u }} }}""")
    if len(rows) != 1:
        raise NotExportable(f"<{agreement}>: an agreement needs exactly one type, description and year (or yearUnknown) for the CSV")
    r = rows[0]
    kind, local = r["t"].value.rsplit("/", 1)[-1], agreement.rsplit("/", 1)[-1]
    if local != kind and not (local.startswith(kind + "-") and local[len(kind) + 1:].isdigit()):
        raise NotExportable(f"<{agreement}>: an agreement's IRI ends in its type or type-N (.../{kind}-2) for the CSV")
    parties = sorted(label(x["p"].value) for x in q(f"SELECT ?p WHERE {{ <{agreement}> nsp:party ?p }}"))
    when = r["y"].value if r["y"] is not None else "year unknown"
    description = r["d"].value if r["d"] is not None else ""
    from .importer import ITEM_SPLIT

    if ITEM_SPLIT.search(description):
        raise NotExportable(f"<{agreement}>: its description contains ' | ', which separates agreements in the CSV")
    return f"{local} ({when}) [{'; '.join(parties)}]: {description}"


def _findings_cell(q, case: str, prop: str) -> str:
    """`category: text | text | ...` by the findings' numbers; `: text` when a text would read as a category."""
    from .importer import ITEM_SEP, ITEM_SPLIT, finding_head

    numbered = []
    for r in q(f"""SELECT ?x ?d (GROUP_CONCAT(STR(?cat); separator=" ") AS ?cats) WHERE {{ <{case}> {prop} ?x .
                     ?x dct:description ?d OPTIONAL {{ ?x nsp:category ?cat }} }} GROUP BY ?x ?d"""):
        desc = r["d"].value
        if ITEM_SPLIT.search(desc):
            raise NotExportable(f"<{r['x'].value}>: its description contains '{ITEM_SEP}', which separates items in the CSV")
        cats = ", ".join(sorted(c.rsplit("/", 1)[-1] for c in (r["cats"].value.split() if r["cats"] is not None else [])))
        head = cats or ("" if finding_head(desc) else None)
        numbered.append((_number(r["x"].value), desc if head is None else f"{head}: {desc}"))
    return ITEM_SEP.join(_positions(case, numbered, prop.rsplit(":", 1)[-1].replace("has", "").lower()))


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
