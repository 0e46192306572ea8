"""The evidence audit (`kg audit`, /audit): how strong each fact's support is, and where it falls short.

Reports, from the store:
- facts by evidence level per jurisdiction (provision effects, provision changes and mappings at the
  best level of their evidence nodes; positions at the level they rest on, the weakest of theirs) and
  per case (the case's own level and the levels of its findings' evidence);
- positions that rest only on `secondary` or `recalled` evidence;
- evidence whose `nsp:locatesProvision` names a different provision than the fact it supports (not
  the fact's provision, a part of it, or the provision that inserted or amended it; facts about no
  provision are not compared). At level `text-read` that breaks the rules (the quote must come from
  the provision itself); at `secondary` it is reported (a description read in another instrument);
- `text-read` evidence without a quote or without the provision it was read in.
The rules are in docs/evidence.md.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from . import local_name, short, sparql

LEVELS = ("text-read", "secondary", "recalled")
PREFIXES = """PREFIX nsp: <https://w3id.org/nso-partnership/ontology#>
PREFIX eli: <http://data.europa.eu/eli/ontology#>
PREFIX conf: <https://w3id.org/nso-partnership/vocab/confidence/>
"""
_RANK = """VALUES (?cf ?rank) { (conf:recalled 0) (conf:secondary 1) (conf:text-read 2) }"""

# One row per fact: kind, jurisdiction, best and worst evidence rank.
FACTS = PREFIXES + """
SELECT ?fact ?kind ?country (MAX(?rank) AS ?best) (MIN(?rank) AS ?worst) WHERE {
  { ?fact a nsp:ProvisionEffect ; nsp:grantedBy/nsp:topLevelAct/eli:jurisdiction ?country . BIND("effect" AS ?kind) }
  UNION { ?fact a nsp:ProvisionChange ; nsp:changedProvision/nsp:topLevelAct/eli:jurisdiction ?country . BIND("change" AS ?kind) }
  UNION { ?fact a nsp:ProvisionMapping ; nsp:sourceProvision/nsp:topLevelAct/eli:jurisdiction ?country . BIND("mapping" AS ?kind) }
  UNION { ?fact a nsp:JurisdictionPosition ; nsp:jurisdiction ?country . BIND("position" AS ?kind) }
  OPTIONAL { ?fact nsp:evidence/nsp:confidence ?cf . """ + _RANK + """ }
} GROUP BY ?fact ?kind ?country"""

POSITIONS = PREFIXES + """
SELECT ?position ?country ?topic ?value ?level
       (GROUP_CONCAT(DISTINCT ?locator; separator="; ") AS ?locators) WHERE {
  ?position a nsp:JurisdictionPosition ; nsp:jurisdiction ?country ; nsp:topic ?topic ; nsp:position ?value .
  OPTIONAL { ?position nsp:restsOnLevel ?level }
  OPTIONAL { ?position nsp:evidence/nsp:locator ?locator }
} GROUP BY ?position ?country ?topic ?value ?level"""

# Evidence naming a provision, with the provisions the supported fact is about: its own, and the
# amending provisions of recorded changes to them (an inserted article's text is read in the provision
# that inserted it).
LOCATED = PREFIXES + """
SELECT ?fact ?evidence ?located ?locator ?level (GROUP_CONCAT(DISTINCT STR(?own); separator=" ") AS ?owns)
       (GROUP_CONCAT(DISTINCT STR(?amender); separator=" ") AS ?amenders) WHERE {
  ?fact nsp:evidence ?evidence . ?evidence nsp:locatesProvision ?located .
  OPTIONAL { ?evidence nsp:locator ?locator }
  OPTIONAL { ?evidence nsp:confidence ?level }
  OPTIONAL {
    { ?fact nsp:grantedBy ?own } UNION { ?fact nsp:changedProvision ?own } UNION { ?fact nsp:amendingProvision ?own }
    UNION { ?fact nsp:sourceProvision ?own } UNION { ?fact nsp:targetProvision ?own }
    UNION { ?fact nsp:supportedBy/nsp:grantedBy ?own }
    OPTIONAL { ?change nsp:changedProvision ?own ; nsp:amendingProvision ?amender }
  }
} GROUP BY ?fact ?evidence ?located ?locator ?level"""

PARTS = PREFIXES + "SELECT ?part ?whole WHERE { ?part eli:is_part_of+ ?whole }"

TEXT_READ_GAPS = PREFIXES + """
SELECT ?evidence ?fact ?noQuote ?noProvision WHERE {
  ?evidence nsp:confidence conf:text-read .
  OPTIONAL { ?fact nsp:evidence ?evidence }
  BIND(NOT EXISTS { ?evidence nsp:quote ?q } AS ?noQuote)
  BIND(NOT EXISTS { ?evidence nsp:locatesProvision ?p } AS ?noProvision)
  FILTER(?noQuote || ?noProvision)
}"""

CASES = PREFIXES + """
SELECT ?case ?id ?caseLevel ?cf (COUNT(DISTINCT ?ev) AS ?n) WHERE {
  ?case a nsp:PartnershipCase ; nsp:caseId ?id .
  OPTIONAL { ?case nsp:confidence ?caseLevel }
  OPTIONAL { VALUES ?finding_p { nsp:hasDifficulty nsp:hasLesson nsp:hasRisk }
             ?case ?finding_p ?finding . ?finding nsp:evidence ?ev . ?ev nsp:confidence ?cf }
} GROUP BY ?case ?id ?caseLevel ?cf"""


def _level(rank: Any) -> str:
    return {2: "text-read", 1: "secondary", 0: "recalled"}.get(rank, "none")


@dataclass
class Audit:
    """What `kg audit` reports (see the module docstring)."""
    by_jurisdiction: dict[str, dict[str, Counter]] = field(default_factory=dict)  # ISO3 -> kind -> level -> n
    by_case: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> level, findings' levels
    weak_positions: list[dict[str, str]] = field(default_factory=list)
    mislocated: list[dict[str, str]] = field(default_factory=list)
    text_read_gaps: list[dict[str, str]] = field(default_factory=list)
    position_topics: list[str] = field(default_factory=list)  # the topic of every position

    @property
    def totals(self) -> dict[str, Counter]:
        out: dict[str, Counter] = defaultdict(Counter)
        for kinds in self.by_jurisdiction.values():
            for kind, levels in kinds.items():
                out[kind].update(levels)
        return dict(out)

    @property
    def problems(self) -> int:
        """Evidence that breaks a rule: text-read evidence quoting another provision than its fact's, or
        text-read evidence without a quote or the provision read."""
        return sum(1 for m in self.mislocated if m["level"] == "text-read") + len(self.text_read_gaps)

    def position_share(self, topics: tuple[str, ...] = ("private-data-access", "administrative-data-access",
                                                        "statistical-confidentiality", "microdata-access")) -> tuple[int, int]:
        """(positions on these topics at text-read, all positions on these topics)."""
        total = sum(1 for t in self.position_topics if t in topics)
        weak = sum(1 for p in self.weak_positions if p["topic"] in topics)
        return total - weak, total

    def as_json(self) -> dict[str, Any]:
        return {
            "levels": list(LEVELS),
            "totals": {k: dict(v) for k, v in self.totals.items()},
            "by_jurisdiction": {iso: {k: dict(v) for k, v in kinds.items()} for iso, kinds in sorted(self.by_jurisdiction.items())},
            "by_case": dict(sorted(self.by_case.items())),
            "weak_positions": self.weak_positions,
            "mislocated_evidence": self.mislocated,
            "text_read_without_quote_or_provision": self.text_read_gaps,
        }


def collect(store: ox.Store) -> Audit:
    """Run the audit's queries over the store."""
    audit = Audit()
    for r in sparql(store, FACTS):
        iso = local_name(r["country"])
        rank = r["worst"] if r["kind"] == "position" else r["best"]
        audit.by_jurisdiction.setdefault(iso, {}).setdefault(r["kind"], Counter())[_level(rank)] += 1
    for r in sparql(store, POSITIONS):
        topic = local_name(r["topic"])
        audit.position_topics.append(topic)
        level = local_name(r["level"]) if r["level"] else "none"
        if level != "text-read":
            audit.weak_positions.append({"position": short(r["position"]), "country": local_name(r["country"]),
                                         "topic": topic, "value": local_name(r["value"]), "level": level,
                                         "locators": r["locators"] or ""})
    audit.weak_positions.sort(key=lambda p: (p["country"], p["topic"]))
    parts: dict[str, set[str]] = defaultdict(set)
    for r in sparql(store, PARTS):
        parts[r["part"]].add(r["whole"])
    for r in sparql(store, LOCATED):
        owns = set((r["owns"] or "").split())
        located = r["located"]
        if not owns or located in owns or parts.get(located, set()) & owns:
            continue  # a fact about no provision (e.g. "no provision found") has nothing to compare with
        amenders = set((r["amenders"] or "").split())
        if located in amenders or parts.get(located, set()) & amenders:
            continue  # the text read in the provision that inserted or amended the fact's provision
        audit.mislocated.append({"fact": short(r["fact"]), "evidence": short(r["evidence"]), "locator": r["locator"] or "",
                                 "level": local_name(r["level"]) if r["level"] else "none",
                                 "locates": short(located), "fact_provisions": "; ".join(sorted(short(o) for o in owns))})
    audit.mislocated.sort(key=lambda m: (m["fact"], m["evidence"]))
    for r in sparql(store, TEXT_READ_GAPS):
        missing = [name for name, flag in (("quote", r["noQuote"]), ("provision read", r["noProvision"])) if flag]
        audit.text_read_gaps.append({"evidence": short(r["evidence"]), "fact": short(r["fact"]) if r["fact"] else "",
                                     "missing": ", ".join(missing)})
    audit.text_read_gaps.sort(key=lambda g: g["evidence"])
    for r in sparql(store, CASES):
        case = audit.by_case.setdefault(r["id"], {"level": local_name(r["caseLevel"]) if r["caseLevel"] else "none",
                                                  "findings": {}})
        if r["cf"]:
            case["findings"][local_name(r["cf"])] = r["n"]
    return audit


