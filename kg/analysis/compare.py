"""Compare countries side by side: what each country's law allows on privately held data,
administrative data, microdata for research and international sharing, with the articles, the
confidence of the evidence and its source addresses."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import local_name, sparql, select, split_concat
from .links import COUNTRY

TOPICS = [("private-data-access", "privately held data"), ("administrative-data-access", "administrative data"),
          ("microdata-access", "microdata for research"), ("international-sharing", "international sharing")]


class UnknownCountry(ValueError):
    pass


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold().strip()


def resolve_country(store: ox.Store, given: str) -> tuple[str, str]:
    """An ISO3 code or a country name (English label or alternative label) -> (IRI, label)."""
    rows = sparql(store, f"""SELECT ?c ?label ?alt WHERE {{
        ?c skos:prefLabel ?label FILTER(STRSTARTS(STR(?c), "{COUNTRY}") && langMatches(lang(?label), "en"))
        OPTIONAL {{ ?c skos:altLabel ?alt }} }}""")
    labels: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    for r in rows:
        labels[r["c"]] = r["label"]
        names.setdefault(r["c"], set()).update(_fold(x) for x in (r["label"], r["alt"]) if x)
    code = given.strip().upper()
    if len(code) == 3 and COUNTRY + code in labels:
        return COUNTRY + code, labels[COUNTRY + code]
    wanted = _fold(given)
    exact = [c for c, ns in names.items() if wanted in ns]
    if len(exact) == 1:
        return exact[0], labels[exact[0]]
    partial = sorted(c for c, ns in names.items() if any(wanted in n for n in ns))
    if len(partial) == 1:
        return partial[0], labels[partial[0]]
    if partial:
        raise UnknownCountry(f"{given!r} is ambiguous: " + ", ".join(f"{labels[c]} ({c.removeprefix(COUNTRY)})" for c in partial))
    raise UnknownCountry(f"no country {given!r} in the graph (give an ISO3 code such as FRA or an English name)")


@dataclass
class TopicView:
    topic: str
    position: str = ""
    note: str = ""
    provisions: list[dict[str, Any]] = field(default_factory=list)
    confidence: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)


@dataclass
class CountryView:
    iri: str
    label: str
    topics: dict[str, TopicView]

    @property
    def iso3(self) -> str:
        return self.iri.removeprefix(COUNTRY)


def country_view(store: ox.Store, iri: str, label: str, root: Path | None = None) -> CountryView:
    views = {t: TopicView(t) for t, _ in TOPICS}
    _, positions = select(store, "compare-positions", {"country": iri}, root)
    _, effects = select(store, "compare-effects", {"country": iri}, root)
    supporting: dict[str, set[str]] = {t: set() for t in views}
    for r in positions:
        v = views[local_name(r["topic"])]
        v.position = r["positionLabel"] or local_name(r["position"])
        v.note = r["note"] or v.note
        if r["supportingArticle"]:
            supporting[v.topic].add(r["supportingArticle"])
        if r["confidence"]:
            v.confidence.add(local_name(r["confidence"]))
        if r["source"] and r["source"] not in v.sources:
            v.sources.append(r["source"])
    for r in effects:
        v = views[local_name(r["topic"])]
        v.provisions.append({"article": r["article"], "number": r["number"] or local_name(r["article"]),
                             "law": r["lawTitle"] or local_name(r["law"]), "modality": r["modalityLabel"] or "",
                             "conditions": r["conditions"] or "",
                             "confidence": sorted(local_name(c) for c in split_concat(r["confidence"])),
                             "supports_position": r["article"] in supporting[v.topic]})
        v.confidence.update(local_name(c) for c in split_concat(r["confidence"]))
        for s in split_concat(r["sources"]):
            if s not in v.sources:
                v.sources.append(s)
    return CountryView(iri, label, views)


def compare(store: ox.Store, countries: list[str], root: Path | None = None) -> list[CountryView]:
    out = []
    for given in countries:
        iri, label = resolve_country(store, given)
        out.append(country_view(store, iri, label, root))
    return out


def cell_text(v: TopicView) -> str:
    """One table cell: position, articles with modality and confidence, sources."""
    lines = [f"position: {v.position or 'none recorded'}"]
    if v.note:
        lines.append(f"  ({v.note})")
    for p in v.provisions:
        mark = "*" if p["supports_position"] else "-"
        cond = f"; {p['conditions']}" if p["conditions"] else ""
        lines.append(f"{mark} {p['law']} art./s. {p['number']}: {p['modality']}{cond} [{', '.join(p['confidence']) or '?'}]")
    if not v.provisions:
        lines.append("- no article recorded on this topic")
    lines.append("confidence: " + (", ".join(sorted(v.confidence)) or "none recorded"))
    lines += [f"source: {s}" for s in v.sources]
    return "\n".join(lines)


def as_dict(views: list[CountryView]) -> list[dict[str, Any]]:
    return [{"country": v.iso3, "label": v.label, "iri": v.iri,
             "topics": {t: {"position": tv.position, "note": tv.note, "provisions": tv.provisions,
                            "confidence": sorted(tv.confidence), "sources": tv.sources}
                        for t, tv in v.topics.items()}} for v in views]


def as_markdown(views: list[CountryView]) -> str:
    header = "| topic | " + " | ".join(f"{v.label} ({v.iso3})" for v in views) + " |"
    lines = [header, "|" + "---|" * (len(views) + 1)]
    for t, label in TOPICS:
        cells = [cell_text(v.topics[t]).replace("|", "\\|").replace("\n", "<br>") for v in views]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
