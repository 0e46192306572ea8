"""Law links for the legislation task force: a networkx graph of laws, articles and their relations
(ELI relations, provision mappings to the Generic Law, shared provision effects), the coverage matrix
country x Generic Law article (through direct mappings, else through the elements of statistical
legislation the articles are tagged with), articles without counterpart, amendment chains, most cited
provisions, GraphML/GEXF export, the comparative table jurisdiction x element (`element_table`), and
mapping suggestions that only enter the graph through an explicit review.

Suggestions are never written as RDF: `suggest` writes a review CSV; `accept` turns the rows a
reviewer marked accept=yes into assessed nsp:ProvisionMapping nodes in a Turtle file under data/laws/
(validated with the rest of the graph first, all or nothing). They reach the store on the next build."""
from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from . import local_name, select, short
from .. import BASE, NSP, VOCAB, project_root

GLOS = BASE + "eli/int/model-law/glos/2016"
ELI = "http://data.europa.eu/eli/ontology#"
COUNTRY = "http://publications.europa.eu/resource/authority/country/"
MATCH = VOCAB + "match-degree/"
DEGREES = ("equivalent", "partial", "broader", "narrower")
MAPPED, PARTLY, MISSING = "mapped", "partly mapped", "missing"
VIA_ELEMENT = "via element"
ELEMENT_SCHEME = VOCAB + "legislation-element"
ELEM = ELEMENT_SCHEME + "/"
NO_ELEMENT = ELEM + "no-element"
CONF = VOCAB + "confidence/"
RELATIONS = ("is_part_of", "cites", "amends", "applies", "transposes", "based_on", "repeals")
CITING_RELATIONS = ("cites", "amends", "applies", "transposes", "based_on", "repeals")
REVIEWED_FILE = "data/laws/int-glos-mappings-reviewed.ttl"
CSV_COLUMNS = ["rank", "score", "source", "source_jurisdiction", "source_law", "source_number", "source_title",
               "target", "target_number", "target_title", "match_degree", "reason", "accept", "reviewer", "note"]
YES = {"yes", "y", "true", "1", "x", "accept", "accepted"}
NO = {"", "no", "n", "false", "0", "reject", "rejected"}
STOPWORDS = {"with", "from", "that", "this", "other", "their", "under", "into", "upon", "such", "these", "those",
             "where", "which", "shall", "about", "general", "provisions", "provision", "article", "section",
             "statistics", "statistical", "official", "office", "law", "laws", "act", "acts", "national", "part"}


# ---------------------------------------------------------------------------------------------
# Reading the graph
# ---------------------------------------------------------------------------------------------

@dataclass
class LawLinks:
    graph: nx.MultiDiGraph
    resources: dict[str, dict[str, Any]]
    mappings: list[dict[str, Any]]
    effects: dict[str, set[tuple[str, str]]]  # article -> {(modality, topic)}
    relations: list[dict[str, Any]]
    case_citations: dict[str, int]
    model: str = GLOS
    queries: list[str] = field(default_factory=list)
    elements: dict[str, set[str]] = field(default_factory=dict)  # article -> elements it is tagged with

    def model_articles(self) -> list[str]:
        arts = [r for r, d in self.resources.items() if d["law"] == self.model and d["kind"] == "article"]
        return sorted(arts, key=lambda a: _number_key(self.resources[a]["number"]))

    def national_articles(self) -> list[str]:
        return sorted(r for r, d in self.resources.items() if d["kind"] == "article" and _is_country(d["jurisdiction"]))

    def jurisdictions(self) -> list[str]:
        return sorted({d["jurisdiction"] for d in self.resources.values() if _is_country(d["jurisdiction"])})


def _is_country(iri: str | None) -> bool:
    return bool(iri) and iri.startswith(COUNTRY)


def _number_key(number: str | None) -> tuple:
    parts = re.findall(r"\d+|\D+", number or "")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def iso3(iri: str | None) -> str:
    return (iri or "").removeprefix(COUNTRY) if _is_country(iri) else local_name(iri) or "?"


