// usreg catalog site: multi-select table filters, sorting and search with the state in the URL; copy buttons;
// the site-wide light search (search.json, fetched on first use).
// Written for this project; no external dependencies, works offline.
(function () {
  "use strict";

  // A row matches when, for every filter with picked values, it has at least one of them (OR within a filter,
  // AND across filters), and every word of the query is in its search text.
  function rowMatches(row, picked, words) {
    for (const [key, values] of Object.entries(picked)) {
      if (!values.length) continue;
      const have = (row.dataset[key] || "").split("|");
      if (!values.some((v) => have.includes(v))) return false;
    }
    const haystack = row.dataset.search || "";
    return words.every((w) => haystack.includes(w));
  }

  function cellValue(row, index, type) {
    const cell = row.cells[index];
    const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
    if (raw === "") return null; // blank: always sorted last
    if (type === "number") {
      const n = parseFloat(raw);
      return Number.isNaN(n) ? null : n;
    }
    return raw.toLowerCase();
  }

  function setupTable(table) {
    const container = table.closest("article") || document;
    const boxes = Array.from(container.querySelectorAll("input[type=checkbox][data-filter]"));
    const keys = Array.from(new Set(boxes.map((b) => b.dataset.filter)));
    const search = container.querySelector("input[data-search]");
    const shown = container.querySelector(".usreg-shown");
    const reset = container.querySelector("[data-reset]");
    const headers = Array.from(table.tHead.rows[0].cells);
    const body = table.tBodies[0];
    let sortKey = null;
    let sortDir = "asc";

    function picked() {
      const out = {};
      keys.forEach((k) => { out[k] = []; });
      boxes.forEach((b) => { if (b.checked) out[b.dataset.filter].push(b.value); });
      return out;
    }

    function readUrl() {
      const params = new URLSearchParams(window.location.search);
      boxes.forEach((b) => { b.checked = params.getAll(b.dataset.filter).includes(b.value); });
      if (search) search.value = params.get("q") || "";
      sortKey = params.get("sort");
      sortDir = params.get("dir") === "desc" ? "desc" : "asc";
    }

    function writeUrl() {
      const params = new URLSearchParams();
      const current = picked();
      keys.forEach((k) => current[k].forEach((v) => params.append(k, v)));
      if (search && search.value) params.set("q", search.value);
      if (sortKey) { params.set("sort", sortKey); params.set("dir", sortDir); }
      const qs = params.toString();
      history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
    }

    function apply() {
      const current = picked();
      const words = (search ? search.value : "").toLowerCase().split(/\s+/).filter(Boolean);
      let visible = 0;
      for (const row of body.rows) {
        const ok = rowMatches(row, current, words);
        row.hidden = !ok;
        if (ok) visible += 1;
      }
      container.querySelectorAll("[data-picked]").forEach((el) => {
        const n = (current[el.dataset.picked] || []).length;
        el.textContent = n ? " (" + n + ")" : "";
      });
      const index = sortKey ? headers.findIndex((h) => h.dataset.sort === sortKey) : -1;
      if (index >= 0) {
        const type = headers[index].dataset.type;
        const rows = Array.from(body.rows);
        rows.sort((a, b) => {
          const x = cellValue(a, index, type), y = cellValue(b, index, type);
          if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
          const order = x < y ? -1 : x > y ? 1 : 0;
          return sortDir === "desc" ? -order : order;
        });
        rows.forEach((r) => body.appendChild(r));
      }
      headers.forEach((h, i) => h.setAttribute("aria-sort", i === index ? (sortDir === "desc" ? "descending" : "ascending") : "none"));
      if (shown) shown.textContent = visible + " of " + body.rows.length + " shown";
      table.dataset.visible = String(visible);
    }

    boxes.forEach((b) => b.addEventListener("change", () => { apply(); writeUrl(); }));
    if (search) search.addEventListener("input", () => { apply(); writeUrl(); });
    if (reset) reset.addEventListener("click", () => {
      boxes.forEach((b) => { b.checked = false; });
      if (search) search.value = "";
      sortKey = null;
      apply(); writeUrl();
    });
    headers.forEach((h) => {
      const button = h.querySelector("button") || h;
      button.addEventListener("click", () => {
        if (sortKey === h.dataset.sort) { sortDir = sortDir === "asc" ? "desc" : "asc"; }
        else { sortKey = h.dataset.sort; sortDir = "asc"; }
        apply(); writeUrl();
      });
    });
    // Close an open filter list when another opens or on Escape.
    const lists = Array.from(container.querySelectorAll("details.usreg-filter"));
    lists.forEach((d) => d.addEventListener("toggle", () => {
      if (d.open) lists.forEach((o) => { if (o !== d) o.open = false; });
    }));
    container.addEventListener("keydown", (e) => {
      if (e.key === "Escape") lists.forEach((d) => { if (d.open) { d.open = false; d.querySelector("summary").focus(); } });
    });
    readUrl();
    apply();
  }

  function setupCopy(button) {
    button.addEventListener("click", () => {
      const target = document.getElementById(button.dataset.copyTarget);
      if (!target) return;
      const text = target.textContent;
      const done = () => { button.setAttribute("data-copied", ""); setTimeout(() => button.removeAttribute("data-copied"), 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, () => {});
      } else {
        const area = document.createElement("textarea");
        area.value = text;
        document.body.appendChild(area);
        area.select();
        try { document.execCommand("copy"); done(); } finally { area.remove(); }
      }
    });
  }

  // Site search: every word must occur in the entry's name, aliases, description or facts; name hits rank first.
  function setupSiteSearch(box) {
    const input = box.querySelector("input");
    const list = box.querySelector("ul");
    const status = box.querySelector("#usreg-site-status");
    const indexUrl = new URL(box.dataset.index, window.location.href);
    let docs = null;
    let loading = null;

    function load() {
      if (!loading) {
        loading = fetch(indexUrl).then((r) => r.json()).then((data) => {
          docs = data.docs.map((d) => ({
            kind: d[0], url: d[1], name: d[2], aliases: d[3], description: d[4],
            title: (d[2] + " " + d[3]).toLowerCase(),
            text: (d[4] + " " + d[5]).toLowerCase(),
          }));
        }).catch(() => { status.textContent = "search index not available"; });
      }
      return loading;
    }

    function render() {
      const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      list.textContent = "";
      if (!words.length || !docs) { list.hidden = true; status.textContent = ""; return; }
      const hits = [];
      for (const d of docs) {
        let score = 0;
        let ok = true;
        for (const w of words) {
          if (d.title.includes(w)) score += 2;
          else if (d.text.includes(w)) score += 1;
          else { ok = false; break; }
        }
        if (ok) hits.push([score, d]);
      }
      hits.sort((a, b) => b[0] - a[0] || a[1].name.localeCompare(b[1].name));
      for (const [, d] of hits.slice(0, 20)) {
        const li = document.createElement("li");
        const a = document.createElement("a");
        a.href = new URL(d.url, indexUrl).href;
        const kind = document.createElement("span");
        kind.className = "usreg-kind usreg-kind-" + d.kind;
        kind.textContent = d.kind;
        const name = document.createElement("strong");
        name.textContent = d.name;
        a.append(kind, " ", name);
        if (d.description) {
          const desc = document.createElement("span");
          desc.className = "usreg-hit-desc";
          desc.textContent = d.description;
          a.append(desc);
        }
        li.append(a);
        list.append(li);
      }
      list.hidden = hits.length === 0;
      status.textContent = hits.length ? hits.length + (hits.length === 1 ? " result" : " results") +
        (hits.length > 20 ? ", first 20 shown" : "") : "no results";
    }

    input.addEventListener("focus", load, { once: true });
    input.addEventListener("input", () => { load().then(render); });
    input.addEventListener("keydown", (e) => { if (e.key === "Escape") { input.value = ""; render(); } });
  }

  function init() {
    document.querySelectorAll("table.usreg-filterable").forEach(setupTable);
    document.querySelectorAll("button.usreg-copy").forEach(setupCopy);
    document.querySelectorAll(".usreg-sitesearch").forEach(setupSiteSearch);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