def render_text(audit: Audit) -> str:
    """The audit as plain text for the terminal."""
    lines = ["Evidence audit (levels: text-read > secondary > recalled; docs/evidence.md)", ""]
    totals = audit.totals
    for kind in ("position", "effect", "change", "mapping"):
        if kind in totals:
            c = totals[kind]
            lines.append(f"{kind + 's':<10} " + "  ".join(f"{lvl} {c.get(lvl, 0):>4}" for lvl in (*LEVELS, "none")))
    read, total = audit.position_share()
    share = f"{100 * read / total:.0f}%" if total else "n/a"
    lines += ["", f"Positions on private data, administrative data, confidentiality and microdata resting on "
                  f"text-read evidence: {read} of {total} ({share})", "", "By jurisdiction (positions | effects):"]
    for iso, kinds in sorted(audit.by_jurisdiction.items()):
        pos, eff = kinds.get("position", Counter()), kinds.get("effect", Counter())
        lines.append(f"  {iso}  " + " ".join(f"{pos.get(lvl, 0):>2}" for lvl in LEVELS) + "  |  "
                     + " ".join(f"{eff.get(lvl, 0):>2}" for lvl in LEVELS))
    lines += ["", f"Positions resting only on secondary or recalled evidence ({len(audit.weak_positions)}):"]
    lines += [f"  {p['country']} {p['topic']}: {p['value']} [{p['level']}] {p['locators']}" for p in audit.weak_positions]
    lines += ["", f"Evidence naming a different provision than its fact ({len(audit.mislocated)}):"]
    lines += [f"  {m['evidence']} [{m['level']}]: reads {m['locates']}, fact is about {m['fact_provisions'] or 'no provision'}"
              for m in audit.mislocated]
    lines += ["", f"text-read evidence without a quote or the provision read ({len(audit.text_read_gaps)}):"]
    lines += [f"  {g['evidence']}: no {g['missing']}" for g in audit.text_read_gaps]
    levels = Counter(c["level"] for c in audit.by_case.values())
    lines += ["", f"Cases ({len(audit.by_case)}): " + ", ".join(f"{lvl} {n}" for lvl, n in sorted(levels.items()))]
    return "\n".join(lines)
