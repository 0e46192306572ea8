"""A jurisdiction's profile (kg profile ISO3, /country/ISO3): its laws with article counts and whether
the article list is complete, its statistical office, which elements of statistical legislation its
articles cover, its positions on private data, administrative data, confidentiality and microdata (with
the articles and the level each rests on: nsp:restsOnLevel, derived at build), its amendment timeline
and its partnership cases. Read through the canned queries country-*.rq and links-elements.rq."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from . import local_name, select, short, split_concat
from .compare import UnknownCountry, resolve_country
from .links import NO_ELEMENT, element_table, iso3, legislation_elements

KEY_TOPICS = ("private-data-access", "administrative-data-access", "statistical-confidentiality", "microdata-access")


@dataclass
class Profile:
    country: str
    label: str
    laws: list[dict[str, Any]] = field(default_factory=list)
    offices: list[dict[str, Any]] = field(default_factory=list)
    elements: list[dict[str, Any]] = field(default_factory=list)  # every element but no-element, with its articles here
    positions: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def iso3(self) -> str:
        return iso3(self.country)

    def covered(self) -> list[dict[str, Any]]:
        return [e for e in self.elements if e["articles"]]

    def as_json(self) -> dict[str, Any]:
        return {"country": self.iso3, "iri": self.country, "label": self.label, "laws": self.laws, "offices": self.offices,
                "element_coverage": {"covered": len(self.covered()), "of": len(self.elements),
                                     "elements": {e["name"]: e["articles"] for e in self.elements}},
                "positions": self.positions, "amendments": self.timeline, "cases": self.cases}


def collect(store: ox.Store, given: str, root: Path | None = None) -> Profile:
    """The profile of the jurisdiction GIVEN (ISO3 code or English name); UnknownCountry if the graph has
    no such country or says nothing about it."""
    iri, label = resolve_country(store, given)
    p = Profile(iri, label)
    params = {"country": iri}
    _, laws = select(store, "country-laws", params, root)
    for r in laws:
        p.laws.append({"law": r["law"], "title": r["title"] or short(r["law"]), "date": r["date"] or "",
                       "local_id": r["localId"] or "", "statistics_law": bool(r["statistical"]),
                       "articles": r["articles"] or 0, "tagged": r["tagged"] or 0, "complete": bool(r["complete"]),
                       "inventory_level": local_name(r["inventoryLevel"]) if r["inventoryLevel"] else None})
    _, offices = select(store, "country-offices", params, root)
    p.offices = [{"office": r["office"], "label": r["label"] or short(r["office"]),
                  "established_by": split_concat(r["establishedBy"])} for r in offices]
    table = element_table(store, root, country=iri)
    for e in legislation_elements(store, root):
        if e["element"] == NO_ELEMENT:
            continue
        p.elements.append({"element": e["element"], "name": e["name"], "label": e["label"],
                           "articles": [{k: x[k] for k in ("article", "number", "heading", "law", "basis", "level")}
                                        for x in table.cell(iri, e["element"])]})
    _, rows = select(store, "country-positions", params, root)
    by_position: dict[str, dict[str, Any]] = {}
    for r in rows:
        pos = by_position.setdefault(r["p"], {
            "position": r["p"], "topic": local_name(r["topic"]), "topic_label": r["topicLabel"] or local_name(r["topic"]),
            "value": local_name(r["position"]), "value_label": r["positionLabel"] or local_name(r["position"]),
            "level": local_name(r["level"]) if r["level"] else None, "articles": []})
        if r["article"] and r["article"] not in [a["article"] for a in pos["articles"]]:
            pos["articles"].append({"article": r["article"], "number": r["number"] or "", "law": r["law"] or ""})
    order = {t: i for i, t in enumerate(KEY_TOPICS)}
    p.positions = sorted(by_position.values(), key=lambda x: (order.get(x["topic"], len(order)), x["topic"], x["position"]))
    _, rows = select(store, "country-amendments", params, root)
    entries: dict[str, dict[str, Any]] = {}
    titles = {law["law"]: law["title"] for law in p.laws}
    for r in rows:
        act_level = r["kind"] is None and r["entry"] == r["amending"]
        e = entries.setdefault(r["entry"], {
            "entry": r["entry"], "date": r["date"] or "", "kind": local_name(r["kind"]) if r["kind"] else ("amends" if act_level else ""),
            "language_version": r["languageVersion"] or "", "amending": r["amending"] or "",
            "amending_number": r["amendingNumber"] or "", "amending_act_title": r["amendingActTitle"] or "", "changed": []})
        if r["changed"] not in [c["provision"] for c in e["changed"]]:
            e["changed"].append({"provision": r["changed"], "number": r["changedNumber"] or "", "law": r["changedLaw"],
                                 "law_title": titles.get(r["changedLaw"], short(r["changedLaw"]))})
    p.timeline = sorted(entries.values(), key=lambda e: (not e["date"], e["date"], e["kind"] == "amends", e["entry"]))
    _, rows = select(store, "country-cases", params, root)
    p.cases = [{"case": r["case"], "id": r["caseId"] or local_name(r["case"]), "title": r["title"] or "",
                "type": local_name(r["type"]) if r["type"] else "", "status": local_name(r["status"]) if r["status"] else "",
                "outcome": local_name(r["outcome"]) if r["outcome"] else "",
                "start_year": r["startYear"], "end_year": r["endYear"]} for r in rows]
    if not (p.laws or p.offices or p.positions or p.cases):
        raise UnknownCountry(f"the graph holds no law, office, position or case for {label} ({p.iso3})")
    return p


def amending_label(e: dict[str, Any]) -> str:
    """The amending provision in words: its act's title, and its number when it is an article."""
    if not e["amending"]:
        return ""
    title = e["amending_act_title"] or short(e["amending"])
    return f"{title}, art./s. {e['amending_number']}" if e["amending_number"] else title


