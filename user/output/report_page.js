"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const STACKS_SHOWN = 50;
  const FLAME_ROW = 18, FLAME_MIN_PX = 0.5;
  const t0 = performance.now();

  /* ---- formatting: the same as memvigil's text report ---- */
  function fmtBytes(b) {
    if (b === null || b === undefined || !isFinite(b)) return "\u2013";
    if (b < 1024) return Math.round(b) + " B";
    const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let v = b, u = -1;
    while (v >= 1024 && u < 4) { v /= 1024; u++; }
    return fixed1(v) + " " + units[u];
  }
  /* One decimal, ties to even as printf's %.1f rounds the exact binary value. */
  function fixed1(v) {
    const x = v * 10, f = Math.floor(x);
    if (x - f === 0.5 && f % 2 === 0) return (f / 10).toFixed(1);
    return v.toFixed(1);
  }
  function fmtNum(n, digits) {
    if (n === null || n === undefined || !isFinite(n)) return "\u2013";
    return digits === undefined ? String(n) : Number(n).toFixed(digits);
  }
  function fmtAge(s) {
    if (s === null || s === undefined) return "\u2013";
    if (s < 1) return Math.round(s * 1000) + "ms";
    if (s < 60) return fixed1(s) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + String(Math.floor(s % 60)).padStart(2, "0") + "s";
    return Math.floor(s / 3600) + "h" + String(Math.floor(s / 60 % 60)).padStart(2, "0") + "m";
  }

  /* ---- DOM helpers: text only, never markup ---- */
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svgEl(tag, attrs, text) {
    const e = document.createElementNS(SVG, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function kv(parent, key, text, value) {
    const row = el("div", { "data-key": key });
    row.appendChild(el("span", { class: "k" }, key));
    const v = el("span", { class: "v" }, text);
    if (value !== undefined) v.setAttribute("data-value", String(value));
    row.appendChild(v);
    parent.appendChild(row);
  }
  function td(text, cls, value) {
    const c = el("td", cls ? { class: cls } : {}, text);
    if (value !== undefined && value !== null) c.setAttribute("data-value", String(value));
    return c;
  }

  function frameLabel(f) {
    let name;
    if (f.symbol) name = f.symbol;
    else if (f.module) name = f.module.replace(/.*\//, "") + "+0x" + f.offset.toString(16);
    else name = f.addr;
    return name;
  }
  function frameSite(f) {
    let s = frameLabel(f);
    if (f.file) s += " (" + f.file + (f.line ? ":" + f.line : "") + ")";
    else if (f.symbol && f.module) s += " (" + f.module.replace(/.*\//, "") + ")";
    return s;
  }

  /* ---- header, health, alerts ---- */
  function renderSummary(r) {
    const t = r.target || {};
    let what = t.cgroup !== undefined ? "cgroup " + t.cgroup :
      t.command ? "command " + t.command.join(" ") : "PID " + t.pid;
    const s = [what, "for " + fmtAge(r.duration_s), "kernel " + r.kernel,
      "started " + r.started_at, (r.tool || {}).name + " " + (r.tool || {}).version];
    if (r.sampling && r.sampling.mode === "bytes")
      s.push("sampled every " + fmtBytes(r.sampling.period_bytes) + " (figures are estimates)");
    document.getElementById("summary").textContent = s.join(" \u00b7 ");
  }
  function flatten(obj, prefix, out) {
    for (const k of Object.keys(obj)) {
      const v = obj[k], key = prefix ? prefix + "." + k : k;
      if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v, key, out);
      else if (!Array.isArray(v)) out.push([key, v]);
    }
    return out;
  }
  function renderHealth(r) {
    const box = clear(document.getElementById("health"));
    for (const [k, v] of flatten(r.health || {}, "", []))
      kv(box, k, v === null ? "\u2013" : typeof v === "number" && !Number.isInteger(v) ?
        v.toFixed(3) : String(v), v === null ? "" : v);
  }
  function renderAlerts(r) {
    const box = clear(document.getElementById("alerts"));
    if (!r.alerts || !r.alerts.length) { box.appendChild(el("p", { class: "none" }, "no alert fired")); return; }
    const t = el("table", { id: "alert-table" });
    const head = el("tr");
    for (const h of ["at", "PID", "name", "alert", "value"]) head.appendChild(el("th", {}, h));
    t.appendChild(head);
    for (const a of r.alerts) {
      const tr = el("tr", { class: "alert" });
      tr.append(td("+" + fmtAge(a.t_s)), td(a.pid, "num"), td(a.comm), td(a.alert), td(fmtNum(a.value), "num", a.value));
      t.appendChild(tr);
    }
    box.appendChild(t);
  }

  /* ---- the process table ---- */
  function verdictText(m) {
    if (!m || !m.stack_verdicts) return "\u2013";
    const v = m.stack_verdicts, parts = [];
    for (const k of ["leak", "growing", "stable"]) if (v[k]) parts.push(v[k] + " " + k);
    return parts.length ? parts.join(", ") : "none";
  }
  function procState(p) {
    if (p.exited) return p.exit_signal !== null ? "killed by signal " + p.exit_signal : "exited " + p.exit_code;
    return p.detached ? "left the cgroup" : "running";
  }
  function renderProcesses(r, order) {
    const body = clear(document.querySelector("#processes tbody"));
    for (const i of order) {
      const p = r.processes[i];
      const tr = el("tr", { class: "proc", "data-index": i, "data-pid": p.pid });
      tr.append(td(p.pid, "num"), td(p.comm), td(p.cgroup === null ? "\u2013" : p.cgroup),
        td(fmtBytes(p.heap.outstanding_bytes), "num", p.heap.outstanding_bytes),
        td(p.heap.outstanding_allocs, "num", p.heap.outstanding_allocs),
        td(p.metrics ? fmtNum(p.metrics.leak_score, 2) : "\u2013", "num"),
        td(verdictText(p.metrics)), td(procState(p)));
      tr.addEventListener("click", () => { location.hash = "proc=" + i; });
      body.appendChild(tr);
    }
    const filter = document.getElementById("proc-filter");
    const count = document.getElementById("proc-count");
    function apply() {
      const q = filter.value.toLowerCase();
      let shown = 0;
      for (const tr of body.rows) {
        const hit = !q || tr.textContent.toLowerCase().includes(q);
        tr.hidden = !hit;
        shown += hit;
      }
      count.textContent = shown + " of " + r.processes.length + " processes";
    }
    filter.oninput = apply;
    apply();
  }

  /* ---- one process ---- */
  function renderFigures(p) {
    const box = clear(document.getElementById("figures"));
    const h = p.heap, m = p.metrics, k = p.kernel;
    kv(box, "outstanding", fmtBytes(h.outstanding_bytes), h.outstanding_bytes);
    kv(box, "outstanding allocs", h.outstanding_allocs, h.outstanding_allocs);
    kv(box, "peak outstanding", fmtBytes(h.peak_outstanding_bytes), h.peak_outstanding_bytes);
    kv(box, "allocs / frees", h.total_allocs + " / " + h.total_frees);
    kv(box, "unmatched frees", h.unmatched_frees, h.unmatched_frees);
    kv(box, "allocator", (p.allocator && p.allocator.library) || "\u2013");
    if (m) {
      kv(box, "leak score", fmtNum(m.leak_score, 2), m.leak_score);
      if (m.heap) kv(box, "heap growth", fmtBytes(m.heap.growth_bytes_per_s) + "/s, " + m.heap.trend);
      if (m.rss) kv(box, "rss", fmtBytes(m.rss.current_bytes) + ", peak " + fmtBytes(m.rss.peak_bytes), m.rss.current_bytes);
      if (m.pressure) kv(box, "pressure", (m.pressure.level || "unknown") + (m.pressure.cause ? " (" + m.pressure.cause + ")" : ""));
    }
    if (k && k.faults) kv(box, "faults minor / major", k.faults.minor + " / " + k.faults.major);
    if (p.exe) kv(box, "executable", p.exe);
  }

  function renderRecommendations(p) {
    const list = clear(document.getElementById("recommendations"));
    const recs = p.recommendations || [];
    if (!recs.length) {
      list.appendChild(el("li", { class: "none" }, p.recommendations ? "none" : "not in this report"));
      return;
    }
    for (const r of recs) {
      const li = el("li", { class: "rec rec-" + r.severity, "data-rule": r.rule });
      li.append(el("b", {}, r.severity + ": "), document.createTextNode(r.text));
      list.appendChild(li);
    }
  }

  /* A line chart: series [{name, color, values}] over t, alerts at times, an optional limit. */
  function chart(title, key, t, series, opt) {
    const W = 560, H = 170, L = 62, R = 10, T = 20, B = 22;
    const svg = svgEl("svg", { class: "chart", "data-chart": key, viewBox: "0 0 " + W + " " + H, width: W, height: H });
    svg.appendChild(svgEl("text", { class: "title", x: 6, y: 13 }, title));
    let max = 0;
    for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
    const limit = opt.limit;
    if (limit && limit <= 4 * max) max = Math.max(max, limit);
    if (opt.max) max = Math.max(max, opt.max);
    if (max <= 0) max = 1;
    const tEnd = Math.max(t.length ? t[t.length - 1] : 0, opt.tEnd || 0, 1);
    const x = (s) => L + (W - L - R) * s / tEnd, y = (v) => T + (H - T - B) * (1 - v / max);
    svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#999" }));
    for (const f of [0, 0.5, 1]) {
      svg.appendChild(svgEl("text", { x: L - 4, y: y(max * f) + 4, "text-anchor": "end" }, opt.fmt(max * f)));
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y(max * f), y2: y(max * f), stroke: "#eee" }));
    }
    svg.appendChild(svgEl("text", { x: L, y: H - 6 }, "0 s"));
    svg.appendChild(svgEl("text", { x: W - R, y: H - 6, "text-anchor": "end" }, fmtAge(tEnd)));
    if (opt.bands) opt.bands(svg, x, T, H - B);
    let lx = W - R - series.reduce((w, s) => w + 20 + 6 * s.name.length, 0);
    for (const s of series) {
      let d = "", pen = false;
      s.values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        d += (pen ? "L" : "M") + x(t[i]).toFixed(1) + " " + y(v).toFixed(1);
        pen = true;
      });
      const path = svgEl("path", { d: d, fill: "none", stroke: s.color, "stroke-width": 1.6, "data-series": s.name });
      path.appendChild(svgEl("title", {}, s.name));
      svg.appendChild(path);
      svg.appendChild(svgEl("rect", { x: lx, y: 5, width: 9, height: 9, fill: s.color }));
      svg.appendChild(svgEl("text", { x: lx + 12, y: 13 }, s.name));
      lx += 20 + 6 * s.name.length;
    }
    if (limit) {
      const on = limit <= max;
      const ly = on ? y(limit) : T;
      const labelY = on && ly - T > 14 ? ly - 3 : ly + 12;
      /* off the scale: a stub at the top right and its label, not a line that reads as a level */
      const line = svgEl("line", { class: "limit-line", x1: on ? L : W - R - 40, x2: W - R, y1: ly, y2: ly,
        "data-value": limit });
      line.appendChild(svgEl("title", {}, "memory limit " + fmtBytes(limit)));
      svg.appendChild(line);
      svg.appendChild(svgEl("text", { class: "limit-label", x: W - R - 2, y: labelY, "text-anchor": "end" },
        "limit " + fmtBytes(limit) + (on ? "" : " (above the chart)")));
    }
    for (const a of opt.alerts) {
      const mark = svgEl("line", { class: "alert-marker", x1: x(a.t_s), x2: x(a.t_s), y1: T, y2: H - B, "data-t": a.t_s });
      mark.appendChild(svgEl("title", {}, "alert " + a.alert + " at +" + fmtAge(a.t_s)));
      svg.appendChild(mark);
    }
    return svg;
  }

  const LEVEL_COLORS = { low: "#e8f6ee", medium: "#fdf2d0", high: "#fadbd8", critical: "#f1948a" };
  function renderTimelines(r, p) {
    const box = clear(document.getElementById("timelines"));
    const tl = p.timeline;
    if (!tl || !tl.t_s.length) { box.appendChild(el("p", { class: "none" }, "no samples of this process")); return; }
    const t = tl.t_s, alerts = (r.alerts || []).filter((a) => a.pid === p.pid);
    const limits = tl.limit_bytes.filter((v) => v !== null);
    const limit = limits.length ? Math.min.apply(null, limits) : null;
    const common = { alerts: alerts, tEnd: r.duration_s };
    box.appendChild(chart("memory", "memory", t, [
      { name: "heap", color: "#c0392b", values: tl.heap_bytes },
      { name: "rss", color: "#0b62a4", values: tl.rss_bytes },
      { name: "mapped", color: "#27ae60", values: tl.mapped_bytes }],
      Object.assign({ fmt: fmtBytes, limit: limit }, common)));
    box.appendChild(chart("page faults per second", "faults", t, [
      { name: "minor", color: "#7d3c98", values: tl.minor_faults_per_s },
      { name: "major", color: "#d35400", values: tl.major_faults_per_s }],
      Object.assign({ fmt: (v) => fmtNum(v, v < 10 ? 1 : 0) }, common)));
    box.appendChild(chart("pressure: PSI some (%), level behind", "pressure", t, [
      { name: "psi some", color: "#2c3e50", values: tl.psi_some_avg10 }],
      Object.assign({ fmt: (v) => fmtNum(v, 1) + "%", max: 1, bands: (svg, x, top, bottom) => {
        tl.pressure.forEach((lv, i) => {
          if (!lv) return;
          const x0 = x(i ? t[i - 1] : 0), x1 = x(t[i]);
          const band = svgEl("rect", { class: "pressure-band", "data-level": lv, x: x0, y: top,
            width: Math.max(1, x1 - x0), height: bottom - top, fill: LEVEL_COLORS[lv] || "#eee" });
          band.appendChild(svgEl("title", {}, "pressure " + lv));
          svg.appendChild(band);
        });
      } }, common)));
  }

  /* ---- flame graph (icicle: callers on top, the allocation site at the bottom) ---- */
  function buildTree(stacks) {
    const root = { name: "all", value: 0, children: new Map(), parent: null, depth: 0 };
    let depth = 0;
    for (const s of stacks) {
      const bytes = s.outstanding_bytes;
      let node = root;
      root.value += bytes;
      const frames = s.frames.length ? s.frames : [{ addr: "[no user stack]", symbol: "[no user stack]" }];
      for (let i = frames.length - 1; i >= 0; i--) {
        const name = frameLabel(frames[i]);
        let c = node.children.get(name);
        if (!c) {
          c = { name: name, value: 0, children: new Map(), parent: node, depth: node.depth + 1 };
          node.children.set(name, c);
        }
        c.value += bytes;
        node = c;
      }
      if (node.depth > depth) depth = node.depth;
    }
    root.maxDepth = depth;
    return root;
  }
  function colorOf(name) {
    let h = 0;
    for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
    return "hsl(" + (10 + h % 45) + "," + (60 + h % 30) + "%," + (62 + (h >> 8) % 18) + "%)";
  }
  function Flame(svg, status) {
    this.svg = svg; this.status = status; this.root = null; this.zoom = null; this.query = "";
  }
  Flame.prototype.show = function (root) { this.root = root; this.zoom = root; this.draw(); };
  Flame.prototype.draw = function () {
    const svg = clear(this.svg), W = 1200, root = this.root, zoom = this.zoom;
    const rows = root.maxDepth + 1;
    svg.setAttribute("viewBox", "0 0 " + W + " " + rows * FLAME_ROW);
    svg.setAttribute("height", rows * FLAME_ROW);
    const q = this.query.toLowerCase();
    let matched = 0;
    const self = this;
    function box(n, x, w, cls) {
      const g = svgEl("g", { class: "frame" });
      const r = svgEl("rect", { x: x, y: n.depth * FLAME_ROW, width: w, height: FLAME_ROW - 1,
        fill: n === root ? "#bbb" : colorOf(n.name), "data-name": n.name, "data-bytes": n.value });
      if (cls) r.setAttribute("class", cls);
      r.appendChild(svgEl("title", {}, n.name + "\n" + fmtBytes(n.value) + " (" + n.value + " bytes, " +
        (100 * n.value / (root.value || 1)).toFixed(1) + "%)"));
      r.addEventListener("click", () => { self.zoom = n; self.draw(); });
      g.appendChild(r);
      if (w > 28) {
        const chars = Math.floor((w - 6) / 7);
        const label = n.name.length > chars ? n.name.slice(0, Math.max(chars - 1, 1)) + "\u2026" : n.name;
        g.appendChild(svgEl("text", { x: x + 3, y: n.depth * FLAME_ROW + 13 }, label));
      }
      svg.appendChild(g);
      return r;
    }
    for (let a = zoom.parent; a; a = a.parent) box(a, 0, W, "ancestor");
    (function walk(n, x, w) {
      const r = box(n, x, w, null);
      if (q && n !== root && n.name.toLowerCase().includes(q)) {
        r.setAttribute("class", "match");
        let inside = false;
        for (let a = n.parent; a; a = a.parent) if (a !== root && a.name.toLowerCase().includes(q)) inside = true;
        if (!inside) matched += n.value;
      }
      let cx = x;
      for (const c of n.children.values()) {
        const cw = w * c.value / (n.value || 1);
        if (cw >= FLAME_MIN_PX) walk(c, cx, cw);
        cx += cw;
      }
    })(zoom, 0, W);
    let s = fmtBytes(zoom.value) + " in view (" + zoom.value + " bytes)";
    if (q) s += "; matching \u201c" + this.query + "\u201d: " + fmtBytes(matched) + " (" +
      (100 * matched / (root.value || 1)).toFixed(1) + "%)";
    this.status.textContent = s;
    this.status.setAttribute("data-matched", matched);
  };

  /* ---- top stacks ---- */
  function renderStacks(p, limit) {
    const body = clear(document.querySelector("#stacks tbody"));
    const n = Math.min(limit, p.stacks.length);
    for (let i = 0; i < n; i++) {
      const s = p.stacks[i];
      const tr = el("tr", { class: "stack", "data-index": i });
      const site = el("td", { class: "site" });
      const det = el("details");
      det.appendChild(el("summary", {}, s.frames.length ? frameSite(s.frames[0]) : "[no user stack]"));
      const ol = el("ol", { class: "frames" });
      for (const f of s.frames) ol.appendChild(el("li", {}, frameSite(f)));
      det.appendChild(ol);
      site.appendChild(det);
      tr.append(td(i + 1, "num"), td(fmtBytes(s.outstanding_bytes), "num", s.outstanding_bytes),
        td(s.outstanding_allocs, "num", s.outstanding_allocs),
        td(s.verdict || "\u2013", "verdict verdict-" + s.verdict),
        td(fmtNum(s.leak_score, 2), "num", s.leak_score),
        td(s.growth_bytes_per_s === null ? "\u2013" : fmtBytes(Math.abs(s.growth_bytes_per_s)) +
          (s.growth_bytes_per_s < 0 ? " less" : ""), "num", s.growth_bytes_per_s),
        td(fmtAge(s.oldest_age_s), "num", s.oldest_age_s), td(s.allocator), site);
      body.appendChild(tr);
    }
    const more = document.getElementById("stacks-more");
    more.hidden = n >= p.stacks.length;
    more.textContent = "show all " + p.stacks.length + " stacks";
    more.onclick = () => renderStacks(p, p.stacks.length);
    if (!p.stacks.length) {
      const tr = el("tr");
      tr.appendChild(el("td", { colspan: 9, class: "none" }, "no outstanding allocation"));
      body.appendChild(tr);
    }
  }

  function renderProcess(r, i, flame) {
    const p = r.processes[i];
    for (const tr of document.querySelectorAll("tr.proc"))
      tr.classList.toggle("selected", tr.getAttribute("data-index") === String(i));
    const title = document.getElementById("detail-title");
    title.textContent = "PID " + p.pid + (p.ns_pid !== null ? " [ns " + p.ns_pid + "]" : "") + " (" + p.comm + ")";
    title.setAttribute("data-index", i);
    renderFigures(p);
    renderRecommendations(p);
    renderTimelines(r, p);
    flame.show(buildTree(p.stacks));
    renderStacks(p, STACKS_SHOWN);
  }

  function selected(r, order) {
    const m = /proc=(\d+)/.exec(location.hash);
    const i = m ? Number(m[1]) : order[0];
    return i < r.processes.length ? i : order[0];
  }

  /* The page's data: a report, or in live mode {"live": URL} to fetch one from. */
  function embedded() {
    let r;
    try {
      r = JSON.parse(document.getElementById("report-data").textContent);
    } catch (e) {
      throw new Error("the embedded report is not valid JSON (" + e.message + ")");
    }
    if (r && typeof r.live === "string") return r;
    if (!r || !Array.isArray(r.processes)) throw new Error("the embedded data is not a memvigil JSON report");
    return r;
  }

  function setup() {
    const flame = new Flame(document.getElementById("flame"), document.getElementById("flame-status"));
    const search = document.getElementById("flame-search");
    search.addEventListener("input", () => { flame.query = search.value; flame.draw(); });
    document.getElementById("flame-reset").addEventListener("click", () => { flame.zoom = flame.root; flame.draw(); });
    return flame;
  }

  /* Draw report r; on a hash change, the process it names. */
  function show(r, flame) {
    renderSummary(r);
    renderHealth(r);
    renderAlerts(r);
    const order = r.processes.map((_, i) => i)
      .sort((a, b) => r.processes[b].heap.outstanding_bytes - r.processes[a].heap.outstanding_bytes);
    renderProcesses(r, order);
    document.getElementById("detail").hidden = !r.processes.length;
    if (r.processes.length) renderProcess(r, selected(r, order), flame);
    window.onhashchange = () => { if (r.processes.length) renderProcess(r, selected(r, order), flame); };
  }

  /*
   * Live mode (memvigil --listen serves the page at /): the report is fetched
   * from the server every LIVE_MS and drawn again. A token given in the
   * page's address as #token=TOKEN is sent as the bearer token.
   */
  const LIVE_MS = 2000;
  function live(url, flame) {
    const m = /token=([^&]+)/.exec(location.hash);
    const headers = m ? { Authorization: "Bearer " + decodeURIComponent(m[1]) } : {};
    const status = document.getElementById("error");
    let refreshes = 0;
    function refresh() {
      fetch(url, { headers: headers, cache: "no-store" })
        .then((resp) => {
          if (!resp.ok) throw new Error("the server answered " + resp.status);
          return resp.json();
        })
        .then((r) => {
          show(r, flame);
          document.getElementById("summary").textContent += " \u00b7 live, refreshed every " +
            LIVE_MS / 1000 + " s";
          status.style.display = "none";
          document.body.setAttribute("data-refreshes", String(++refreshes));
        })
        .catch((e) => {
          status.textContent = "Live report unavailable: " + e.message + " (retrying)";
          status.style.display = "block";
        })
        .finally(() => setTimeout(refresh, LIVE_MS));
    }
    refresh();
  }

  function main() {
    const r = embedded(), flame = setup();
    if (r.live !== undefined) live(r.live, flame);
    else show(r, flame);
  }

  try {
    main();
    document.body.setAttribute("data-rendered", (performance.now() - t0).toFixed(1));
  } catch (e) {
    const box = document.getElementById("error");
    box.textContent = "This report could not be shown: " + e.message;
    box.style.display = "block";
    document.body.setAttribute("data-error", e.message);
  }
})();