def read(store: ox.Store, root: Path | None = None, model: str = GLOS) -> LawLinks:
    """Run the links-*.rq queries and build the graph."""
    names = ["links-legal-resources", "links-law-relations", "links-provision-mappings",
             "links-provision-effects", "links-case-citations", "links-element-tags"]
    rows = {n: select(store, n, root=root)[1] for n in names}
    seen, relations = set(), []
    for r in rows["links-law-relations"]:  # a triple asserted and also inferred comes once
        if (key := (r["source"], r["relation"], r["target"])) not in seen:
            seen.add(key)
            relations.append(r)
    resources = {}
    for r in rows["links-legal-resources"]:
        resources.setdefault(r["resource"], r)
    effects: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for r in rows["links-provision-effects"]:
        effects[r["article"]].add((r["modality"], r["topic"]))
    tags: dict[str, set[str]] = defaultdict(set)
    for r in rows["links-element-tags"]:
        tags[r["article"]].add(r["element"])
    links = LawLinks(nx.MultiDiGraph(), resources, rows["links-provision-mappings"], dict(effects),
                     relations, {r["provision"]: r["cases"] for r in rows["links-case-citations"]},
                     model, names, dict(tags))
    _build_graph(links)
    return links


def _node_attrs(d: dict[str, Any]) -> dict[str, str]:
    label = d["title"] or d["lawTitle"] or local_name(d["resource"])
    if d["kind"] == "article":
        label = f"{iso3(d['jurisdiction'])} {d['lawTitle'] or ''} {d['number'] or ''}".strip()
    return {"label": label, "kind": d["kind"], "jurisdiction": iso3(d["jurisdiction"]),
            "law": d["law"], "number": d["number"] or "", "title": d["title"] or "", "date": d["date"] or ""}


def _build_graph(links: LawLinks) -> None:
    g = links.graph
    for iri, d in links.resources.items():
        g.add_node(iri, **_node_attrs(d))
    for r in links.relations:
        rel = local_name(r["relation"])
        g.add_edge(r["source"], r["target"], key=rel, relation=rel, degree="", reason="")
    for m in links.mappings:
        g.add_edge(m["source"], m["target"], key="mapping", relation="mapping", degree=local_name(m["degree"]),
                   reason=m["description"] or "")
    # Shared provision effects: articles whose effects have the same modality and topic.
    by_effect: dict[tuple[str, str], list[str]] = defaultdict(list)
    for article, pairs in links.effects.items():
        for pair in pairs:
            if article in links.resources:
                by_effect[pair].append(article)
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (modality, topic), articles in by_effect.items():
        articles = sorted(set(articles))
        for i, a in enumerate(articles):
            for b in articles[i + 1:]:
                shared[(a, b)].append(f"{local_name(modality)} x {local_name(topic)}")
    for (a, b), reasons in shared.items():
        g.add_edge(a, b, key="shared_effect", relation="shared_effect", degree="", reason="; ".join(sorted(reasons)))


# ---------------------------------------------------------------------------------------------
# Analyses
# ---------------------------------------------------------------------------------------------

def status_of(degrees: set[str]) -> str:
    """mapped when some mapping is equivalent; partly mapped when only partial, broader or narrower."""
    if "equivalent" in degrees:
        return MAPPED
    return PARTLY if degrees else MISSING


def coverage(links: LawLinks, via_elements: bool = False) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """(jurisdictions, model articles, {(jurisdiction, article): status}) for every pair.

    Status from the direct provision mappings (mapped, partly mapped, missing). With via_elements, a
    pair with no mapping is "via element" when the jurisdiction has an article tagged with an element
    (not no-element) that the model-law article is tagged with (see `element_counterparts`)."""
    degrees: dict[tuple[str, str], set[str]] = defaultdict(set)
    for m in links.mappings:
        src, tgt = links.resources.get(m["source"]), links.resources.get(m["target"])
        if src and tgt and tgt["law"] == links.model and _is_country(src["jurisdiction"]):
            degrees[(src["jurisdiction"], m["target"])].add(local_name(m["degree"]))
    juris, arts = links.jurisdictions(), links.model_articles()
    matrix = {(j, a): status_of(degrees.get((j, a), set())) for j in juris for a in arts}
    if via_elements:
        through = element_counterparts(links)
        for key, status in matrix.items():
            if status == MISSING and through.get(key):
                matrix[key] = VIA_ELEMENT
    return juris, arts, matrix


