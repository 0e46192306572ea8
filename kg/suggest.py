"""`kg import FILE --suggest`: keyword proposals for a curator, never written anywhere.

`kg import` writes only what a row states (docs/importing.md). This module keeps the keyword rules that
the importer once applied silently, and turns them into proposals a curator can check against the
sources before writing them into the explicit columns: roles (in brackets after a name), the data
flow's direction (`data_providers`, `data_recipients`), `data_source_types`, `privately_held`,
difficulty and lesson categories, agreements and laws named in the legal-basis text. Every proposal
names the words (or the sector, or the case type) that triggered it. An outside review found that
nearly all the wrong statements in a sample of shipped cases came from these rules: they are hints,
not facts.

It reads the file and the project's graph and writes nothing (no case file, no store, no journal).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import rdflib

from .importer import (COLUMNS, Context, Problem, RowMapper, is_unknown, load_context, read_rows, split_items,
                       split_top)

# Data-source types from keywords in the `exchanged` cell (all that match).
DST_KEYWORDS: list[tuple[str, str]] = [
    ("scanner-transaction", r"scanner|point-of-sale|barcode|sales by product|cash-register"),
    ("mobile-network", r"mobile|\bmnos?\b|roaming|cell[- ]tower|call detail|phone data|mobile phone|counts of phones|phone companies|signalling|operator-derived|devices per|device counts|million devices|location and movement|movement data|location/mobility"),
    ("card-payment", r"(?<!sim )\bcards?\b|card-spending|payment|chaps|electronic transaction"),
    ("financial-records", r"credit records|financial transactions|from banks"),
    ("web-platform", r"tweets?\b|twitter|social media|web data|websites?"),
    ("earth-observation", r"satellite|earth observation|\bndvi\b|copernicus|remote sensing"),
    ("citizen-generated", r"volunteer|crowdsourc|citizen-generated|\bcso data"),
    ("administrative-register", r"municipal data|\bvat\b|insurance data|administrative data from"),
    ("survey", r"survey data|census responses"),
    ("official-statistics", r"microdata|official statistics|official data|cbs data|gender-disaggregated statistics|gender statistics|sdg data|statistical input|statistical indicators"),
    ("it-service", r"cloud|hosting|hardware|software|computing|infrastructure|handheld|sim cards|bandwidth|digital service|hadoop|it architecture"),
    ("funding", r"funding"),
    ("expertise", r"knowledge|research|method|training|course|workshop|expertise|know-how|advice|standard|secondment|staff|capacity|feasibility|study|co-design|guidelines|education|support|reference models|development"),
]
PRIVATE_DST = {"privately-held", "scanner-transaction", "mobile-network", "card-payment", "financial-records", "web-platform", "smart-meter"}
DATA_FROM_PARTNER = PRIVATE_DST | {"citizen-generated", "administrative-register", "earth-observation", "survey"}
NSO_GIVES = r"microdata|training|course|workshop|advice|know-how|statistical input"
NSO_GIVES_FIRST = r"^(training|workshops|free online course|cbs know-how|statistical advice|secure on-campus access)"

# Difficulty categories from keywords (the first that matches; a leading `Label:` is tried first).
DIFFICULTY_KEYWORDS: list[tuple[str, str]] = [
    ("privacy-data-protection", r"privacy|personal[- ]data|data protection|gdpr|anonymi|identifier|encrypt|consent|surveillance|opt-?out|\bindividual"),
    ("legal", r"legal|\blaws?\b|regulat|legislat|statut|court|mandat|obligat|licen[cs]|jurisdiction"),
    ("public-trust", r"trust|reputation|public|media|protest|boycott|misinformation|critics|criticis|controvers|independence|political"),
    ("commercial", r"commercial|competit|business[- ]sensitiv|business interest|strategic|\bfair\b"),
    ("cost", r"cost|\bfund|price|expens|budget|financ|\bpay|business model"),
    ("continuity", r"continu|stopp|stop supplying|\bended\b|terminat|sustainab|withdr|ceas"),
    ("skills-capacity", r"skill|capacity|staff|\btrain|expert|infrastructure"),
    ("data-quality", r"quality|coverage|bias|represent|calibrat|accura|complete|volatil|revision|missed|exclud|outdated"),
    ("technical-methodological", r"technical|method|technolog|\bit system|outage|ddos|processing|software|hardware|computing|volume|concept|unstructured|\bformats?\b|\bload\b"),
    ("managerial", r"contract|procure|negotiat|manag|supplier|vendor|tender|deadline|delay"),
    ("organisational", r"organi[sz]ation|governance|coordinat"),
]
LESSON_KEYWORDS: list[tuple[str, str]] = [
    ("privacy-by-design", r"privacy|anonymi|data protection|encrypt|personal data"),
    ("legal-framework", r"legal|\blaws?\b|statut|mandate|agreement|legislat"),
    ("contract-management", r"contract|procure|tender|supplier|vendor"),
    ("transparency", r"transparen|communicat|public|trust|explain|media"),
    ("start-small", r"stepwise|pilot|small|scale up|parallel|gradual|experiment|\btest"),
    ("capacity-building", r"skill|training|staff|mobility|secon|capacity|capabilit"),
    ("standards-methods", r"standard|method|open-source|open source|common|guideline|model"),
    ("shared-value", r"value|incentive|benefit|mutual|fair|worthwhile|commercial"),
    ("knowledge-sharing", r"shar|knowledge|experience|network|exchange|collaborat|partner"),
]
AGREEMENT_KEYWORDS: list[tuple[str, str]] = [
    ("mou", r"memorandum of understanding|\bmou\b"),
    ("terms-and-conditions", r"terms and conditions"),
    ("relationship-agreement", r"relationship agreement"),
    ("grant", r"\bgrants?\b"),
    ("collaboration-agreement", r"collaboration agreement|cooperation agreement|samenwerkingsovereenkomst|partnership agreement|partner agreement"),
    ("licence", r"licen[cs]e"),
    ("contract", r"contract"),
    ("decision", r"resolution|decision"),
    ("data-sharing-agreement", r"agreement"),
]


@dataclass(frozen=True)
class Proposal:
    column: str
    value: str  # what the curator would write into the column (or into brackets after a name)
    because: str  # the words, sector or case type that triggered it

    def __str__(self) -> str:
        return f"{self.column}: {self.value}  <- {self.because}"


def classify(text: str, table: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(category, matched words) of the first category whose keywords match; a leading `Label:` first."""
    head, sep, _ = text.partition(":")
    candidates = ([head] if sep and len(head) <= 40 else []) + [text]
    for candidate in candidates:
        low = candidate.lower()
        for slug, pattern in table:
            m = re.search(pattern, low)
            if m:
                return slug, m.group(0)
    return None


