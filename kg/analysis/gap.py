"""The gap-analysis report (the concept note's "overview of difficulties"): HTML with inline SVG charts
and a Markdown twin, both built only from the canned gap-*.rq queries over the store.

Every number links to the query that produced it and every example to its case IRI. The HTML is
self-contained (inline CSS and SVG, no scripts, no external assets)."""
from __future__ import annotations

import html
import io
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pyoxigraph as ox

from . import select, split_concat
from .. import VOCAB

QUERIES = [
    "gap-summary", "gap-difficulties-by-type", "gap-outcomes-by-type", "gap-outcomes-by-sector",
    "gap-lessons-by-theme", "gap-findings", "gap-cases-without-basis", "gap-private-success-no-statute",
    "gap-principles-strained",
]
OUTCOMES = ["successful", "mixed", "unsuccessful", "unknown"]
OUTCOME_COLOURS = {"successful": "#2e7d32", "mixed": "#f9a825", "unsuccessful": "#c62828", "unknown": "#9e9e9e"}
TYPE_ORDER = ["policy-makers", "data-and-service-providers", "supplier-recipient", "open-innovation", "co-creation"]
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
EXAMPLES_PER_GROUP = 5
_CHART_LOCK = threading.Lock()  # rc_context is global matplotlib state


@dataclass
class GapData:
    """Everything the report shows, with the name and SPARQL text of the query behind each part."""
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)

    # Figures derived from the rows (no arithmetic beyond sums of one query's rows).
    @property
    def summary(self) -> dict[str, int]:
        return self.rows["gap-summary"][0] if self.rows["gap-summary"] else {}

    def difficulties(self) -> dict[tuple[str, str], int]:
        """(category label, type slug) -> number of difficulties."""
        return {(r["categoryLabel"] or _slug(r["category"]), _slug(r["type"])): r["difficulties"]
                for r in self.rows["gap-difficulties-by-type"]}

    def outcomes_by_type(self) -> dict[tuple[str, str], int]:
        return {(_slug(r["type"]), _slug(r["outcome"])): r["cases"] for r in self.rows["gap-outcomes-by-type"]}

    def outcomes_by_sector(self) -> dict[tuple[str, str], int]:
        return {(r["sectorLabel"], _slug(r["outcome"])): r["cases"] for r in self.rows["gap-outcomes-by-sector"]}

    def lessons_by_theme(self) -> dict[tuple[str, str], int]:
        return {(r["themeLabel"], _slug(r["outcome"])): r["lessons"] for r in self.rows["gap-lessons-by-theme"]}

    def without_basis(self) -> list[dict[str, Any]]:
        return self.rows["gap-cases-without-basis"]

    def private_no_statute(self) -> list[dict[str, Any]]:
        return self.rows["gap-private-success-no-statute"]

    def principles(self) -> list[dict[str, Any]]:
        return self.rows["gap-principles-strained"]

    def type_labels(self) -> dict[str, str]:
        out = {}
        for r in self.rows["gap-outcomes-by-type"] + self.rows["gap-difficulties-by-type"]:
            out[_slug(r["type"])] = r.get("typeLabel") or _slug(r["type"])
        return out


def collect(store: ox.Store, root: Path | None = None) -> GapData:
    """Run every gap-*.rq query once."""
    data = GapData()
    for name in QUERIES:
        canned, rows = select(store, name, root=root)
        data.rows[name], data.texts[name], data.titles[name] = rows, canned.text, canned.title
    return data


def _slug(iri: str | None) -> str:
    return (iri or "").rstrip("/").rsplit("/", 1)[-1]


def _sorted_types(types) -> list[str]:
    return sorted(types, key=lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER else 99, t))


# ---------------------------------------------------------------------------------------------
# Charts (matplotlib, Agg backend, SVG text kept as text)
# ---------------------------------------------------------------------------------------------