def element_counterparts(links: LawLinks) -> dict[tuple[str, str], list[str]]:
    """{(jurisdiction, model-law article): national articles tagged with one of its elements}, for the
    model-law articles that are tagged (no-element never links)."""
    by_element: dict[tuple[str, str], set[str]] = defaultdict(set)  # (jurisdiction, element) -> articles
    for article, elements in links.elements.items():
        d = links.resources.get(article)
        if d and d["kind"] == "article" and _is_country(d["jurisdiction"]):
            for e in elements - {NO_ELEMENT}:
                by_element[(d["jurisdiction"], e)].add(article)
    out: dict[tuple[str, str], list[str]] = {}
    for a in links.model_articles():
        elements = links.elements.get(a, set()) - {NO_ELEMENT}
        for j in links.jurisdictions():
            found = set().union(*(by_element.get((j, e), set()) for e in elements)) if elements else set()
            if found:
                out[(j, a)] = sorted(found, key=lambda x: (links.resources[x]["law"], _number_key(links.resources[x]["number"])))
    return out


def without_counterpart(links: LawLinks) -> tuple[list[str], list[str]]:
    """National articles mapped to no model-law article, and model-law articles no national article maps to."""
    mapped_src = {m["source"] for m in links.mappings
                  if links.resources.get(m["target"], {}).get("law") == links.model}
    mapped_tgt = {m["target"] for m in links.mappings
                  if _is_country(links.resources.get(m["source"], {}).get("jurisdiction"))}
    return ([a for a in links.national_articles() if a not in mapped_src],
            [a for a in links.model_articles() if a not in mapped_tgt])


def amendment_chains(links: LawLinks) -> list[dict[str, Any]]:
    """For each amended act: its amending acts in date order (with the articles they touch), and the
    longest chains A amends B amends C through acts that are themselves amended."""
    law_of = {r: d["law"] for r, d in links.resources.items()}
    amenders: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in links.relations:
        if local_name(r["relation"]) != "amends":
            continue
        src_law, tgt_law = law_of.get(r["source"], r["source"]), law_of.get(r["target"], r["target"])
        if src_law == tgt_law:
            continue
        touched = amenders[tgt_law][src_law]
        if r["target"] != tgt_law:
            touched.add(links.resources[r["target"]]["number"] or local_name(r["target"]))
    dag = nx.DiGraph()
    for tgt, srcs in amenders.items():
        for src in srcs:
            dag.add_edge(src, tgt)

    def date(law: str) -> str:
        d = links.resources.get(law, {})
        if d.get("date"):
            return str(d["date"])
        m = re.search(r"/(1[89]\d\d|20\d\d)/", law)
        return m.group(1) if m else "?"

    out = []
    for tgt in sorted(amenders, key=lambda t: (iso3(links.resources.get(t, {}).get("jurisdiction")), t)):
        steps = sorted(amenders[tgt].items(), key=lambda kv: (date(kv[0]), kv[0]))
        chains = []
        if nx.is_directed_acyclic_graph(dag):
            for src in nx.ancestors(dag, tgt):
                if dag.in_degree(src) == 0:
                    for path in nx.all_simple_paths(dag, src, tgt):
                        if len(path) > 2:
                            chains.append(path)
        out.append({"law": tgt, "title": _title(links, tgt), "jurisdiction": iso3(links.resources.get(tgt, {}).get("jurisdiction")),
                    "amended_by": [{"law": s, "title": _title(links, s), "date": date(s), "articles": sorted(a, key=_number_key)}
                                   for s, a in steps],
                    "chains": chains})
    return out


def _title(links: LawLinks, iri: str) -> str:
    d = links.resources.get(iri)
    if not d:
        return short(iri)
    return d["title"] or d["lawTitle"] or short(iri)