def data_source_types(exchanged: str) -> list[tuple[str, str]]:
    """(type, matched words) for every keyword rule that matches the `exchanged` text."""
    low = exchanged.lower()
    found = []
    for slug, pattern in DST_KEYWORDS:
        m = re.search(pattern, low)
        if m and not (slug == "mobile-network" and "sim cards" in low):
            found.append((slug, m.group(0)))
    return found


def outward(dsts: set[str], case_type: str, exchanged: str) -> tuple[bool, str]:
    """(True when the office gives and the partner receives, the reason)."""
    low = exchanged.lower()
    if dsts & DATA_FROM_PARTNER:
        return False, f"data from the partner ({', '.join(sorted(dsts & DATA_FROM_PARTNER))})"
    m = re.search(NSO_GIVES, low)
    if m and "official-statistics" in dsts:
        return True, f"the office gives {m.group(0)!r}"
    m = re.search(NSO_GIVES_FIRST, low)
    if m:
        return True, f"the office gives {m.group(0)!r}"
    if case_type in ("policy-makers", "co-creation"):
        return True, f"case type {case_type}"
    return False, "no keyword for either side: the partner is assumed to give"


def partner_role(sectors: set[str], statistical: bool, case_type: str, dsts: set[str], is_main: bool,
                 gives: bool, item: str) -> tuple[str, str]:
    """(role, reason) for one partner from its sector, the case type and the flow."""
    m = re.search(r"\bfund\w*", item.lower())
    if "data-protection-authority" in sectors:
        return "adviser", "sector data-protection-authority"
    if m or sectors == {"funder"}:
        return "funder", f"word {m.group(0)!r}" if m else "sector funder"
    if statistical:
        return "partner-nso", "a statistical office"
    if is_main:
        if gives:
            role = "co-creator" if case_type == "co-creation" else "end-user" if case_type == "policy-makers" else "data-recipient"
            return role, f"first partner, receives the flow (case type {case_type})"
        if dsts & DATA_FROM_PARTNER:
            return "data-supplier", "first partner, data from the partner"
        return ("service-provider", "first partner, IT service") if "it-service" in dsts else \
            ("methodological-partner", "first partner, no data named")
    if "policy-maker" in sectors or (case_type == "policy-makers" and "public-body" in sectors):
        return "end-user", "sector policy-maker or public body in a policy-makers case"
    if sectors & {"media", "citizens", "civil-society"}:
        if case_type == "supplier-recipient" and "citizens" in sectors:
            return "data-supplier", "sector citizens in a supplier-recipient case"
        return "co-creator", f"sector {', '.join(sorted(sectors & {'media', 'citizens', 'civil-society'}))}"
    if sectors & {"academia", "standards-body"}:
        return "methodological-partner", f"sector {', '.join(sorted(sectors & {'academia', 'standards-body'}))}"
    if "it-provider" in sectors:
        return "service-provider", "sector it-provider"
    if "private-company" in sectors:
        return ("data-supplier", "private company, data from a partner") if dsts & DATA_FROM_PARTNER else \
            ("service-provider", "private company, no data named")
    return "co-producer", "no other rule applies (the weakest proposal)"


