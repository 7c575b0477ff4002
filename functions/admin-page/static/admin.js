// Photo Analysis admin. Plain browser JavaScript, no build step. Everything that comes from the
// API (suggestions written by a model, fingerprints sent by browsers) is hostile: it is only ever
// put into the page with textContent, never as HTML.
"use strict";

(() => {
  const TOKEN_KEY = "photo-analysis-admin-token";
  const main = document.getElementById("view");
  const charts = [];

  /** Builds an element; children are nodes or strings (strings become text, never markup). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY);

  async function api(path, signingIn = false) {
    const response = await fetch(path, { headers: { authorization: `Bearer ${token()}` }, cache: "no-store" });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      // A token refused at sign-in is a wrong token; refused later, the session ended (the token changed or expired).
      const message = response.status === 403
        ? "This account is not an admin."
        : signingIn
          ? "That token was not accepted: use the server's PHOTO_ANALYSIS_ADMIN_TOKEN, or a signed-in admin's token."
          : "Your session has ended: please sign in again.";
      signOut(message);
      throw new Error("unauthorised");
    }
    if (!response.ok) throw new Error(body.detail || JSON.stringify(body));
    return body;
  }

  function showLogin(message) {
    document.getElementById("login").hidden = false;
    document.getElementById("nav").hidden = true;
    main.replaceChildren();
    document.getElementById("login-error").textContent = message || "";
    document.getElementById("token").focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(message);
  }

  function formatDate(iso) {
    return iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "never";
  }

  function userLabel(row) {
    if (row.username) return row.username;
    return row.fingerprint ? `anonymous · ${row.fingerprint.slice(0, 12)}` : "anonymous";
  }

  function expiryBadge(isExpired) {
    return el("span", { class: `badge ${isExpired ? "expired" : "active"}`, text: isExpired ? "expired" : "active" });
  }

  // ---- list ----

  const FILTERS = ["q", "model", "storage_type", "expired", "signed_in", "flagged", "from", "to"];

  function filterForm(values) {
    const select = (name, label, options) =>
      el("div", {}, el("label", { for: `f-${name}`, text: label }), el("select", { id: `f-${name}`, name }, options.map(([value, text]) => el("option", { value, text, selected: values[name] === value }))));
    const input = (name, label, type, placeholder) =>
      el("div", {}, el("label", { for: `f-${name}`, text: label }), el("input", { id: `f-${name}`, name, type, placeholder, value: values[name] || "" }));
    const form = el(
      "form",
      { class: "filters card", id: "filters", onsubmit: (event) => {
        event.preventDefault();
        const params = new URLSearchParams();
        for (const [name, value] of new FormData(form)) if (value) params.set(name, String(value));
        location.hash = `#/list?${params}`;
      } },
      input("q", "Search (id, MD5, pHash, fingerprint, user)", "search", "id, hash, fingerprint…"),
      input("model", "Model or provider", "text", "gpt-4o, local…"),
      select("storage_type", "Storage", [["", "any"], ["s3", "s3"], ["local", "local"]]),
      select("expired", "Expiry", [["", "any"], ["false", "active"], ["true", "expired"]]),
      select("signed_in", "User", [["", "any"], ["true", "signed in"], ["false", "anonymous"]]),
      select("flagged", "Moderation", [["", "any"], ["true", "flagged"], ["false", "not flagged"]]),
      input("from", "From", "date"),
      input("to", "To", "date"),
      el("div", {}, el("button", { type: "submit", text: "Apply" })),
    );
    return form;
  }

  async function showList(params) {
    const values = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
    const tbody = el("tbody", { id: "rows" });
    const more = el("button", { type: "button", id: "more", hidden: true, text: "Load more" });
    const status = el("p", { class: "muted", id: "list-status" });
    main.replaceChildren(
      filterForm(values),
      el("table", { class: "card", id: "analyses" },
        el("thead", {}, el("tr", {}, ["ID", "Created", "Model", "Suggestions", "Used", "User", "Storage", "Expiry", "Image"].map((h) => el("th", { scope: "col", text: h })))),
        tbody),
      status,
      more,
    );
    let cursor = null;
    async function loadPage() {
      const query = new URLSearchParams({ limit: "25" });
      for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
      if (cursor) query.set("cursor", cursor);
      const page = await api(`/api/admin/analyses/?${query}`);
      for (const row of page.results) {
        tbody.append(
          el("tr", { "data-id": row.id },
            el("td", {}, el("a", { href: `#/detail/${encodeURIComponent(row.id)}`, text: row.short_id, title: row.id })),
            el("td", { text: formatDate(row.created_at) }),
            el("td", { text: row.ai_vision_model }),
            el("td", { text: row.suggestion_count }),
            el("td", { text: row.times_used }),
            el("td", { text: userLabel(row) }),
            el("td", { text: row.storage_type }),
            el("td", {}, expiryBadge(row.is_expired)),
            el("td", {}, row.is_expired
              ? el("span", { class: "muted", text: "expired" })
              : el("a", { href: row.image_url, target: "_blank", rel: "noopener", title: "Open the image" },
                  el("img", { class: "thumb", src: row.image_url, alt: `Photo ${row.short_id}`, loading: "lazy", width: 48, height: 48 }))),
          ),
        );
      }
      cursor = page.next_cursor;
      more.hidden = !cursor;
      status.textContent = tbody.children.length ? `${tbody.children.length} shown` : "No analyses match.";
    }
    more.addEventListener("click", () => loadPage().catch(showError));
    await loadPage();
  }

  // ---- detail ----

  async function showDetail(id) {
    const a = await api(`/api/admin/analyses/${encodeURIComponent(id)}/`);
    const preview = el("div", { class: "preview" });
    if (a.is_expired) preview.append(el("p", { class: "error", text: "Image has expired" }));
    else {
      const image = el("img", { src: a.image_url, alt: `Uploaded photo ${a.id}`, id: "preview-image" });
      image.addEventListener("error", async () => {
        const response = await fetch(a.image_url).catch(() => null);
        image.replaceWith(el("p", { class: "error", text: response && response.status === 410 ? "Image has expired" : "Image unavailable" }));
      });
      preview.append(image);
    }
    const facts = [
      ["ID", a.id], ["Created", formatDate(a.created_at)], ["Model", a.ai_vision_model], ["Provider", a.provider], ["Style", a.style || "default"],
      ["Room (context)", a.context || "—"], ["Language", a.language || "en"],
      ["Times used", a.times_used], ["User", a.username || "anonymous"], ["User id", a.user_id || "—"], ["Fingerprint", a.fingerprint || "—"],
      ["IP address", a.ip_address || "—"], ["Storage", a.storage_type], ["File size", `${a.file_size} bytes (stored ${a.stored_size})`],
      ["MD5", a.file_hash], ["pHash", a.image_phash], ["Expires", formatDate(a.expires_at)],
    ];
    const usage = a.token_usage || {};
    main.replaceChildren(
      el("p", {}, el("a", { href: "#/list", text: "← All analyses" })),
      el("div", { class: "detail" },
        el("div", {}, el("div", { class: "card" }, preview, el("p", {}, expiryBadge(a.is_expired)))),
        el("div", {},
          el("div", { class: "card" }, el("h2", { text: "Suggestions" }),
            el("ol", { class: "suggestions", id: "suggestions" }, a.suggestions.map((s) =>
              el("li", {}, el("strong", { text: s.name }), " ", el("span", { class: "key", text: s.key }), el("br"), el("span", { text: s.description }))))),
          el("div", { class: "card" }, el("h2", { text: "Token usage" }),
            el("dl", {}, ["prompt_tokens", "completion_tokens", "total_tokens"].map((k) => [el("dt", { text: k.replace("_tokens", "") }), el("dd", { text: usage[k] ?? 0 })]),
              el("dt", { text: "estimated cost" }), el("dd", { text: a.estimated_cost_usd === null ? "unknown" : `$${Number(a.estimated_cost_usd).toFixed(6)}` }))),
          el("div", { class: "card" }, el("h2", { text: "Labels" }), el("p", { text: (a.labels || []).map((l) => `${l.label} (${Math.round(l.score * 100)}%)`).join(", ") || "—" })),
          a.moderation
            ? el("div", { class: "card", id: "moderation" }, el("h2", { text: `Moderation: ${a.moderation.decision} (${a.moderation.provider})` }), el("p", { text: a.moderation.labels.map((l) => `${l.label} (${Math.round(l.score * 100)}%)`).join(", ") }))
            : null,
          el("div", { class: "card" }, el("h2", { text: "Details" }), el("dl", {}, facts.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]))),
          el("details", { class: "card", id: "raw" }, el("summary", { text: "Raw provider response" }), el("pre", { text: JSON.stringify(a.raw_response, null, 2) })),
        ),
      ),
    );
  }

  // ---- dashboard ----

  function chart(id, config) {
    const canvas = el("canvas", { id, role: "img", "aria-label": config.label });
    charts.push(new window.Chart(canvas, config.chart));
    return el("div", { class: "card" }, el("h2", { text: config.label }), el("div", { class: "chart-box" }, canvas));
  }

  async function showDashboard() {
    const stats = await api("/api/admin/stats/?days=30");
    const days = stats.daily.map((d) => d.day.slice(5));
    const sum = (field) => stats.daily.reduce((total, d) => total + d[field], 0);
    const hits = stats.daily.map((d) => (d.uploads ? Math.round(((d.exactHits + d.similarHits) / d.uploads) * 100) : 0));
    const box = el("div", { class: "charts", id: "charts" });
    main.replaceChildren(
      el("div", { class: "card totals", id: "totals" },
        [["Uploads", sum("uploads")], ["Analyses", sum("analyses")], ["Cache hits", sum("exactHits") + sum("similarHits")], ["Rate limited", sum("rateLimited")], ["Moderated", sum("moderated")], ["Tokens", sum("tokens")], ["Cost", `$${sum("costUsd").toFixed(4)}`]]
          .map(([label, value]) => el("div", {}, el("strong", { text: value }), el("span", { class: "muted", text: label })))),
      box,
    );
    box.append(
      chart("chart-uploads", { label: "Uploads and cache-hit rate per day", chart: { data: { labels: days, datasets: [
        { type: "bar", label: "uploads", data: stats.daily.map((d) => d.uploads), backgroundColor: "#8aa6ee", yAxisID: "y" },
        { type: "line", label: "cache-hit rate %", data: hits, borderColor: "#067647", yAxisID: "rate" },
      ] }, options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true }, rate: { position: "right", min: 0, max: 100 } } } } }),
      chart("chart-tokens", { label: "Tokens and estimated cost per day", chart: { data: { labels: days, datasets: [
        { type: "bar", label: "tokens", data: stats.daily.map((d) => d.tokens), backgroundColor: "#c4b5fd", yAxisID: "y" },
        { type: "line", label: "cost (USD)", data: stats.daily.map((d) => d.costUsd), borderColor: "#b42318", yAxisID: "cost" },
      ] }, options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true }, cost: { position: "right", beginAtZero: true } } } } }),
      chart("chart-providers", { label: "Provider and model mix (analyses)", chart: { type: "doughnut", data: {
        labels: stats.models.map((m) => `${m.provider}: ${m.model}`),
        datasets: [{ data: stats.models.map((m) => m.analyses), backgroundColor: ["#2f5bd3", "#f79009", "#067647", "#b42318", "#7a5af8", "#667085"] }],
      }, options: { maintainAspectRatio: false, animation: false } } }),
      chart("chart-names", { label: "Most frequent suggestion names", chart: { type: "bar", data: {
        labels: stats.top_names.map((n) => n.name), datasets: [{ label: "times suggested", data: stats.top_names.map((n) => n.count), backgroundColor: "#f79009" }],
      }, options: { indexAxis: "y", maintainAspectRatio: false, animation: false } } }),
    );
  }

  // ---- routing ----

  function showError(error) {
    if (error && error.message === "unauthorised") return;
    main.replaceChildren(el("p", { class: "error", role: "alert", text: `Something went wrong: ${error && error.message}` }));
  }

  async function route() {
    while (charts.length) charts.pop().destroy();
    if (!token()) return showLogin();
    document.getElementById("login").hidden = true;
    document.getElementById("nav").hidden = false;
    const [path, query] = location.hash.replace(/^#/, "").split("?");
    for (const link of document.querySelectorAll("nav a")) link.removeAttribute("aria-current");
    try {
      if (path.startsWith("/detail/")) await showDetail(decodeURIComponent(path.slice("/detail/".length)));
      else if (path === "/dashboard") {
        document.getElementById("nav-dashboard").setAttribute("aria-current", "page");
        await showDashboard();
      } else {
        document.getElementById("nav-list").setAttribute("aria-current", "page");
        await showList(new URLSearchParams(query || ""));
      }
    } catch (error) {
      showError(error);
    }
  }

  document.getElementById("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
    document.getElementById("token").value = "";
    try {
      await api("/api/admin/stats/?days=1", true);
      if (!location.hash) location.hash = "#/list";
      await route();
    } catch (error) {
      if (error.message !== "unauthorised") showLogin(`Sign-in failed: ${error.message}`);
    }
  });
  document.getElementById("sign-out").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", route);
  route();
})();
