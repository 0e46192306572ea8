"""The partnership network: organisations and cases as a graph (who partners with whom, across
countries), centrality of partners, connected components, exports (GraphML, GEXF, node-link JSON)
and a self-contained SVG page with a force layout computed here (no JavaScript needed)."""
from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox

from . import local_name, select, split_concat
from .links import iso3

QUERY = "network-participations"


@dataclass
class Network:
    bipartite: nx.Graph      # organisation and case nodes; an edge = took part in
    partners: nx.Graph       # organisations only; an edge = took part in the same case(s)

    def organisations(self) -> list[str]:
        return [n for n, d in self.bipartite.nodes(data=True) if d["type"] == "organisation"]

    def cases(self) -> list[str]:
        return [n for n, d in self.bipartite.nodes(data=True) if d["type"] == "case"]


def read(store: ox.Store, root: Path | None = None) -> Network:
    _, rows = select(store, QUERY, root=root)
    b = nx.Graph()
    members: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        case, agent = r["case"], r["agent"]
        if case not in b:
            b.add_node(case, type="case", label=r["caseTitle"] or local_name(case), outcome=local_name(r["outcome"]) or "unknown",
                       country=" ".join(iso3(c) for c in split_concat(r["caseCountries"])), kind="case", sector="")
        if agent not in b:
            b.add_node(agent, type="organisation", label=r["agentLabel"] or local_name(agent), kind=r["kind"],
                       sector=r["sector"] or ("statistical office" if "statistical" in r["kind"] else ""),
                       country=iso3(r["agentCountry"]) if r["agentCountry"] else "", outcome="")
        b.add_edge(agent, case, roles=r["roles"] or "")
        members[case].append(agent)
    p = nx.Graph()
    p.add_nodes_from((n, b.nodes[n]) for n in b if b.nodes[n]["type"] == "organisation")
    for case, agents in members.items():
        agents = sorted(set(agents))
        for i, a in enumerate(agents):
            for c in agents[i + 1:]:
                if p.has_edge(a, c):
                    p[a][c]["weight"] += 1
                    p[a][c]["cases"] += " " + case
                else:
                    ca, cc = p.nodes[a]["country"], p.nodes[c]["country"]
                    p.add_edge(a, c, weight=1, cases=case, cross_country=bool(ca and cc and ca != cc))
    # Centrality on the partner graph, stored on both graphs' organisation nodes.
    betweenness = nx.betweenness_centrality(p) if p.number_of_nodes() > 2 else {n: 0.0 for n in p}
    for n in p:
        attrs = {"partners": p.degree(n), "cases": b.degree(n), "betweenness": round(betweenness.get(n, 0.0), 6),
                 "degree_centrality": round(p.degree(n) / max(1, p.number_of_nodes() - 1), 6)}
        p.nodes[n].update(attrs)
        b.nodes[n].update(attrs)
    for n in b:
        if b.nodes[n]["type"] == "case":
            b.nodes[n].update({"partners": 0, "cases": 0, "betweenness": 0.0, "degree_centrality": 0.0})
    return Network(b, p)


def centrality(net: Network, limit: int | None = 10) -> list[dict[str, Any]]:
    """Organisations ranked by number of distinct partners, then betweenness."""
    rows = [{"organisation": n, **{k: net.partners.nodes[n][k] for k in
             ("label", "kind", "sector", "country", "partners", "cases", "betweenness", "degree_centrality")}}
            for n in net.partners]
    rows.sort(key=lambda r: (-r["partners"], -r["betweenness"], r["label"]))
    return rows[:limit] if limit else rows


def components(net: Network) -> list[dict[str, Any]]:
    """Connected components of the organisation-case graph, largest first."""
    out = []
    for comp in nx.connected_components(net.bipartite):
        orgs = sorted(n for n in comp if net.bipartite.nodes[n]["type"] == "organisation")
        cases = sorted(n for n in comp if net.bipartite.nodes[n]["type"] == "case")
        countries = sorted({c for n in comp for c in net.bipartite.nodes[n]["country"].split() if c})
        out.append({"organisations": orgs, "cases": cases, "countries": countries})
    out.sort(key=lambda c: (-len(c["organisations"]) - len(c["cases"]), c["cases"][:1]))
    return out


def cross_country(net: Network) -> list[dict[str, Any]]:
    """Partner pairs from different countries, with the cases they share."""
    out = []
    for a, c, d in net.partners.edges(data=True):
        if d["cross_country"]:
            na, nc = net.partners.nodes[a], net.partners.nodes[c]
            out.append({"a": a, "a_label": na["label"], "a_country": na["country"],
                        "b": c, "b_label": nc["label"], "b_country": nc["country"], "cases": d["cases"].split()})
    return sorted(out, key=lambda r: (r["a_label"], r["b_label"]))


def node_link(net: Network) -> dict[str, Any]:
    """Node-link JSON of the organisation-case graph (d3 / vis style: nodes, links) for the server's page."""
    data = nx.node_link_data(net.bipartite, edges="links")
    data["graph"] = {"description": "Organisations and partnership cases; a link means the organisation took part in the case.",
                     "organisations": len(net.organisations()), "cases": len(net.cases())}
    return data


