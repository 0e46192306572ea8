// Fallback editor used when the YASGUI assets are not installed: runs the query and draws a table.
(function () {
  const form = document.getElementById("plain-editor");
  const out = document.getElementById("plain-results");
  const examples = JSON.parse(document.getElementById("examples").textContent);
  const run = async function () {
    const body = new URLSearchParams({ query: form.query.value });
    const res = await fetch(form.action, { method: "POST", body: body, headers: { Accept: "application/sparql-results+json, text/turtle;q=0.9" } });
    const text = await res.text();
    out.textContent = "";
    if (!res.ok || !(res.headers.get("content-type") || "").includes("json")) {
      const pre = document.createElement("pre"); pre.textContent = text; out.appendChild(pre); return;
    }
    const data = JSON.parse(text);
    if ("boolean" in data) { out.textContent = String(data.boolean); return; }
    const table = document.createElement("table"); table.className = "results";
    const head = table.createTHead().insertRow();
    data.head.vars.forEach(v => { const th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
    const tbody = table.createTBody();
    data.results.bindings.forEach(b => {
      const row = tbody.insertRow();
      data.head.vars.forEach(v => { row.insertCell().textContent = b[v] ? b[v].value : ""; });
    });
    out.appendChild(table);
  };
  form.addEventListener("submit", function (e) { e.preventDefault(); run(); });
  document.getElementById("example").addEventListener("change", function (event) {
    const e = examples.find(x => x.name === event.target.value);
    if (e) { form.query.value = e.query; run(); }
  });
})();