def agreements(text: str) -> list[tuple[str, str, str, int | None]]:
    """(type, clause, matched words, year) per clause of the legal-basis text that names an agreement."""
    out = []
    if not text or is_unknown(text):
        return out
    for clause in split_top(text, ";"):
        if clause.lower().startswith("unknown"):
            continue
        for slug, pattern in AGREEMENT_KEYWORDS:
            m = re.search(pattern, clause.lower())
            if m:
                years = re.findall(r"(?<![\d.])((?:19|20)\d{2})(?![\d.])", clause)
                out.append((slug, clause, m.group(0), int(years[0]) if years else None))
                break
    return out


def findings(cell: str, table: list[tuple[str, str]]) -> list[tuple[str, tuple[str, str] | None]]:
    """(item, (category, words) or None) for the items of a difficulties or lessons cell."""
    cell = cell.strip()
    if is_unknown(cell) or cell.lower().startswith("unknown ("):
        return []
    items = [p.strip() for p in cell.split(" | ") if p.strip()] if " | " in cell else split_items(cell)
    return [(item, classify(item.partition(": ")[2] if re.match(r"[a-z][a-z0-9-]*: ", item) else item, table))
            for item in items]


def suggest_file(path: Path, root: Path) -> list[str]:
    """The proposals for every row of FILE, as printable lines; reads only, writes nothing."""
    rows = read_rows(path)
    _, _, store = load_context(root, set())
    ctx = Context(store)
    mapper = RowMapper(ctx, allow_new=False, new_orgs=rdflib.Graph())
    lines: list[str] = []
    for n, rec in enumerate(rows, 1):
        cell = {k: (rec.get(k) or "").strip() for k in COLUMNS}
        lines.append(f"row {n} ({cell['id'] or 'no id'}): proposals only; check each against the sources")
        lines += [f"  {p}" for p in suggest_row(mapper, n, cell)]
    return lines


def suggest_row(mapper: RowMapper, row: int, cell: dict[str, str]) -> list[Proposal]:
    ctx = mapper.ctx
    out: list[Proposal] = []
    problems: list[Problem] = []
    exchanged = cell["exchanged"].split("||")[0].strip()
    dst = data_source_types(exchanged)
    for slug, words in dst:
        out.append(Proposal("data_source_types", slug, f"words {words!r} in exchanged"))
    dsts = {s for s, _ in dst}
    if dsts:
        private = dsts & PRIVATE_DST
        out.append(Proposal("privately_held", "yes" if private else "no",
                            f"types {', '.join(sorted(private))}" if private else "no privately held type among the proposals"))
    organisers = mapper.parties(row, "organisations", cell["organisations"], problems, [], [])
    partners = mapper.parties(row, "partners", cell["partners"], problems, [], [])
    for p in problems:
        out.append(Proposal(p.column, "(not resolved)", p.message))
    gives, why = outward(dsts, cell["type"], exchanged)
    lead = next((p for p in organisers if ctx.is_statistical(p.org)), organisers[0] if organisers else None)
    if lead is not None and partners:
        provider, recipient = (lead, partners[0]) if gives else (partners[0], lead)
        out.append(Proposal("data_providers", repr(ctx.org_label(provider.org)), why))
        out.append(Proposal("data_recipients", repr(ctx.org_label(recipient.org)), why))
    for p in organisers:
        if not ctx.is_statistical(p.org):
            out.append(Proposal("organisations", f"{ctx.org_label(p.org)} [coordinator]", "an organisation that is not a statistical office"))
    for i, p in enumerate(partners):
        role, because = partner_role(ctx.org_sectors.get(p.org, set()), ctx.is_statistical(p.org), cell["type"], dsts,
                                     i == 0, gives, p.raw)
        out.append(Proposal("partners", f"{ctx.org_label(p.org)} [{role}]", because))
    for col, table in (("difficulties", DIFFICULTY_KEYWORDS), ("lessons", LESSON_KEYWORDS)):
        for item, found in findings(cell[col], table):
            short = item if len(item) <= 60 else item[:57] + "..."
            if found:
                out.append(Proposal(col, f"{found[0]}: {short}", f"words {found[1]!r}"))
            elif col == "difficulties":
                out.append(Proposal(col, f"unclassified: {short}", "no keyword names a kind"))
    legal = cell["legal_basis"].split("||")[0].strip()
    for slug, clause, words, year in agreements(legal):
        when = str(year) if year else "year unknown"
        out.append(Proposal("agreements", f"{slug} ({when}) [PARTIES]: {clause}",
                            f"words {words!r} in legal_basis" + ("" if year else "; no year in the clause: check the sources")))
    countries = [c for item in split_top(cell["countries"]) for c in ctx.places.get(_norm(item), [])]
    for law in mapper.resolve_laws(legal, countries):
        out.append(Proposal("legal_basis", f"[{law.split('nso-partnership/', 1)[-1]}]", "a law's name or number in legal_basis"))
    return out


def _norm(label: str) -> str:
    from .importer import norm

    return norm(label)
