// usreg catalog site: table filtering, sorting and search with the state in the URL; copy buttons.
// Written for this project; no external dependencies, works offline.
(function () {
  "use strict";

  function rowMatches(row, filters, query) {
    for (const [key, value] of Object.entries(filters)) {
      if (!value) continue;
      const values = (row.dataset[key] || "").split("|");
      if (!values.includes(value)) return false;
    }
    if (query) {
      const haystack = row.dataset.search || "";
      for (const word of query.toLowerCase().split(/\s+/).filter(Boolean)) {
        if (!haystack.includes(word)) return false;
      }
    }
    return true;
  }

  function cellValue(row, index, type) {
    const cell = row.cells[index];
    const raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
    return type === "number" ? parseFloat(raw) || 0 : raw.toLowerCase();
  }

  function setupTable(table) {
    const container = table.closest("article") || document;
    const selects = Array.from(container.querySelectorAll("select[data-filter]"));
    const search = container.querySelector("input[data-search]");
    const shown = container.querySelector(".usreg-shown");
    const reset = container.querySelector("[data-reset]");
    const headers = Array.from(table.tHead.rows[0].cells);
    const body = table.tBodies[0];
    let sortKey = null;
    let sortDir = "asc";

    function readUrl() {
      const params = new URLSearchParams(window.location.search);
      selects.forEach((s) => { s.value = params.get(s.dataset.filter) || ""; });
      if (search) search.value = params.get("q") || "";
      sortKey = params.get("sort");
      sortDir = params.get("dir") === "desc" ? "desc" : "asc";
    }

    function writeUrl() {
      const params = new URLSearchParams();
      selects.forEach((s) => { if (s.value) params.set(s.dataset.filter, s.value); });
      if (search && search.value) params.set("q", search.value);
      if (sortKey) { params.set("sort", sortKey); params.set("dir", sortDir); }
      const qs = params.toString();
      history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
    }

    function apply() {
      const filters = {};
      selects.forEach((s) => { filters[s.dataset.filter] = s.value; });
      const query = search ? search.value : "";
      let visible = 0;
      for (const row of body.rows) {
        const ok = rowMatches(row, filters, query);
        row.hidden = !ok;
        if (ok) visible += 1;
      }
      if (sortKey) {
        const index = headers.findIndex((h) => h.dataset.sort === sortKey);
        if (index >= 0) {
          const type = headers[index].dataset.type;
          const rows = Array.from(body.rows);
          rows.sort((a, b) => {
            const x = cellValue(a, index, type), y = cellValue(b, index, type);
            const order = x < y ? -1 : x > y ? 1 : 0;
            return sortDir === "desc" ? -order : order;
          });
          rows.forEach((r) => body.appendChild(r));
          headers.forEach((h, i) => h.setAttribute("aria-sort", i === index ? (sortDir === "desc" ? "descending" : "ascending") : "none"));
        }
      }
      if (shown) shown.textContent = visible + " of " + body.rows.length + " shown";
      table.dataset.visible = String(visible);
    }

    selects.forEach((s) => s.addEventListener("change", () => { apply(); writeUrl(); }));
    if (search) search.addEventListener("input", () => { apply(); writeUrl(); });
    if (reset) reset.addEventListener("click", () => {
      selects.forEach((s) => { s.value = ""; });
      if (search) search.value = "";
      sortKey = null;
      apply(); writeUrl();
    });
    headers.forEach((h) => {
      const activate = () => {
        if (sortKey === h.dataset.sort) { sortDir = sortDir === "asc" ? "desc" : "asc"; }
        else { sortKey = h.dataset.sort; sortDir = "asc"; }
        apply(); writeUrl();
      };
      h.addEventListener("click", activate);
      h.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(); } });
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

  function init() {
    document.querySelectorAll("table.usreg-filterable").forEach(setupTable);
    document.querySelectorAll("button.usreg-copy").forEach(setupCopy);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
