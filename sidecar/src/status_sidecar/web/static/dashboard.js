/* stashkit status sidecar dashboard: the server renders, this script refreshes what it renders.
 *
 * Every refresh fetches the page again and swaps in its live regions ([data-live]): health,
 * facts, KPI tiles and the tables are rendered (and escaped) by the server only, one renderer.
 * What only a browser can do stays here: the chart, the log viewer, hot threads. Text from the
 * API that this script shows is written with textContent / setAttribute, never parsed as markup.
 * No framework, no build step, no third-party code. Settings come from data- attributes (the CSP
 * forbids inline script); the history ranges from the range buttons the server renders.
 */
(() => {
  "use strict";

  const doc = document;
  doc.documentElement.classList.remove("no-js");
  doc.documentElement.classList.add("js");

  const body = doc.body;
  const API = body.dataset.api || "api/";
  const MIN_REFRESH_MS = 2000;
  const FETCH_TIMEOUT_MS = 15000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  // The history ranges, as the server declares them on its range buttons.
  const RANGES = {};
  const RANGE_NAMES = {};
  const X_TICK_S = {};
  for (const button of doc.querySelectorAll("#range-buttons button[data-range]")) {
    RANGES[button.dataset.range] = Number(button.dataset.seconds);
    RANGE_NAMES[button.dataset.range] = button.dataset.name;
    X_TICK_S[button.dataset.range] = Number(button.dataset.tick);
  }

  let refreshMs = Math.max(MIN_REFRESH_MS, Number(body.dataset.refreshMs) || 10000);

  // ---- helpers ------------------------------------------------------------------------------

  const $ = (id) => doc.getElementById(id);

  /** An HTML element with attributes and text/element children (text stays text). */
  function el(tag, attrs, ...children) {
    const node = doc.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? doc.createTextNode(child) : child);
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = doc.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    return node;
  }

  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const NF0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const NF1 = new Intl.NumberFormat("en-US", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const DASH = "—";

  const fmtInt = (v) => (isNum(v) ? NF0.format(Math.round(v)) : DASH);
  const fmtRate = (v) =>
    isNum(v) ? (Math.abs(v) < 100 ? NF1.format(v) : NF0.format(Math.round(v))) : DASH;
  /** A Date -> "YYYY-MM-DD HH:MM:SS UTC" (the server writes its times the same way). */
  function fmtTime(value) {
    if (!value) return DASH;
    const date = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
  }

  const fmtClock = (ms) => new Date(ms).toISOString().slice(11, 19);
  const fmtHourMinute = (ms) => new Date(ms).toISOString().slice(11, 16);

  function fmtCompact(v) {
    const a = Math.abs(v);
    if (a >= 1e9) return `${trim(v / 1e9)}G`;
    if (a >= 1e6) return `${trim(v / 1e6)}M`;
    if (a >= 1e3) return `${trim(v / 1e3)}k`;
    return trim(v);
  }
  const trim = (v) => String(Number(v.toFixed(2)));


  async function fetchOrThrow(url, accept) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      const response = await fetch(url, {
        cache: "no-store",
        headers: { Accept: accept },
        signal: controller.signal,
      });
      if (!response.ok) {
        let message = `HTTP ${response.status}`;
        try {
          const payload = await response.json();
          if (payload && typeof payload.error === "string") message = payload.error;
        } catch (_) {
          /* not JSON: keep the status */
        }
        throw new Error(message);
      }
      return response;
    } catch (error) {
      if (error.name === "AbortError") {
        throw new Error(`no answer within ${FETCH_TIMEOUT_MS / 1000} s`);
      }
      if (error instanceof TypeError) throw new Error("the sidecar did not answer (network error)");
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  const getJSON = async (url) => (await fetchOrThrow(url, "application/json")).json();
  const getText = async (url) => (await fetchOrThrow(url, "text/plain")).text();

  // ---- chart -------------------------------------------------------------------------------

  const chart = {
    range: "1h",
    data: null,
    now: null, // the server's clock (health.checked_at), so a skewed laptop clock is harmless
    fetchedAt: 0,
    error: null,
    series: [],
    geometry: null,
  };

  const historyEveryMs = (range) => Math.max(refreshMs, (RANGES[range] * 1000) / 720);

  async function refreshHistory(force) {
    const range = chart.range;
    if (!force && Date.now() - chart.fetchedAt < historyEveryMs(range)) return;
    try {
      const data = await getJSON(`${API}history?range=${encodeURIComponent(range)}`);
      if (range !== chart.range) return; // the operator switched range meanwhile
      chart.data = data;
      chart.fetchedAt = Date.now();
      chart.error = null;
    } catch (error) {
      if (range !== chart.range) return;
      chart.error = error.message;
    }
    drawChart();
  }

  function chartMessage(text) {
    const box = $("chart");
    box.querySelector("svg")?.remove();
    box.querySelector(".chart-tip")?.remove();
    const message = $("chart-message");
    message.hidden = false;
    message.textContent = text;
  }

  function median(values) {
    if (!values.length) return 0;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /** History points -> [{t, i, o}] at most `buckets` long (rates are true averages). */
  function seriesOf(points, start, end, buckets) {
    if (points.length <= buckets) {
      return points.map((p) => ({ t: p.t, i: p.i, o: p.o }));
    }
    const width = (end - start) / buckets;
    const acc = new Map();
    for (const p of points) {
      const b = Math.min(buckets - 1, Math.max(0, Math.floor((p.t - start) / width)));
      const a = acc.get(b) || { ein: 0, eout: 0, secs: 0 };
      a.ein += p.ein;
      a.eout += p.eout;
      a.secs += p.secs;
      acc.set(b, a);
    }
    return [...acc.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([b, a]) => ({
        t: start + (b + 0.5) * width,
        i: a.secs > 0 ? a.ein / a.secs : 0,
        o: a.secs > 0 ? a.eout / a.secs : 0,
      }));
  }

  function niceStep(raw) {
    const pow = 10 ** Math.floor(Math.log10(raw));
    const f = raw / pow;
    return (f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1) * pow;
  }

  function pathOf(segments, x, y, key) {
    return segments
      .map((seg) =>
        seg
          .map((p, k) => `${k ? "L" : "M"}${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`)
          .join("") + (seg.length === 1 ? "h0.01" : ""),
      )
      .join("");
  }

  function areaOf(segments, x, y, key, baseY) {
    return segments
      .filter((seg) => seg.length > 1)
      .map((seg) => {
        const line = seg.map((p) => `L${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join("");
        const x0 = x(seg[0].t).toFixed(1);
        const x1 = x(seg[seg.length - 1].t).toFixed(1);
        return `M${x0},${baseY}${line}L${x1},${baseY}Z`;
      })
      .join("");
  }

  function drawChart() {
    const box = $("chart");
    const data = chart.data;
    const rangeS = RANGES[chart.range];
    if (!data) {
      chartMessage(chart.error ? `Could not load the history: ${chart.error}. Retrying…` : "Loading history…");
      return;
    }
    const end = chart.now || Date.now();
    const start = end - rangeS * 1000;
    const points = (data.points || [])
      .map((p) => ({
        t: Date.parse(p.t),
        secs: isNum(p.interval_s) ? p.interval_s : 0,
        i: isNum(p.input_eps) ? p.input_eps : 0,
        o: isNum(p.output_eps) ? p.output_eps : 0,
        // A point may be a bucket of several polls: its peak is the highest of them.
        pi: isNum(p.peak_input_eps) ? p.peak_input_eps : isNum(p.input_eps) ? p.input_eps : 0,
        ein: isNum(p.events_in) ? p.events_in : 0,
        eout: isNum(p.events_out) ? p.events_out : 0,
      }))
      .filter((p) => Number.isFinite(p.t) && p.t >= start - 60000)
      .sort((a, b) => a.t - b.t);
    const summary = $("chart-summary");
    if (!points.length) {
      chartMessage(
        `No samples in the last ${RANGE_NAMES[chart.range]} yet: the chart fills in from the second successful poll of Logstash.`,
      );
      summary.textContent = chart.error ? `History refresh failed: ${chart.error}` : "";
      return;
    }

    const W = Math.max(320, box.clientWidth);
    const H = Math.max(160, box.clientHeight);
    const M = { l: 54, r: 16, t: 14, b: 26 };
    const plotW = W - M.l - M.r;
    const plotH = H - M.t - M.b;
    const series = seriesOf(points, start, end, Math.max(40, Math.floor(plotW / 2)));
    const peak = Math.max(...series.map((p) => Math.max(p.i, p.o)));
    const step = niceStep(Math.max(peak, 1) / 4);
    const yMax = Math.max(step, Math.ceil(peak / step) * step);
    const x = (t) => M.l + ((t - start) / (end - start)) * plotW;
    const y = (v) => M.t + plotH - (Math.max(0, v) / yMax) * plotH;
    const baseY = (M.t + plotH).toFixed(1);

    // A gap (no successful polls) breaks the lines instead of drawing a ramp across it.
    const gapMs = 2.5 * Math.max(median(points.map((p) => p.secs * 1000)), (end - start) / Math.max(40, Math.floor(plotW / 2)), 1000);
    const segments = [];
    let current = [];
    for (const p of series) {
      if (current.length && p.t - current[current.length - 1].t > gapMs) {
        segments.push(current);
        current = [];
      }
      current.push(p);
    }
    if (current.length) segments.push(current);

    const root = svg("svg", {
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: "img",
      "aria-labelledby": "chart-title chart-summary",
      focusable: "false",
    });
    const grid = svg("g", { class: "grid" });
    const axis = svg("g", { class: "axis" });
    for (let v = 0; v <= yMax + step / 2; v += step) {
      const yy = y(v).toFixed(1);
      grid.append(svg("line", { x1: M.l, x2: W - M.r, y1: yy, y2: yy }));
      const label = svg("text", { x: M.l - 8, y: yy, "text-anchor": "end", dy: "0.32em" });
      label.textContent = fmtCompact(v);
      axis.append(label);
    }
    const tickMs = X_TICK_S[chart.range] * 1000;
    for (let t = Math.ceil(start / tickMs) * tickMs; t <= end; t += tickMs) {
      const xv = x(t);
      const xx = xv.toFixed(1);
      grid.append(svg("line", { x1: xx, x2: xx, y1: M.t, y2: M.t + plotH }));
      if (xv < M.l + 24 || xv > W - M.r - 16) continue; // no label over "UTC" or off the edge
      const label = svg("text", { x: xx, y: H - 6, "text-anchor": "middle" });
      label.textContent = fmtHourMinute(t);
      axis.append(label);
    }
    const utc = svg("text", { x: M.l - 8, y: H - 6, "text-anchor": "end" });
    utc.textContent = "UTC";
    axis.append(utc);
    root.append(
      grid,
      svg("line", { class: "axis-base", x1: M.l, x2: W - M.r, y1: baseY, y2: baseY }),
      axis,
      svg("path", { class: "area-in", d: areaOf(segments, x, y, "i", baseY) }),
      svg("path", { class: "series series-out", d: pathOf(segments, x, y, "o") }),
      svg("path", { class: "series series-in", d: pathOf(segments, x, y, "i") }),
    );

    const restarts = (data.restarts || [])
      .map((r) => ({ t: Date.parse(r.t), reason: String(r.reason || "Logstash restarted") }))
      .filter((r) => Number.isFinite(r.t) && r.t >= start && r.t <= end);
    for (const r of restarts) {
      const xx = x(r.t).toFixed(1);
      const group = svg("g", { class: "restart" });
      const title = svg("title");
      title.textContent = `Logstash restart at ${fmtTime(new Date(r.t))}: ${r.reason}`;
      group.append(
        title,
        svg("line", { class: "restart-hit", x1: xx, x2: xx, y1: M.t, y2: M.t + plotH }),
        svg("line", { class: "restart-line", x1: xx, x2: xx, y1: M.t, y2: M.t + plotH }),
        svg("path", { class: "restart-head", d: `M${xx},${M.t + 7}l-5,-8h10z` }),
      );
      root.append(group);
    }

    const hover = svg("g", { class: "hover", visibility: "hidden" });
    const hoverLine = svg("line", { class: "hover-line", y1: M.t, y2: M.t + plotH });
    const dotIn = svg("circle", { class: "hover-dot-in", r: 3.5 });
    const dotOut = svg("circle", { class: "hover-dot-out", r: 3.5 });
    hover.append(hoverLine, dotOut, dotIn);
    root.append(hover);

    $("chart-message").hidden = true;
    box.querySelector("svg")?.remove();
    box.querySelector(".chart-tip")?.remove();
    const tip = el("div", { class: "chart-tip", hidden: true, "aria-hidden": "true" });
    box.append(root, tip);

    chart.series = series;
    root.addEventListener("mousemove", (event) => {
      const rect = root.getBoundingClientRect();
      const px = ((event.clientX - rect.left) / rect.width) * W;
      const t = start + ((px - M.l) / plotW) * (end - start);
      let best = series[0];
      for (const p of series) if (Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
      const bx = x(best.t);
      hoverLine.setAttribute("x1", bx);
      hoverLine.setAttribute("x2", bx);
      dotIn.setAttribute("cx", bx);
      dotIn.setAttribute("cy", y(best.i));
      dotOut.setAttribute("cx", bx);
      dotOut.setAttribute("cy", y(best.o));
      hover.setAttribute("visibility", "visible");
      tip.replaceChildren(
        el("strong", null, `${fmtClock(best.t)} UTC`),
        el("span", { class: "tip-in" }, `Input ${fmtRate(best.i)}/s`),
        el("br"),
        el("span", { class: "tip-out" }, `Output ${fmtRate(best.o)}/s`),
      );
      tip.hidden = false;
      const scale = rect.width / W;
      const left = bx * scale + 12;
      tip.style.left = `${Math.min(left, rect.width - tip.offsetWidth - 4)}px`;
      tip.style.top = `${M.t * scale + 4}px`;
    });
    root.addEventListener("mouseleave", () => {
      hover.setAttribute("visibility", "hidden");
      tip.hidden = true;
    });

    // A one-line summary: readable without the picture, and by screen readers.
    const secs = points.reduce((s, p) => s + p.secs, 0);
    const avgIn = secs > 0 ? points.reduce((s, p) => s + p.ein, 0) / secs : null;
    const avgOut = secs > 0 ? points.reduce((s, p) => s + p.eout, 0) / secs : null;
    const peakIn = Math.max(...points.map((p) => p.pi));
    let text =
      `Last ${RANGE_NAMES[chart.range]}: input averaged ${fmtRate(avgIn)}/s (peak ${fmtRate(peakIn)}/s), ` +
      `output ${fmtRate(avgOut)}/s`;
    if (restarts.length) {
      const last = restarts[restarts.length - 1];
      text += `; ${restarts.length} Logstash restart${restarts.length > 1 ? "s" : ""}`;
      text += ` (latest at ${fmtClock(last.t)} UTC: ${last.reason}).`;
    } else {
      text += "; no restarts.";
    }
    if (chart.error) text += ` History refresh failed: ${chart.error}; retrying.`;
    summary.textContent = text;
  }

  function setupRangeButtons() {
    const buttons = [...doc.querySelectorAll("#range-buttons button[data-range]")];
    for (const button of buttons) {
      button.addEventListener("click", () => {
        const range = button.dataset.range;
        if (!(range in RANGES) || range === chart.range) return;
        chart.range = range;
        chart.data = null;
        chart.error = null;
        for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
        drawChart();
        refreshHistory(true);
      });
    }
  }

  let resizeFrame = 0;
  if ("ResizeObserver" in window) {
    new ResizeObserver(() => {
      cancelAnimationFrame(resizeFrame);
      resizeFrame = requestAnimationFrame(drawChart);
    }).observe($("chart"));
  }

  // ---- logs --------------------------------------------------------------------------------

  const LEVEL_PLAIN = /^\[[^\]]*\]\[(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\s*\]/;
  const LEVEL_JSON = /"level"\s*:\s*"(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)"/;
  const logs = { text: null, fetchedAt: null };

  function levelOf(line) {
    const m = LEVEL_PLAIN.exec(line) || LEVEL_JSON.exec(line);
    return m ? m[1] : null;
  }

  function logLines() {
    return $("log-lines").value;
  }

  function updateDownloadLink() {
    $("log-download").setAttribute(
      "href",
      `${API}logs?lines=${encodeURIComponent(logLines())}&download=true`,
    );
  }

  function renderLogs() {
    const output = $("logs-output");
    const status = $("logs-status");
    if (logs.text === null) return;
    const lines = logs.text.split("\n");
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    const problemsOnly = $("log-problems").checked;
    const counts = { ERROR: 0, WARN: 0 };
    const nodes = [];
    let inherited = null; // stack-trace lines belong to the entry above them
    for (const line of lines) {
      const own = levelOf(line);
      const level = own || (line.startsWith("[") ? null : inherited);
      inherited = own ? own : level;
      const tone = level === "ERROR" || level === "FATAL" ? "error" : level === "WARN" ? "warn" : "";
      if (own === "ERROR" || own === "FATAL") counts.ERROR += 1;
      if (own === "WARN") counts.WARN += 1;
      if (problemsOnly && !tone) continue;
      let cls = "line";
      if (tone) cls += ` lvl-${tone}${own ? " lvl-head" : ""}`;
      nodes.push(el("span", { class: cls }, `${line}\n`));
    }
    output.replaceChildren(...nodes);
    output.hidden = false;
    status.className = "panel-status";
    const shown = problemsOnly ? `${fmtInt(nodes.length)} of ${fmtInt(lines.length)}` : fmtInt(lines.length);
    status.textContent =
      `${shown} lines · ${fmtInt(counts.ERROR)} error${counts.ERROR === 1 ? "" : "s"} · ` +
      `${fmtInt(counts.WARN)} warning${counts.WARN === 1 ? "" : "s"} · fetched ${fmtClock(logs.fetchedAt)} UTC`;
    if (!nodes.length) {
      output.hidden = true;
      status.textContent += problemsOnly ? " · no warnings or errors" : " · the log is empty";
    }
    output.scrollTop = output.scrollHeight;
  }

  async function loadLogs() {
    const button = $("logs-button");
    const status = $("logs-status");
    button.disabled = true;
    status.className = "panel-status";
    status.textContent = "Loading the log…";
    try {
      logs.text = await getText(`${API}logs?lines=${encodeURIComponent(logLines())}`);
      logs.fetchedAt = Date.now();
      renderLogs();
    } catch (error) {
      logs.text = null;
      $("logs-output").hidden = true;
      status.className = "panel-status is-error";
      status.textContent = `Cannot show the log: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  // ---- hot threads -------------------------------------------------------------------------

  async function loadHotThreads() {
    const button = $("threads-button");
    const status = $("threads-status");
    const output = $("threads-output");
    button.disabled = true;
    status.className = "panel-status";
    status.textContent = "Asking Logstash for its hot threads…";
    try {
      const text = await getText(`${API}hot-threads`);
      output.textContent = text;
      output.hidden = false;
      status.textContent = `Captured at ${fmtClock(Date.now())} UTC.`;
    } catch (error) {
      output.hidden = true;
      status.className = "panel-status is-error";
      status.textContent = error.message;
    } finally {
      button.disabled = false;
    }
  }

  // ---- refresh loop ------------------------------------------------------------------------

  let timer = 0;
  let lastOk = null;
  let fetchFailing = false;
  let logstashUnreachable = !$("unreachable").hidden;

  /** Swap the live regions of the freshly rendered page in; the rest of the page stays. */
  function render(page) {
    const fresh = new DOMParser().parseFromString(page, "text/html");
    const banner = $("health");
    const before = banner ? banner.dataset.status : null;
    for (const region of fresh.querySelectorAll("[data-live]")) {
      const current = doc.getElementById(region.id);
      if (current) current.replaceWith(doc.importNode(region, true));
    }
    const health = $("health");
    const status = health.dataset.status;
    if (before && before !== status) {
      $("health-announce").textContent =
        `Logstash health changed to ${$("health-status").textContent.trim()}.`;
    }
    doc.title = fresh.title;
    const checked = Date.parse(health.dataset.checkedAt);
    chart.now = Number.isFinite(checked) ? checked : Date.now();
    const every = Number(health.dataset.refreshMs);
    if (isNum(every) && every > 0) refreshMs = Math.max(MIN_REFRESH_MS, every);
    return !$("unreachable").hidden;
  }

  let ticking = false;

  async function tick() {
    clearTimeout(timer);
    if (ticking) return; // the running tick schedules the next one
    ticking = true;
    try {
      await refreshAll();
    } finally {
      ticking = false;
      timer = setTimeout(tick, refreshMs);
    }
  }

  async function refreshAll() {
    const updated = $("updated-text");
    const alert = $("fetch-error");
    let page;
    try {
      page = await (await fetchOrThrow("./", "text/html")).text();
    } catch (error) {
      page = null;
      fetchFailing = true;
      const since = lastOk
        ? `Showing data from ${fmtClock(lastOk)} UTC`
        : "Showing the data the page was rendered with";
      alert.textContent =
        `Cannot refresh from the sidecar: ${error.message}. ${since}; ` +
        `retrying every ${fmtRate(refreshMs / 1000)} s.`;
      alert.hidden = false;
      $("updated").classList.add("is-stale");
      updated.textContent = `Update failed at ${fmtClock(Date.now())} UTC`;
    }
    if (page !== null) {
      try {
        logstashUnreachable = render(page);
      } catch (error) {
        console.error("dashboard: cannot display the refreshed page", error);
      }
      lastOk = Date.now();
      fetchFailing = false;
      alert.hidden = true;
      $("updated").classList.remove("is-stale");
      updated.textContent = `Updated ${fmtClock(lastOk)} UTC`;
    }
    body.classList.toggle("is-stale", fetchFailing || logstashUnreachable);
    await refreshHistory(false);
  }

  doc.addEventListener("visibilitychange", () => {
    if (!doc.hidden) tick();
  });

  function start() {
    setupRangeButtons();
    $("logs-form").addEventListener("submit", (event) => {
      event.preventDefault();
      updateDownloadLink();
      loadLogs();
    });
    $("log-lines").addEventListener("change", () => {
      updateDownloadLink();
      loadLogs();
    });
    $("log-problems").addEventListener("change", renderLogs);
    $("threads-form").addEventListener("submit", (event) => {
      event.preventDefault();
      loadHotThreads();
    });
    updateDownloadLink();
    drawChart();
    tick();
    loadLogs();
  }

  start();
})();
