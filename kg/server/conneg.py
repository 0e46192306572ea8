"""Content negotiation, done once and in one place: an RFC 9110 Accept parser with q-values.

Every handler that offers more than one representation calls `negotiate(request, offers)`; a
`format` query parameter (or a file suffix, see `SUFFIXES`) that names an offered representation
overrides the Accept header so that plain links can name one; any other `format` value is ignored.
"""
from __future__ import annotations

import functools

from dataclasses import dataclass, field

# Media types of the representations this server produces, by short name (suffixes and ?format=).
MEDIA: dict[str, str] = {
    "html": "text/html",
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
    "json": "application/json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
ALIASES = {"turtle": "ttl", "ntriples": "nt", "n-triples": "nt", "json-ld": "jsonld", "rdfxml": "rdf", "xml": "srx",
           "sparql-json": "srj", "sparql-xml": "srx"}
# Suffixes that select a representation of a resource (`/id/org/CAN-STATCAN.ttl`).
SUFFIXES = {".ttl": "ttl", ".jsonld": "jsonld", ".nt": "nt", ".rdf": "rdf", ".html": "html"}
# Media types that clients send for the same representation as one we list.
EQUIVALENT = {"application/x-turtle": "text/turtle", "application/json": None, "application/xml": None,
              "text/xml": None, "text/plain": None}
RDF_GRAPH = ["text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]
RESULTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float = 1.0
    params: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def specificity(self, offer: str) -> int:
        """How closely this range matches an offered media type: -1 none, 0 */*, 1 type/*, 2 exact, 3 exact + params."""
        otype, _, osub = offer.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 0
        if self.type != otype:
            return -1
        if self.subtype == "*":
            return 1
        if self.subtype != osub:
            return -1
        return 3 if self.params else 2


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header, ignoring malformed parts; q outside 0..1 is clamped."""
    ranges = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        mtype = pieces[0].lower()
        if "/" not in mtype:
            if mtype == "*":
                mtype = "*/*"
            else:
                continue
        t, _, s = mtype.partition("/")
        if not t or not s or (t == "*" and s != "*"):
            continue
        q, params = 1.0, []
        for p in pieces[1:]:
            key, _, value = p.partition("=")
            key, value = key.strip().lower(), value.strip().strip('"')
            if key == "q":
                try:
                    q = min(1.0, max(0.0, float(value)))
                except ValueError:
                    q = 0.0
                break  # accept-extension parameters after q are not media-type parameters
            if key:
                params.append((key, value))
        ranges.append(MediaRange(t, s, q, tuple(params)))
    return ranges


def quality(ranges: list[MediaRange], offer: str) -> float:
    """The q-value the client gives an offered media type: that of the most specific matching range."""
    best, best_q = -1, 0.0
    for r in ranges:
        spec = r.specificity(offer)
        if spec > best:
            best, best_q = spec, r.q
    return best_q if best >= 0 else 0.0


def best_match(header: str | None, offers: list[str]) -> str | None:
    """The offer the client prefers (ties go to the earlier offer); None if it accepts none of them.

    A missing or empty Accept header means */*: the first offer, the server's default.
    """
    if header is None or len(header) <= 256:  # clients send the same few headers: remember the answers
        return _best_match_cached(header, tuple(offers))
    return _best_match(header, offers)


@functools.lru_cache(maxsize=256)
def _best_match_cached(header: str | None, offers: tuple[str, ...]) -> str | None:
    return _best_match(header, list(offers))


def _best_match(header: str | None, offers: list[str]) -> str | None:
    if not offers:
        return None
    ranges = parse_accept(header)
    if not ranges:
        return offers[0]
    # Aliases: a client asking for application/json or text/xml gets the matching SPARQL/JSON-LD type.
    extra = []
    for r in ranges:
        full = f"{r.type}/{r.subtype}"
        if full == "application/json":
            for o in offers:
                if o in ("application/sparql-results+json", "application/ld+json"):
                    extra.append(MediaRange(*o.split("/"), q=r.q))
        elif full in ("application/xml", "text/xml"):
            for o in offers:
                if o in ("application/sparql-results+xml", "application/rdf+xml"):
                    extra.append(MediaRange(*o.split("/"), q=r.q))
        elif full == "application/x-turtle" and "text/turtle" in offers:
            extra.append(MediaRange("text", "turtle", q=r.q))
        elif full == "text/plain" and "application/n-triples" in offers:
            extra.append(MediaRange("application", "n-triples", q=r.q * 0.9))
    explicit = {f"{r.type}/{r.subtype}" for r in ranges}
    ranges = ranges + [e for e in extra if f"{e.type}/{e.subtype}" not in explicit]
    scored = [(quality(ranges, o), -i, o) for i, o in enumerate(offers)]
    q, _, offer = max(scored)
    return offer if q > 0 else None


def negotiate(request, offers: list[str], formats: list[str] | None = None) -> str | None:
    """The representation to send: the first `format` value (short name or media type; the parameter may
    repeat and a value may list several, comma-separated) that is offered, else the Accept header.

    A `format` value this server does not know or cannot produce here falls back to Accept rather than
    failing: clients such as SPARQLWrapper send their own names (`format=n3`, `format=json-ld`) next to
    an Accept header that says what they can read. `formats` replaces the URL's values (the SPARQL
    endpoint adds those of a form body)."""
    values = request.query_params.getlist("format") if formats is None else formats
    for value in (v.strip() for raw in values for v in raw.split(",")):
        media = format_media(value, offers)
        if media is not None:
            return media
    return best_match(request.headers.get("accept"), offers)


def format_media(value: str, offers: list[str]) -> str | None:
    """The offered media type a `format` value names (`ttl`, `json-ld`, `text/turtle`...), or None."""
    short = ALIASES.get(value.lower(), value.lower())
    media = MEDIA.get(short, short.split(";")[0].strip())
    if media in offers:
        return media
    if media == "application/json" and "application/sparql-results+json" in offers:
        return "application/sparql-results+json"
    if media == "application/json" and "application/ld+json" in offers:
        return "application/ld+json"
    if media == "application/sparql-results+xml" and "application/rdf+xml" in offers:
        return "application/rdf+xml"  # `format=xml` on a CONSTRUCT
    return None


def split_suffix(path: str) -> tuple[str, str | None]:
    """`eli/can/act.ttl` -> (`eli/can/act`, `text/turtle`); no known suffix -> (path, None)."""
    for suffix, short in SUFFIXES.items():
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)], MEDIA[short]
    return path, None
