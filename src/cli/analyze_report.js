/* sipreply analyze --html: renders the report embedded as JSON in the page (no network).
 * Inlined into the page by src/cli/analyze_html.c at build time (cmake/EmbedText.cmake). */
"use strict";
(function () {
  var errors = [];
  window.addEventListener("error", function (e) {
    errors.push(String(e.message));
    var el = document.getElementById("errors");
    if (el) { el.textContent = errors.join("\n"); el.hidden = false; }
    document.body.setAttribute("data-errors", String(errors.length));
  });
  var R = JSON.parse(document.getElementById("report").textContent);
  var SVG = "http://www.w3.org/2000/svg";
  var COLORS = { "1xx": "#8fa8c8", "2xx": "#3c9a5f", "3xx": "#c8a13c", "4xx": "#d9782d", "5xx": "#c0392b", "6xx": "#7d3c98" };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function fmt(v, digits) {
    return v === null || v === undefined ? "-" : Number(v).toFixed(digits);
  }
  function fig(id, value) {
    var e = document.getElementById(id);
    e.textContent = String(value);
    e.setAttribute("data-value", String(value));
  }

  /* headline figures */
  fig("fig-messages", R.sip.messages);
  fig("fig-resent", R.sip.resent);
  fig("fig-calls", R.calls.total);
  fig("fig-ser", fmt(R.metrics.ser.percent, 2));
  fig("fig-asr", fmt(R.metrics.asr.percent, 2));
  fig("fig-ner", fmt(R.metrics.ner.percent, 2));
  fig("fig-packets", R.capture.packets);

  /* class breakdown: one bar per class */
  (function () {
    var box = document.getElementById("classes");
    var max = 1, i;
    for (i = 0; i < R.classes.length; i++) max = Math.max(max, R.classes[i].count);
    var s = svg("svg", { width: 600, height: 30 * R.classes.length + 10, role: "img" });
    for (i = 0; i < R.classes.length; i++) {
      var c = R.classes[i], y = 5 + 30 * i, w = Math.max(2, 360 * c.count / max);
      s.appendChild(svg("text", { x: 0, y: y + 17 }, c["class"] + " " + c.title));
      s.appendChild(svg("rect", { x: 150, y: y, width: w, height: 22, fill: COLORS[c["class"]] }));
      s.appendChild(svg("text", { x: 156 + w, y: y + 17, "class": "count", "data-class": c["class"], "data-count": c.count }, String(c.count)));
    }
    box.appendChild(s);
  })();

  /* responses by class over time: stacked bars */
  (function () {
    var box = document.getElementById("timeline");
    var T = R.timeline, n = (T["1xx"] || []).length, max = 1, i, k;
    var cls = ["1xx", "2xx", "3xx", "4xx", "5xx", "6xx"];
    for (i = 0; i < n; i++) {
      var sum = 0;
      for (k = 0; k < 6; k++) sum += T[cls[k]][i];
      max = Math.max(max, sum);
    }
    var W = 640, H = 160, bw = n ? W / n : W;
    var s = svg("svg", { width: W + 60, height: H + 40, role: "img" });
    var total = 0;
    for (i = 0; i < n; i++) {
      var y = H;
      for (k = 0; k < 6; k++) {
        var v = T[cls[k]][i];
        if (!v) continue;
        total += v;
        var h = H * v / max;
        y -= h;
        s.appendChild(svg("rect", { x: 40 + i * bw, y: y, width: Math.max(1, bw - 1), height: h, fill: COLORS[cls[k]] }));
      }
    }
    s.appendChild(svg("text", { x: 0, y: 12 }, String(max)));
    s.appendChild(svg("text", { x: 40, y: H + 20 }, T.start + ", " + T.bucket_s + " s per bar"));
    s.setAttribute("data-total", String(total));
    box.appendChild(s);
  })();

  /* post-dial delay distribution */
  (function () {
    var box = document.getElementById("pdd");
    var h = R.metrics.post_dial_delay_histogram;
    var names = ["<0.5", "<1", "<2", "<3", "<5", "<8", "<13", "<21", "<34", "<55", "<89", ">=89"];
    var max = 1, i, total = 0;
    for (i = 0; i < h.length; i++) { max = Math.max(max, h[i]); total += h[i]; }
    var s = svg("svg", { width: 620, height: 180, role: "img", "data-total": total });
    for (i = 0; i < h.length; i++) {
      var bh = 130 * h[i] / max;
      s.appendChild(svg("rect", { x: 10 + 50 * i, y: 140 - bh, width: 40, height: bh, fill: "#3c6e9a" }));
      s.appendChild(svg("text", { x: 10 + 50 * i, y: 158 }, names[i]));
      s.appendChild(svg("text", { x: 14 + 50 * i, y: 136 - bh }, String(h[i])));
    }
    s.appendChild(svg("text", { x: 10, y: 176 }, "seconds from INVITE to the first 18x"));
    box.appendChild(s);
  })();

  /* RFC 6076 metrics */
  (function () {
    var M = R.metrics, t = document.getElementById("metrics");
    var rows = [["RRD", "rrd"], ["SRD successful", "srd_successful"], ["SRD failed", "srd_failed"],
                ["SDD", "sdd"], ["SDT", "sdt"], ["Post-dial delay", "post_dial_delay"]];
    var i;
    for (i = 0; i < rows.length; i++) {
      var d = M[rows[i][1]], tr = el("tr", { "data-metric": rows[i][1] });
      tr.appendChild(el("td", {}, rows[i][0]));
      tr.appendChild(el("td", { "class": "num" }, fmt(d.mean_s, 3) + " s"));
      tr.appendChild(el("td", { "class": "num" }, fmt(d.min_s, 3) + " - " + fmt(d.max_s, 3) + " s"));
      tr.appendChild(el("td", { "class": "num" }, String(d.count)));
      t.appendChild(tr);
    }
    var ratios = [["SER", "ser"], ["SEER", "seer"], ["ISA", "isa"], ["SCR", "scr"], ["ASR", "asr"], ["NER", "ner"]];
    for (i = 0; i < ratios.length; i++) {
      var r = M[ratios[i][1]], tr2 = el("tr", { "data-metric": ratios[i][1], "data-percent": fmt(r.percent, 2) });
      tr2.appendChild(el("td", {}, ratios[i][0]));
      tr2.appendChild(el("td", { "class": "num" }, fmt(r.percent, 2) + " %"));
      tr2.appendChild(el("td", { "class": "num" }, r.numerator + " / " + r.denominator));
      tr2.appendChild(el("td", {}, ""));
      t.appendChild(tr2);
    }
  })();

  /* ladder diagram of one call */
  function ladder(i) {
    var c = R.calls.list[i], box = document.getElementById("ladder");
    while (box.firstChild) box.removeChild(box.firstChild);
    var L = c.ladder, lanes = L.lanes.length, ev = L.events;
    var W = Math.max(420, 220 * lanes), H = 60 + 34 * ev.length;
    var s = svg("svg", { width: W, height: H, role: "img", "data-call": c.call_id, "data-events": ev.length });
    var x = function (l) { return 110 + l * ((W - 220) / Math.max(1, lanes - 1)); };
    for (var l = 0; l < lanes; l++) {
      s.appendChild(svg("text", { x: x(l), y: 16, "text-anchor": "middle" }, L.lanes[l]));
      s.appendChild(svg("line", { x1: x(l), y1: 24, x2: x(l), y2: H - 6, stroke: "#888" }));
    }
    for (var k = 0; k < ev.length; k++) {
      var e = ev[k], y = 48 + 34 * k, x1 = x(e.from), x2 = x(e.to);
      var g = svg("g", { "class": "arrow" + (e.resent ? " resent" : "") });
      g.appendChild(svg("line", { x1: x1, y1: y, x2: x2, y2: y, stroke: e.resent ? "#c0392b" : "#222", "marker-end": "url(#head)" }));
      g.appendChild(svg("text", { x: (x1 + x2) / 2, y: y - 5, "text-anchor": "middle" }, e.label + (e.resent ? " (resent)" : "")));
      g.appendChild(svg("text", { x: 4, y: y + 4, "class": "time" }, "+" + fmt(e.t_s, 3) + " s"));
      s.appendChild(g);
    }
    var defs = svg("defs");
    var mk = svg("marker", { id: "head", markerWidth: 8, markerHeight: 8, refX: 8, refY: 4, orient: "auto" });
    mk.appendChild(svg("path", { d: "M0,0 L8,4 L0,8 z", fill: "#222" }));
    defs.appendChild(mk);
    s.appendChild(defs);
    box.appendChild(el("h3", {}, "Call " + c.call_id + (L.truncated ? " (first messages only)" : "")));
    box.appendChild(s);
  }

  /* the table of calls */
  (function () {
    var t = document.getElementById("calls");
    for (var i = 0; i < R.calls.list.length; i++) {
      var c = R.calls.list[i], tr = el("tr", { "data-index": i, tabindex: 0 });
      var cells = [c.start, c.caller, c.callee, c.final_code === null ? "-" : c.final_code,
                   c.final_by || "-", fmt(c.post_dial_delay_s, 3), fmt(c.answer_s, 3),
                   fmt(c.duration_s, 3), c.hangup || "-", c.retransmissions];
      for (var k = 0; k < cells.length; k++) tr.appendChild(el("td", {}, String(cells[k])));
      tr.addEventListener("click", (function (n) { return function () { ladder(n); }; })(i));
      t.appendChild(tr);
    }
    document.getElementById("calls-note").textContent =
      R.calls.listed < R.calls.total ? "The first " + R.calls.listed + " of " + R.calls.total + " calls." : "";
  })();

  /* conformance findings */
  (function () {
    var t = document.getElementById("findings");
    for (var i = 0; i < R.conformance.length; i++) {
      var f = R.conformance[i], tr = el("tr");
      var cells = [f.element, f.severity, f.rule, f.section, f.count, f.message + (f.detail ? " (" + f.detail + ")" : "")];
      for (var k = 0; k < cells.length; k++) tr.appendChild(el("td", {}, String(cells[k])));
      var ex = el("td"), d = el("details"), p = el("pre");
      d.appendChild(el("summary", {}, "example"));
      p.textContent = f.example || "";
      d.appendChild(p);
      ex.appendChild(d);
      tr.appendChild(ex);
      t.appendChild(tr);
    }
  })();

  var m = /#call=(\d+)/.exec(location.hash);
  if (m && R.calls.list[Number(m[1])]) ladder(Number(m[1]));
  document.body.setAttribute("data-rendered", "1");
  if (!document.body.hasAttribute("data-errors")) document.body.setAttribute("data-errors", "0");
})();