def render_text(p: Profile) -> str:
    """The profile as plain text, section by section."""
    out = [f"{p.label} ({p.iso3})", ""]
    out.append(f"Laws ({len(p.laws)}):")
    for law in p.laws:
        kind = "statistics law" if law["statistics_law"] else "act"
        complete = "complete article list" if law["complete"] else "article list not complete"
        level = f", inventory evidence {law['inventory_level']}" if law["inventory_level"] else ""
        out.append(f"  {law['date'] or '(undated)':<10} {law['title']} [{kind}]: {law['articles']} article(s), "
                   f"{law['tagged']} tagged; {complete}{level}")
    out.append(f"\nStatistical office: " + ("; ".join(o["label"] for o in p.offices) if p.offices else "(none recorded)"))
    out.append(f"\nElement coverage: {len(p.covered())} of {len(p.elements)} elements have articles")
    for e in p.elements:
        arts = ", ".join(f"{a['number'] or local_name(a['article'])} [{a['basis'] or '?'}; {a['level'] or 'no evidence'}]"
                         for a in e["articles"])
        out.append(f"  {'+' if e['articles'] else '-'} {e['label']}" + (f": {arts}" if arts else ""))
    out.append(f"\nPositions ({len(p.positions)}):")
    for pos in p.positions:
        arts = ", ".join(a["number"] or local_name(a["article"]) for a in pos["articles"]) or "no article named"
        out.append(f"  {pos['topic_label']}: {pos['value_label']} (articles: {arts}; rests on {pos['level'] or 'no evidence'})")
    out.append(f"\nAmendment timeline ({len(p.timeline)}):")
    for e in p.timeline:
        changed = ", ".join(f"art./s. {c['number']}" if c["number"] else c["law_title"] for c in e["changed"])
        amending = amending_label(e)
        by = f" by {amending}" if e["amending"] and e["amending"] != e["entry"] else ""
        lang = f" ({e['language_version']} version only)" if e["language_version"] else ""
        what = f"{amending} amends {changed}" if e["kind"] == "amends" else f"{e['kind'] or 'change'} {changed}{lang}{by}"
        out.append(f"  {e['date'] or '(undated)':<10} {what}")
    out.append(f"\nPartnership cases ({len(p.cases)}):")
    for c in p.cases:
        out.append(f"  {c['id']}: {c['title']} ({', '.join(x for x in (c['type'], c['status'], c['outcome']) if x)})")
    return "\n".join(out) + "\n"
