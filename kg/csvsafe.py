"""CSV cells that a spreadsheet cannot run as formulas (OWASP "CSV injection"), and their way back.

Every CSV (and tab-separated file) the project writes for people to open in a spreadsheet passes its
cells through `neutralise`: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
gets a leading apostrophe, which spreadsheets take as "this is text". The RDF keeps the raw value;
only the CSV cell is changed. `restore` undoes it exactly, so `kg export --format csv` followed by
`kg import` stays lossless: a raw value that itself starts with an apostrophe followed by one of those
characters (or by another apostrophe) gets one more apostrophe, so `restore(neutralise(s)) == s` for
every string, and a hand-written cell such as `'Big data' pilot` is read unchanged.

Typed numeric literals of query results whose text is a plain number (`-5`, `+1.5e3`) are left as
numbers (`neutralise_term`): a spreadsheet reads them as numbers, never as formulas.

The SPARQL endpoint's own `text/csv` and TSV results (`/sparql`) are not changed: they are the SPARQL
1.1 results formats that machine clients parse, and an apostrophe there would corrupt the data
(docs/security.md says why).
"""
from __future__ import annotations

import re

import pyoxigraph as ox

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_AFTER_QUOTE = TRIGGERS + ("'",)
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC_TYPES = {XSD + t for t in ("integer", "decimal", "double", "float", "int", "long", "short", "byte",
                                   "nonNegativeInteger", "nonPositiveInteger", "negativeInteger", "positiveInteger",
                                   "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")  # the XSD lexical grammar, without INF/NaN


def neutralise(cell: str) -> str:
    """The cell as written to a CSV: a leading apostrophe when a spreadsheet could read it as a formula
    (or when the raw value starts with an apostrophe that `restore` would otherwise remove)."""
    if cell.startswith(TRIGGERS) or (cell.startswith("'") and cell[1:].startswith(_ESCAPED_AFTER_QUOTE)):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The raw value of a cell written by `neutralise` (any other cell is returned unchanged)."""
    if cell.startswith("'") and cell[1:].startswith(_ESCAPED_AFTER_QUOTE):
        return cell[1:]
    return cell


def is_plain_number(datatype: str | None, text: str) -> bool:
    """A numeric literal whose text a spreadsheet reads as a number (and so never as a formula)."""
    return datatype in NUMERIC_TYPES and _NUMBER.fullmatch(text) is not None


def neutralise_term(term):
    """A query-result term with its literal text neutralised (IRIs and blank nodes cannot start with a
    trigger; plain numbers are kept as numbers)."""
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value if term.datatype is not None else None
        if is_plain_number(datatype, term.value):
            return term
        safe = neutralise(term.value)
        if safe == term.value:
            return term
        if term.language:
            return ox.Literal(safe, language=term.language)
        return ox.Literal(safe, datatype=term.datatype)
    return term


def neutralise_json_term(term: dict | None) -> dict | None:
    """The same for a term in the SPARQL 1.1 JSON results form ({"type": "literal", "value": ...})."""
    if not term or term.get("type") not in ("literal", "typed-literal") or is_plain_number(term.get("datatype"), term["value"]):
        return term
    safe = neutralise(term["value"])
    return term if safe == term["value"] else {**term, "value": safe}


def neutralise_solutions(result: ox.QuerySolutions) -> ox.QuerySolutions:
    """SELECT results with every literal neutralised, as pyoxigraph solutions again (e.g. for its TSV)."""
    import json

    data = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
    for binding in data.get("results", {}).get("bindings", []):
        for name, term in binding.items():
            binding[name] = neutralise_json_term(term)
    return ox.parse_query_results(json.dumps(data).encode(), format=ox.QueryResultsFormat.JSON)
