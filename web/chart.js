"use strict";
// Line charts in plain SVG: one <polyline> and one <circle class="point"> per value of each
// series, so what is drawn can be counted.
const COLORS = ["#2458c6", "#d0621b", "#157f3b", "#8e44ad", "#b42318", "#0f8b8d"];
const SVG = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

// series: [{name, points: [[step, value], ...]}]; draws into `box` (a .chart element).
function drawChart(box, title, series) {
  box.replaceChildren();
  const heading = document.createElement("h3");
  heading.textContent = title;
  box.append(heading);
  const shown = series.filter(s => s.points.length > 0);
  if (shown.length === 0) {
    const empty = document.createElement("p");
    empty.className = "muted";
    empty.textContent = "No values yet.";
    box.append(empty);
    return;
  }
  const W = 480, H = 220, L = 48, R = 10, T = 10, B = 26;
  const all = shown.flatMap(s => s.points);
  let [x0, x1] = [Math.min(...all.map(p => p[0])), Math.max(...all.map(p => p[0]))];
  let [y0, y1] = [Math.min(...all.map(p => p[1])), Math.max(...all.map(p => p[1]))];
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  const sx = x => L + (x - x0) / (x1 - x0) * (W - L - R);
  const sy = y => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title} by step` });
  svg.append(svgEl("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }));
  svg.append(svgEl("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }));
  for (const [value, y] of [[y1, T + 8], [y0, H - B]]) {
    const label = svgEl("text", { x: 2, y });
    label.textContent = format(value);
    svg.append(label);
  }
  for (const [value, anchor, x] of [[x0, "start", L], [x1, "end", W - R]]) {
    const label = svgEl("text", { x, y: H - 8, "text-anchor": anchor });
    label.textContent = `step ${value}`;
    svg.append(label);
  }
  const legend = document.createElement("div");
  legend.className = "legend";
  shown.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const group = svgEl("g", { class: "series", "data-series": s.name, "data-points": s.points.length });
    group.append(svgEl("polyline", { fill: "none", stroke: color, "stroke-width": 2,
      points: s.points.map(p => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" ") }));
    for (const p of s.points) {
      const dot = svgEl("circle", { class: "point", cx: sx(p[0]).toFixed(1), cy: sy(p[1]).toFixed(1), r: 2.5, fill: color });
      const tip = svgEl("title");
      tip.textContent = `${s.name} at step ${p[0]}: ${format(p[1])}`;
      dot.append(tip);
      group.append(dot);
    }
    svg.append(group);
    const key = document.createElement("span");
    key.style.setProperty("--c", color);
    key.textContent = s.name;
    legend.append(key);
  });
  box.append(svg, legend);
}

function format(value) {
  if (value === 0) return "0";
  const a = Math.abs(value);
  return a >= 1000 || a < 0.001 ? value.toExponential(2) : String(+value.toPrecision(4));
}