def export(net: Network, graphml: Path | None = None, gexf: Path | None = None, json_path: Path | None = None) -> None:
    for path, write in ((graphml, lambda p: nx.write_graphml(net.bipartite, p)),
                        (gexf, lambda p: nx.write_gexf(net.bipartite, p)),
                        (json_path, lambda p: p.write_text(json.dumps(node_link(net), indent=1), encoding="utf-8"))):
        if path is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        write(tmp)
        tmp.replace(path)


OUTCOME_COLOURS = {"successful": "#2e7d32", "mixed": "#f9a825", "unsuccessful": "#c62828", "unknown": "#9e9e9e"}
KIND_COLOURS = {"statistical office": "#1f4e9e", "international statistical organisation": "#6a3d9a"}


def render_network_svg(net: Network, width: int = 1100, height: int = 800, case_href=lambda iri: iri) -> str:
    """An inline SVG of the graph with a spring layout computed in Python (seeded, so stable).
    Organisations are circles sized by number of partners; cases are squares coloured by outcome;
    each node links to its IRI and has a tooltip."""
    g = net.bipartite
    if g.number_of_nodes() == 0:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="120"><text x="20" y="60">No partnership cases in the graph.</text></svg>'
    pos = nx.spring_layout(g, seed=42, k=1.5 / max(1, g.number_of_nodes()) ** 0.5)
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    pad = 40

    def sx(x: float) -> float:
        return pad + (x - min(xs)) / ((max(xs) - min(xs)) or 1) * (width - 2 * pad)

    def sy(y: float) -> float:
        return pad + (y - min(ys)) / ((max(ys) - min(ys)) or 1) * (height - 2 * pad)

    ranked = sorted((n for n in g if g.nodes[n]["type"] == "organisation"), key=lambda n: -g.nodes[n].get("partners", 0))
    labelled = {n for n in ranked[:25] if g.nodes[n].get("partners", 0) >= 2}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="network" role="img" '
             f'aria-label="Partnership network">', '<g stroke="#bbb" stroke-width="1">']
    for a, b in g.edges():
        parts.append(f'<line x1="{sx(pos[a][0]):.1f}" y1="{sy(pos[a][1]):.1f}" x2="{sx(pos[b][0]):.1f}" y2="{sy(pos[b][1]):.1f}"/>')
    parts.append("</g>")
    for n, d in g.nodes(data=True):
        x, y = sx(pos[n][0]), sy(pos[n][1])
        tip = html.escape(f"{d['label']} ({d['kind']}{', ' + d['sector'] if d['sector'] else ''}{', ' + d['country'] if d['country'] else ''})")
        if d["type"] == "case":
            colour = OUTCOME_COLOURS.get(d["outcome"], "#9e9e9e")
            shape = f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{colour}"/>'
            tip = html.escape(f"case: {d['label']} (outcome {d['outcome']}; {d['country']})")
        else:
            r = 3.5 + 1.6 * min(d.get("partners", 0), 25) ** 0.6
            colour = KIND_COLOURS.get(d["kind"], "#ff7f0e")
            shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}" fill-opacity="0.85"/>'
        label = ""
        if n in labelled:
            label = f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-size="11" paint-order="stroke" stroke="white" stroke-width="3">{html.escape(d["label"][:40])}</text>'
        parts.append(f'<a href="{html.escape(case_href(n))}"><title>{tip}</title>{shape}{label}</a>')
    parts.append("</svg>")
    return "".join(parts)


def render_network_page(net: Network, case_href=lambda iri: iri, json_href: str | None = None) -> str:
    """A self-contained HTML page: the SVG graph, a legend, and the centrality table."""
    rows = "".join(
        f"<tr><td><a href=\"{html.escape(case_href(r['organisation']))}\">{html.escape(r['label'])}</a></td>"
        f"<td>{html.escape(r['sector'] or r['kind'])}</td><td>{html.escape(r['country'])}</td>"
        f"<td>{r['partners']}</td><td>{r['cases']}</td><td>{r['betweenness']:.3f}</td></tr>"
        for r in centrality(net, 25))
    comps = components(net)
    legend = ("<p>Circles: organisations (blue: statistical office, purple: international statistical organisation, "
              "orange: other partners), sized by number of partners. Squares: cases, coloured by outcome "
              "(green successful, amber mixed, red unsuccessful, grey unknown). Hover for names; click to open.</p>")
    link = f' <a href="{html.escape(json_href)}">Node-link JSON</a>.' if json_href else ""
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Partnership network</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em}"
            "svg.network{width:100%;height:auto;border:1px solid #ddd}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style></head><body>"
            f"<h1>Partnership network</h1><p>{len(net.organisations())} organisations, {len(net.cases())} cases, "
            f"{len(comps)} connected components (largest: {len(comps[0]['organisations']) if comps else 0} organisations, "
            f"{len(comps[0]['cases']) if comps else 0} cases).{link}</p>{legend}"
            f"{render_network_svg(net, case_href=case_href)}"
            "<h2>Most connected partners</h2><table><tr><th>organisation</th><th>sector</th><th>country</th>"
            f"<th>partners</th><th>cases</th><th>betweenness</th></tr>{rows}</table></body></html>")