def _stacked_barh(title: str, categories: list[str], series: list[tuple[str, str, list[int]]],
                  xlabel: str, salt: str) -> str:
    """A horizontal stacked bar chart as an SVG string; series = (label, colour, values per category)."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # the object API: no pyplot state, safe in a server thread

    with _CHART_LOCK, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt, "font.size": 10}):
        height = max(2.2, 0.42 * max(1, len(categories)) + 1.4)
        fig = Figure(figsize=(8.5, height))
        ax = fig.subplots()
        if not categories:
            ax.text(0.5, 0.5, "none recorded", ha="center", va="center", fontsize=12, color="#666")
            ax.set_axis_off()
        else:
            ys = list(range(len(categories)))
            left = [0] * len(categories)
            for label, colour, values in series:
                if not any(values):
                    continue
                ax.barh(ys, values, left=left, color=colour, label=label, edgecolor="white", linewidth=0.5)
                left = [a + b for a, b in zip(left, values)]
            ax.set_yticks(ys, labels=categories)
            ax.invert_yaxis()
            ax.set_xlabel(xlabel)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.spines[["top", "right"]].set_visible(False)
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    svg = buffer.getvalue()
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" class="chart" ', 1)


def charts(data: GapData) -> dict[str, str]:
    """name -> SVG text for each chart of the report."""
    out = {}
    tl = data.type_labels()
    diff = data.difficulties()
    cats = sorted({c for c, _ in diff}, key=lambda c: (-sum(v for (c2, _), v in diff.items() if c2 == c), c))
    types = _sorted_types({t for _, t in diff})
    out["difficulties"] = _stacked_barh(
        "Difficulties by category and partnership type", cats,
        [(tl.get(t, t), PALETTE[i % len(PALETTE)], [diff.get((c, t), 0) for c in cats]) for i, t in enumerate(types)],
        "difficulties recorded", "difficulties")

    def by_outcome(counts: dict[tuple[str, str], int], labels: Callable[[str], str], title: str, salt: str, unit: str) -> str:
        keys = sorted({k for k, _ in counts}, key=lambda k: (-sum(v for (k2, _), v in counts.items() if k2 == k), labels(k)))
        return _stacked_barh(title, [labels(k) for k in keys],
                             [(o, OUTCOME_COLOURS[o], [counts.get((k, o), 0) for k in keys]) for o in OUTCOMES], unit, salt)

    out["outcomes-type"] = by_outcome(data.outcomes_by_type(), lambda t: tl.get(t, t), "Outcomes by partnership type", "otype", "cases")
    out["outcomes-sector"] = by_outcome(data.outcomes_by_sector(), str, "Outcomes by partner sector", "osector", "cases")
    out["lessons"] = by_outcome(data.lessons_by_theme(), str, "Lessons learned by theme and outcome of their case", "lessons", "lessons")
    strained = [r for r in data.principles() if r["strained"]]
    if strained:
        out["principles"] = _stacked_barh(
            "Principles strained (subjects in tension with the principle)",
            [f"{_scheme(r['scheme'])} {_slug(r['principle'])}. {r['principleLabel'] or ''}" for r in strained],
            [("in tension", "#c62828", [r["strained"] for r in strained]),
             ("upheld", "#2e7d32", [r["upheld"] for r in strained])], "subjects", "principles")
    return out


def _scheme(iri: str | None) -> str:
    return {"fpos": "FPOS", "escop": "CoP"}.get(_slug(iri), _slug(iri))


# ---------------------------------------------------------------------------------------------
# Rendering: one document model, two writers (HTML and Markdown)
# ---------------------------------------------------------------------------------------------

class _Writer:
    """Minimal document writer; subclasses give HTML or Markdown."""

    def __init__(self, query_href: Callable[[str], str], case_href: Callable[[str], str]):
        self.query_href, self.case_href, self.parts = query_href, case_href, []

    def num(self, n: Any, query: str) -> str:
        raise NotImplementedError

    def case(self, iri: str, title: str | None) -> str:
        raise NotImplementedError


class _Html(_Writer):
    def h(self, level: int, text: str, anchor: str = "") -> None:
        a = f' id="{anchor}"' if anchor else ""
        self.parts.append(f"<h{level}{a}>{html.escape(text)}</h{level}>")

    def p(self, text: str, raw: bool = False) -> None:
        self.parts.append(f"<p>{text if raw else html.escape(text)}</p>")

    def num(self, n: Any, query: str) -> str:
        return f'<a class="num" href="{html.escape(self.query_href(query))}" title="query {query}">{n}</a>'

    def case(self, iri: str, title: str | None) -> str:
        return f'<a href="{html.escape(self.case_href(iri))}">{html.escape(title or iri)}</a>'

    def esc(self, text: Any) -> str:
        return html.escape("" if text is None else str(text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
        self.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def ul(self, items: list[str]) -> None:
        self.parts.append("<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")

    def chart(self, name: str, svg: str) -> None:
        self.parts.append(f'<figure id="chart-{name}">{svg}</figure>')

    def source(self, query: str, title: str) -> None:
        self.parts.append(f'<p class="src">Query: <a href="{html.escape(self.query_href(query))}">{query}</a> '
                          f'({html.escape(title)}); SPARQL in the <a href="#query-{query}">appendix</a>.</p>')

    def code(self, anchor: str, text: str) -> None:
        self.parts.append(f'<pre id="{anchor}"><code>{html.escape(text)}</code></pre>')


class _Md(_Writer):
    def h(self, level: int, text: str, anchor: str = "") -> None:
        self.parts.append("#" * level + " " + text + (f' <a id="{anchor}"></a>' if anchor else ""))

    def p(self, text: str, raw: bool = False) -> None:
        self.parts.append(text)

    def num(self, n: Any, query: str) -> str:
        return f"[{n}]({self.query_href(query)})"

    def case(self, iri: str, title: str | None) -> str:
        return f"[{self.esc(title or iri)}]({self.case_href(iri)})"

    def esc(self, text: Any) -> str:
        return ("" if text is None else str(text)).replace("|", "\\|").replace("\n", " ")

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        self.parts.append("\n".join(lines))

    def ul(self, items: list[str]) -> None:
        self.parts.append("\n".join(f"- {i}" for i in items))

    def chart(self, name: str, svg: str) -> None:
        self.parts.append(f"![{name}](charts/{name}.svg)")

    def source(self, query: str, title: str) -> None:
        self.parts.append(f"*Query: [{query}]({self.query_href(query)}) ({title}); SPARQL in the appendix.*")

    def code(self, anchor: str, text: str) -> None:
        self.parts.append(f'<a id="{anchor}"></a>\n\n```sparql\n{text.rstrip()}\n```')


def _document(w: _Writer, data: GapData, svgs: dict[str, str], generated: str) -> None:
    s = data.summary
    tl = data.type_labels()
    w.h(1, "Strategic partnerships in official statistics: gap analysis")
    w.p("An overview of the difficulties met in building partnerships, of what worked and what did not, and of "
        "the legal gaps behind them: the first step proposed by the CES concept note on strategic partnerships. "
        f"Built from the knowledge graph on {generated}. Every number links to the SPARQL query that produced it; "
        "every example links to its case.")

    w.h(2, "Summary", "summary")
    q = "gap-summary"
    w.ul([f"{w.num(s.get('cases', 0), q)} partnership cases, of which {w.num(s.get('successfulCases', 0), q)} successful",
          f"{w.num(s.get('privateDataCases', 0), q)} cases with a flow of privately held data",
          f"{w.num(s.get('difficulties', 0), q)} difficulties and {w.num(s.get('lessons', 0), q)} lessons learned recorded",
          f"{w.num(len(data.without_basis()), 'gap-cases-without-basis')} cases without a legal basis or agreement",
          f"{w.num(len(data.private_no_statute()), 'gap-private-success-no-statute')} countries with a successful "
          "private-data partnership but no statutory basis identified"])
    w.source(q, data.titles[q])

    # Difficulties ----------------------------------------------------------------------------
    w.h(2, "Difficulties by category and partnership type", "difficulties")
    q = "gap-difficulties-by-type"
    diff = data.difficulties()
    w.chart("difficulties", svgs["difficulties"])
    if diff:
        types = _sorted_types({t for _, t in diff})
        cats = sorted({c for c, _ in diff}, key=lambda c: (-sum(v for (c2, _), v in diff.items() if c2 == c), c))
        rows = [[w.esc(c)] + [w.num(diff[(c, t)], q) if (c, t) in diff else "" for t in types]
                + [w.num(sum(diff.get((c, t), 0) for t in types), q)] for c in cats]
        w.table(["category"] + [tl.get(t, t) for t in types] + ["total"], rows)
    else:
        w.p("No difficulties recorded.")
    w.source(q, data.titles[q])

    # Outcomes --------------------------------------------------------------------------------
    for key, title, counts, labels, q in [
        ("outcomes-type", "Outcomes by partnership type", data.outcomes_by_type(), lambda t: tl.get(t, t), "gap-outcomes-by-type"),
        ("outcomes-sector", "Outcomes by partner sector", data.outcomes_by_sector(), str, "gap-outcomes-by-sector"),
    ]:
        w.h(2, title, key)
        w.chart(key, svgs[key])
        keys = sorted({k for k, _ in counts}, key=lambda k: (-sum(v for (k2, _), v in counts.items() if k2 == k), labels(k)))
        if keys:
            rows = [[w.esc(labels(k))] + [w.num(counts[(k, o)], q) if (k, o) in counts else "" for o in OUTCOMES]
                    for k in keys]
            w.table([title.split(" by ")[1]] + OUTCOMES, rows)
        else:
            w.p("No cases recorded.")
        if key == "outcomes-sector":
            w.p("A case counts once for each sector among its partners (participants other than the lead office).")
        w.source(q, data.titles[q])

    # What worked and what did not ---------------------------------------------------------------
    w.h(2, "What worked and what did not", "lessons")
    q = "gap-lessons-by-theme"
    lessons = data.lessons_by_theme()
    w.chart("lessons", svgs["lessons"])
    themes = sorted({t for t, _ in lessons}, key=lambda t: (-sum(v for (t2, _), v in lessons.items() if t2 == t), t))
    if themes:
        w.table(["lesson theme"] + [f"lessons from {o} cases" for o in OUTCOMES],
                [[w.esc(t)] + [w.num(lessons[(t, o)], q) if (t, o) in lessons else "" for o in OUTCOMES] for t in themes])
    else:
        w.p("No lessons recorded.")
    w.source(q, data.titles[q])
    findings = data.rows["gap-findings"]
    worked = [f for f in findings if f["kind"] == "lesson" and _slug(f["outcome"]) == "successful"]
    failed_lessons = [f for f in findings if f["kind"] == "lesson" and _slug(f["outcome"]) in ("unsuccessful", "mixed")]
    failed_difficulties = [f for f in findings if f["kind"] == "difficulty" and _slug(f["outcome"]) in ("unsuccessful", "mixed")]
    for heading, items, empty in [
        ("What worked: lessons from successful cases, by theme", worked, "No lessons from successful cases recorded."),
        ("What did not work: lessons from unsuccessful or mixed cases, by theme", failed_lessons, "No lessons from unsuccessful or mixed cases recorded."),
        ("What did not work: difficulties of unsuccessful or mixed cases, by category", failed_difficulties, "No difficulties of unsuccessful or mixed cases recorded."),
    ]:
        w.h(3, heading)
        if not items:
            w.p(empty)
            continue
        groups: dict[str, list[dict]] = defaultdict(list)
        for f in items:
            groups[f["groupLabel"]].append(f)
        out = []
        for group in sorted(groups, key=lambda g: (-len(groups[g]), g)):
            seen_findings, examples = set(), []
            for f in groups[group]:
                if f["finding"] in seen_findings:
                    continue
                seen_findings.add(f["finding"])
                examples.append(f"{w.esc(f['description'])} ({w.case(f['case'], f['caseTitle'])})")
            more = f" and {len(examples) - EXAMPLES_PER_GROUP} more" if len(examples) > EXAMPLES_PER_GROUP else ""
            out.append(f"<b>{w.esc(group)}</b> ({w.num(len(examples), 'gap-findings')}): " if isinstance(w, _Html)
                       else f"**{w.esc(group)}** ({w.num(len(examples), 'gap-findings')}): ")
            out[-1] += "; ".join(examples[:EXAMPLES_PER_GROUP]) + more
        w.ul(out)
    w.source("gap-findings", data.titles["gap-findings"])

    # Cases without basis ----------------------------------------------------------------------
    w.h(2, "Cases without a legal basis or agreement", "without-basis")
    q = "gap-cases-without-basis"
    rows = data.without_basis()
    w.p(f"{w.num(len(rows), q)} of {w.num(s.get('cases', 0), 'gap-summary')} cases name neither a legal basis "
        "nor an agreement for any of their data flows, nor an agreement of their own.", raw=True)
    if rows:
        w.table(["case", "type", "countries", "legal basis in the sources' words"],
                [[w.case(r["case"], r["caseTitle"]), w.esc(r["typeLabel"]), w.esc(r["countries"]), w.esc(r["legalBasisNote"])]
                 for r in rows])
    w.source(q, data.titles[q])

    # Private data without statute -------------------------------------------------------------
    w.h(2, "Successful private-data partnerships without a statutory basis", "no-statute")
    q = "gap-private-success-no-statute"
    rows = data.private_no_statute()
    w.p("Countries where a case using privately held data succeeded although no in-force article of the country's "
        "own law was found to permit or oblige access to privately held data (competency question 22). The "
        "recorded position, where there is one, may rest on a source that names no article.")
    if rows:
        w.table(["country", "successful private-data cases", "cases", "recorded position on private-data access"],
                [[w.esc(r["countryLabel"] or r["country"]), w.num(r["cases"], q),
                  ", ".join(w.case(c, c.rsplit("/", 1)[-1]) for c in split_concat(r["caseList"])),
                  w.esc(r["position"] or "none recorded")] for r in rows])
    else:
        w.p("None found.")
    w.source(q, data.titles[q])

    # Principles -------------------------------------------------------------------------------
    w.h(2, "Principles most often strained", "principles")
    q = "gap-principles-strained"
    rows = data.principles()
    if "principles" in svgs:
        w.chart("principles", svgs["principles"])
    if not any(r["strained"] for r in rows):
        w.p("None recorded: no case, provision, lesson or assessment in the graph is recorded as in tension "
            "with a principle (nsp:tensionWith)." + (" Principles invoked without tension are listed below." if rows else ""))
    if rows:
        w.table(["principle", "in tension", "upheld", "invoked (all)"],
                [[w.esc(f"{_scheme(r['scheme'])} {_slug(r['principle'])}. {r['principleLabel'] or ''}"),
                  w.num(r["strained"], q), w.num(r["upheld"], q), w.num(r["invoked"], q)] for r in rows])
    w.source(q, data.titles[q])

    # Appendix ---------------------------------------------------------------------------------
    w.h(2, "Appendix: the queries", "appendix")
    w.p("Each query is a canned query of the project (kg query NAME; on the server /queries/NAME).")
    for name in QUERIES:
        w.h(3, f"{name}: {data.titles[name]}")
        w.code(f"query-{name}", data.texts[name])


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td a.num{font-weight:600}a.num{text-decoration:none;color:#0b5cad}
figure{margin:1em 0}svg.chart{max-width:100%;height:auto}p.src{font-size:.85em;color:#555}
pre{background:#f7f7f7;padding:.8em;overflow:auto;font-size:.8em;border:1px solid #e3e3e3}
"""