def most_cited(links: LawLinks, limit: int = 10) -> list[dict[str, Any]]:
    """Provisions (laws or articles) that other provisions cite, amend, apply, transpose, base on or
    repeal, plus cases naming them as legal basis and national provisions mapped to them."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in links.relations:
        rel = local_name(r["relation"])
        if rel in CITING_RELATIONS:
            counts[r["target"]][rel] += 1
    for m in links.mappings:
        counts[m["target"]]["mapped from"] += 1
    for provision, n in links.case_citations.items():
        counts[provision]["legal basis of cases"] += n
    ranked = sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    return [{"provision": p, "label": _provision_label(links, p), "total": sum(c.values()), "by": dict(c)}
            for p, c in ranked[:limit]]


def _provision_label(links: LawLinks, iri: str) -> str:
    d = links.resources.get(iri)
    if not d:
        return short(iri)
    if d["kind"] == "article":
        return f"{iso3(d['jurisdiction'])} {d['lawTitle'] or short(d['law'])}, art./s. {d['number']}" + (f" ({d['title']})" if d["title"] else "")
    return f"{iso3(d['jurisdiction'])} {d['title'] or short(iri)}"


def export(links: LawLinks, graphml: Path | None = None, gexf: Path | None = None) -> None:
    """Write GraphML and/or GEXF (Gephi); each file is written whole or not at all."""
    for path, writer in ((graphml, nx.write_graphml), (gexf, nx.write_gexf)):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        writer(links.graph, tmp)
        tmp.replace(path)


# ---------------------------------------------------------------------------------------------
# The comparative table jurisdiction x element of statistical legislation
# ---------------------------------------------------------------------------------------------

LEVEL_RULE = ("level of a link: the strongest level of the article's own provision-effect evidence where it has "
              "effects (from: article), else that of its law's inventory evidence, the table of contents read "
              "(from: inventory); none when neither is recorded. basis: what the tag was read from (heading or text).")
ELEMENT_CSV_COLUMNS = ["jurisdiction", "element", "element_label", "law", "law_title", "article", "number", "heading",
                       "page", "basis", "level", "level_from"]


class UnknownElement(ValueError):
    """An element name that is not in the legislation-element scheme."""


@dataclass
class ElementTable:
    """Cells (jurisdiction, element) -> the articles tagged with the element, each with its evidence level."""
    elements: list[dict[str, Any]]  # {element, name, label, definition}
    jurisdictions: list[str]        # country IRIs
    cells: dict[tuple[str, str], list[dict[str, Any]]]

    def cell(self, jurisdiction: str, element: str) -> list[dict[str, Any]]:
        return self.cells.get((jurisdiction, element), [])

    def subset(self, element: str | None = None, country: str | None = None) -> "ElementTable":
        """The same table cut to one element and/or one jurisdiction (the query's parameters, in Python)."""
        elements = [e for e in self.elements if element is None or e["element"] == element]
        jurisdictions = [j for j in self.jurisdictions if country is None or j == country] or ([country] if country else [])
        keep = {e["element"] for e in elements}
        return ElementTable(elements, jurisdictions, {k: v for k, v in self.cells.items() if k[0] in jurisdictions and k[1] in keep})

    def links(self) -> list[dict[str, Any]]:
        """Every link, in table order (jurisdiction, element, law, article number)."""
        return [link for j in self.jurisdictions for e in self.elements for link in self.cell(j, e["element"])]

    def as_json(self) -> dict[str, Any]:
        return {"elements": self.elements, "jurisdictions": [iso3(j) for j in self.jurisdictions],
                "cells": {iso3(j): {e["name"]: self.cell(j, e["element"]) for e in self.elements if self.cell(j, e["element"])}
                          for j in self.jurisdictions},
                "level_rule": LEVEL_RULE}


def legislation_elements(store: ox.Store, root: Path | None = None) -> list[dict[str, Any]]:
    """The scheme's elements (no-element last), by notation where given, else label."""
    _, rows = select(store, "legislation-elements", root=root)
    out = [{"element": r["element"], "name": local_name(r["element"]), "label": r["label"] or local_name(r["element"]),
            "definition": r["definition"] or "", "articles": r["articles"], "jurisdictions": r["jurisdictions"]}
           for r in rows]
    return sorted(out, key=lambda e: (e["element"] == NO_ELEMENT, _number_key(next(
        (r["notation"] for r in rows if r["element"] == e["element"] and r["notation"]), "")), e["label"].lower()))


def resolve_element(store: ox.Store, given: str, root: Path | None = None) -> str:
    """An element's IRI from its IRI or its local name (statistical-confidentiality)."""
    known = {e["element"]: e for e in legislation_elements(store, root)}
    iri = given if given.startswith(("http://", "https://")) else ELEM + given.removeprefix("elem:")
    if iri == NO_ELEMENT:
        raise UnknownElement("no-element marks articles on nothing in the scheme; it is not a column of the table")
    if iri not in known:
        names = ", ".join(sorted(e["name"] for e in known.values()))
        raise UnknownElement(f"{given!r} is not an element of statistical legislation; known: {names or '(none: is the scheme loaded?)'}")
    return iri


def element_table(store: ox.Store, root: Path | None = None, element: str | None = None,
                  country: str | None = None) -> ElementTable:
    """The comparative table from the canned query links-elements (same parameters): every element of
    the scheme but no-element (or only `element`) x every country with a tagged article (or only `country`)."""
    params = {k: v for k, v in (("element", element), ("country", country)) if v}
    _, rows = select(store, "links-elements", params, root)
    elements = [e for e in legislation_elements(store, root) if e["element"] != NO_ELEMENT
                and (element is None or e["element"] == element)]
    elements = [{k: e[k] for k in ("element", "name", "label", "definition")} for e in elements]
    cells: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        cells[(r["country"], r["element"])].append({
            "article": r["article"], "number": r["number"] or "", "heading": r["heading"] or "", "law": r["law"],
            "law_title": r["lawTitle"] or "", "page": r["page"] or "", "basis": r["basis"] or "",
            "level": local_name(r["level"]) if r["level"] else None, "level_from": r["levelFrom"]})
    for links in cells.values():
        links.sort(key=lambda x: (x["law"], _number_key(x["number"]), x["article"]))
    jurisdictions = sorted({j for j, _ in cells} | ({country} if country else set()))
    return ElementTable(elements, jurisdictions, dict(cells))


def write_element_csv(table: ElementTable, handle) -> None:
    """One row per link (a cell is the rows sharing jurisdiction and element); cells neutralised for spreadsheets."""
    from ..csvsafe import neutralise

    labels = {e["element"]: e["label"] for e in table.elements}
    writer = csv.DictWriter(handle, ELEMENT_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for j in table.jurisdictions:
        for e in table.elements:
            for link in table.cell(j, e["element"]):
                writer.writerow({k: neutralise(str(v)) if v is not None else "" for k, v in {
                    "jurisdiction": iso3(j), "element": e["name"], "element_label": labels[e["element"]],
                    "law": link["law"], "law_title": link["law_title"], "article": link["article"],
                    "number": link["number"], "heading": link["heading"], "page": link["page"],
                    "basis": link["basis"], "level": link["level"], "level_from": link["level_from"]}.items()})


def render_element_text(table: ElementTable) -> str:
    """The table as text, one block per element: each jurisdiction's articles with basis and level."""
    lines = [f"Elements of statistical legislation: {len(table.jurisdictions)} jurisdiction(s) x {len(table.elements)} element(s), "
             f"{len(table.links())} article link(s)", f"({LEVEL_RULE})"]
    several = {j for j in table.jurisdictions if len({x["law"] for e in table.elements for x in table.cell(j, e["element"])}) > 1}
    for e in table.elements:
        lines.append(f"\n{e['label']} [{e['name']}]")
        found = False
        for j in table.jurisdictions:
            cell = table.cell(j, e["element"])
            if not cell:
                continue
            found = True
            parts = [(f"{x['law_title'] or short(x['law'])} " if j in several else "")
                     + f"{x['number'] or local_name(x['article'])}" + (f" {x['heading']}" if x["heading"] else "")
                     + f" [{x['basis'] or 'basis?'}; {x['level'] or 'no evidence'}"
                     + (f" ({x['level_from']})" if x["level_from"] else "") + "]" for x in cell]
            lines.append(f"  {iso3(j):<5}{'; '.join(parts)}")
        if not found:
            lines.append("  (no article tagged)")
    missing = [iso3(j) for j in table.jurisdictions if not any(table.cell(j, e["element"]) for e in table.elements)]
    if missing:
        lines.append("\nNo tagged article: " + ", ".join(missing))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Suggestions (never asserted) and their review
# ---------------------------------------------------------------------------------------------

@dataclass
class Suggestion:
    source: str
    target: str
    score: float
    degree: str
    reason: str


def _words(text: str | None) -> dict[str, str]:
    """Content words of a title by a crude stem (first six letters) -> the word itself."""
    out = {}
    for word in re.findall(r"[a-zA-Z\u00C0-\u024F]{4,}", text or ""):
        w = word.lower()
        if w not in STOPWORDS:
            out.setdefault(w[:6], w)
    return out


def suggest(links: LawLinks) -> list[Suggestion]:
    """Candidate mappings national article -> model-law article, ranked, with the reason.

    Score: 3 per shared (modality, topic) effect, 1 per further shared topic, 0.5 per shared title word.
    Pairs already mapped are left out. A pair needs a shared topic or a shared title word."""
    mapped = {(m["source"], m["target"]) for m in links.mappings}
    out = []
    targets = links.model_articles()
    for a in links.national_articles():
        a_eff = links.effects.get(a, set())
        a_topics = {t for _, t in a_eff}
        a_words = _words(links.resources[a]["title"])
        for g in targets:
            if (a, g) in mapped:
                continue
            g_eff = links.effects.get(g, set())
            g_topics = {t for _, t in g_eff}
            same = a_eff & g_eff
            topics = (a_topics & g_topics) - {t for _, t in same}
            words = sorted(a_words[k] for k in a_words.keys() & _words(links.resources[g]["title"]).keys())
            if not (same or topics or words):
                continue
            score = 3 * len(same) + len(topics) + 0.5 * len(words)
            reasons = []
            if same:
                reasons.append("same effect: " + ", ".join(sorted(f"{local_name(m)} on {local_name(t)}" for m, t in same)))
            if topics:
                reasons.append("same topic: " + ", ".join(sorted(local_name(t) for t in topics)))
            if words:
                reasons.append("shared title words: " + ", ".join(words))
            degree = "equivalent" if a_eff and a_eff == g_eff else "partial"
            out.append(Suggestion(a, g, score, degree, "; ".join(reasons)))
    out.sort(key=lambda s: (-s.score, s.source, s.target))
    return out


def write_suggestions(links: LawLinks, suggestions: list[Suggestion], path: Path) -> Path:
    """The review CSV: a reviewer sets accept=yes, their name in reviewer, and may correct match_degree."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        for i, s in enumerate(suggestions, 1):
            src, tgt = links.resources[s.source], links.resources[s.target]
            writer.writerow({"rank": i, "score": f"{s.score:g}", "source": s.source,
                             "source_jurisdiction": iso3(src["jurisdiction"]), "source_law": src["lawTitle"] or "",
                             "source_number": src["number"] or "", "source_title": src["title"] or "",
                             "target": s.target, "target_number": tgt["number"] or "", "target_title": tgt["title"] or "",
                             "match_degree": s.degree, "reason": s.reason, "accept": "", "reviewer": "", "note": ""})
    tmp.replace(path)
    return path


class ReviewError(Exception):
    """The review file cannot be accepted as a whole; nothing was written."""


def _key(iri: str) -> str:
    for prefix in (BASE + "eli/", "http://data.europa.eu/eli/"):
        if iri.startswith(prefix):
            iri = ("eu-" if prefix.startswith("http://data") else "") + iri[len(prefix):]
            break
    else:
        iri = re.sub(r"^[a-z]+://(www\.)?", "", iri)
    return re.sub(r"-+", "-", re.sub(r"[^A-Za-z0-9_]+", "-", iri)).strip("-").lower()


def mapping_iri(source: str, target: str) -> str:
    return f"{BASE}id/mapping/{_key(source)}--{_key(target)}"


def person_iri(name: str) -> str:
    return f"{BASE}id/person/{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-') or 'reviewer'}"


def accept(csv_path: Path, store: ox.Store, root: Path | None = None, out: Path | None = None,
           now: datetime | None = None) -> tuple[Path, list[str]]:
    """Turn the rows marked accepted into nsp:ProvisionMapping nodes appended to a Turtle file under
    data/laws/ (default int-glos-mappings-reviewed.ttl). Every accepted row is checked, then the file
    is validated with the whole graph; any problem raises ReviewError and nothing is written.
    Returns the file and the IRIs of the new mappings."""
    from ..pipeline import check, load
    from ..sources import SourceFile, discover, graph_iri
    from ..validation import format_report

    root = root or project_root()
    out = out or root / REVIEWED_FILE
    try:
        out.resolve().relative_to((root / "data" / "laws").resolve())
    except ValueError:
        raise ReviewError(f"{out}: accepted mappings go to a file under data/laws/") from None
    if out.suffix != ".ttl":
        raise ReviewError(f"{out}: the output must be a .ttl file")
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"source", "target", "match_degree", "accept", "reviewer"} - set(reader.fieldnames or [])
        if missing:
            raise ReviewError(f"{csv_path}: missing column(s) {', '.join(sorted(missing))}")
        rows = list(reader)

    def known(iri: str) -> bool:
        try:
            return bool(store.query(f"ASK {{ <{iri}> a <{ELI}LegalResource> }}", use_default_graph_as_union=True))
        except (SyntaxError, ValueError):
            return False

    def exists(iri: str) -> bool:
        return bool(store.query(f"ASK {{ <{iri}> ?p ?o }}", use_default_graph_as_union=True))

    errors, accepted, seen = [], [], set()
    existing_text = out.read_text(encoding="utf-8") if out.exists() else ""
    for line, row in enumerate(rows, 2):
        decision = (row.get("accept") or "").strip().lower()
        if decision in NO:
            continue
        if decision not in YES:
            errors.append(f"line {line}: accept={row['accept']!r} is neither yes nor no")
            continue
        src, tgt = (row.get("source") or "").strip(), (row.get("target") or "").strip()
        reviewer = (row.get("reviewer") or "").strip()
        degree = (row.get("match_degree") or "").strip().lower()
        if not reviewer:
            errors.append(f"line {line}: accepted without a reviewer name")
        if degree not in DEGREES:
            errors.append(f"line {line}: match_degree {degree!r} is not one of {', '.join(DEGREES)}")
        for role, iri in (("source", src), ("target", tgt)):
            if not known(iri):
                errors.append(f"line {line}: {role} {iri!r} is not a law or article in the graph")
        iri = mapping_iri(src, tgt)
        if iri in seen:
            errors.append(f"line {line}: the same pair is accepted twice")
        elif exists(iri) or f"<{iri}>" in existing_text:
            errors.append(f"line {line}: a mapping {short(iri)} already exists")
        seen.add(iri)
        accepted.append((iri, src, tgt, degree, reviewer, (row.get("reason") or "").strip(), (row.get("note") or "").strip()))
    if errors:
        raise ReviewError("nothing was written:\n  " + "\n  ".join(errors))
    if not accepted:
        raise ReviewError(f"{csv_path}: no row is marked accept=yes; nothing was written")

    stamp = (now or datetime.now(timezone.utc)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    block = _turtle(accepted, stamp, csv_path.name)
    text = (existing_text.rstrip() + "\n\n" if existing_text else _HEADER) + block
    # Validate the candidate file together with the rest of the graph before writing it.
    with tempfile.TemporaryDirectory() as tmpdir:
        candidate = Path(tmpdir) / out.name
        candidate.write_text(text, encoding="utf-8")
        sources = [s for s in discover(root) if s.path.resolve() != out.resolve()]
        sources.append(SourceFile(candidate, graph_iri(out, root)))
        try:
            report = check(load(sources), root)
        except Exception as exc:  # a parse error in the generated file
            raise ReviewError(f"the generated Turtle does not load: {exc}; nothing was written") from None
        if not report.conforms:
            raise ReviewError("the accepted mappings do not validate; nothing was written:\n"
                              + format_report(report, root, show_warnings=False))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    return out, [a[0] for a in accepted]


_HEADER = """# Provision mappings accepted by a reviewer from `kg links suggest` (written by `kg links accept`).
# Each mapping is an assessment: who accepted it, when, and the reason the suggestion gave.

"""


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ") + '"'


def _turtle(accepted: list[tuple], stamp: str, csv_name: str) -> str:
    lines = [
        f"@prefix nsp:  <{NSP}> .",
        "@prefix prov: <http://www.w3.org/ns/prov#> .",
        "@prefix dct:  <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
        "@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .",
        "",
        f"# Accepted {stamp} from {csv_name}",
    ]
    people = {}
    for iri, src, tgt, degree, reviewer, reason, note in accepted:
        person = person_iri(reviewer)
        people[person] = reviewer
        why = f"Suggested by kg links suggest ({reason or 'no reason given'}) and accepted by {reviewer}."
        if note:
            why += f" Reviewer's note: {note}"
        lines += [
            f"<{iri}> a nsp:ProvisionMapping ;",
            f"    nsp:sourceProvision <{src}> ;",
            f"    nsp:targetProvision <{tgt}> ;",
            f"    nsp:matchDegree <{MATCH}{degree}> ;",
            f"    prov:wasAttributedTo <{person}> ;",
            f'    prov:generatedAtTime "{stamp}"^^xsd:dateTime ;',
            f"    dct:description {_lit(why)}@en .",
            "",
        ]
    for person, name in sorted(people.items()):
        lines += [f"<{person}> a foaf:Person , prov:Agent ;", f"    rdfs:label {_lit(name)} .", ""]
    return "\n".join(lines)