def _default_case_href(iri: str) -> str:
    return iri


def render_gap_report(store: ox.Store, root: Path | None = None, query_base: str = "/queries/",
                      case_href: Callable[[str], str] = _default_case_href, data: GapData | None = None) -> str:
    """The report as one self-contained HTML page. The server mounts this at /reports/gap-analysis:
    numbers link to query_base + NAME (the server's canned-query pages), cases to their IRI."""
    data = data or collect(store, root)
    w = _Html(lambda name: query_base + name, case_href)
    _document(w, data, charts(data), _now())
    body = "\n".join(w.parts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Gap analysis: strategic partnerships in official statistics</title><style>{CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def render_gap_markdown(store: ox.Store, root: Path | None = None, query_base: str = "#query-",
                        case_href: Callable[[str], str] = _default_case_href, data: GapData | None = None) -> str:
    data = data or collect(store, root)
    w = _Md(lambda name: query_base + name, case_href)
    _document(w, data, {k: "" for k in charts(data)}, _now())
    return "\n\n".join(w.parts) + "\n"


def write_gap_report(store: ox.Store, out_dir: Path, root: Path | None = None,
                     query_base: str | None = None) -> dict[str, Path]:
    """Write gap-analysis.html, gap-analysis.md and charts/*.svg into out_dir (each file atomically).

    Without query_base, numbers link to the query's text in the appendix (the file works offline)."""
    data = collect(store, root)
    svgs = charts(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "charts").mkdir(exist_ok=True)
    base = query_base or "#query-"
    written = {
        "html": _write(out_dir / "gap-analysis.html", render_gap_report(store, root, base, data=data)),
        "md": _write(out_dir / "gap-analysis.md", render_gap_markdown(store, root, base, data=data)),
    }
    for name, svg in svgs.items():
        written[f"chart:{name}"] = _write(out_dir / "charts" / f"{name}.svg",
                                          '<?xml version="1.0" encoding="utf-8"?>\n' + svg)
    return written


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["GapData", "collect", "charts", "render_gap_report", "render_gap_markdown", "write_gap_report", "VOCAB"]
