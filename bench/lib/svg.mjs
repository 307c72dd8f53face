/**
 * A dependency-free SVG line chart for benchmark sweeps: throughput against payload size, x on a
 * log2 scale, one polyline (with point markers) per implementation, and a legend. The y axis is
 * logarithmic when the values span more than a decade (kernels run from MB/s to tens of GB/s),
 * linear otherwise.
 */
import { formatSize, formatRate, formatOps } from './report.mjs';

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

function fmt(n) {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** "Nice" linear ticks from lo up to the first one at or above hi. */
function linearTicks(lo, hi, count = 5) {
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? 10 * mag;
  const ticks = [];
  let v = Math.ceil(lo / step) * step;
  for (; v < hi - step * 1e-9; v += step) ticks.push(v);
  ticks.push(v);
  return ticks;
}

/** Decade ticks (1, 10, 100, ...) between lo and hi. */
function logTicks(lo, hi) {
  const ticks = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    const v = 10 ** e;
    if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
  }
  return ticks;
}

/**
 * @param {object} chart
 * @param {string} chart.title
 * @param {{ name: string, points: { x: number, y: number }[] }[]} chart.series  x: bytes, y: metric
 * @param {'MB/s'|'ops/s'} [chart.unit]  how y values are labelled
 * @param {string} [chart.subtitle]      e.g. the machine
 * @returns {string} an SVG document
 */
export function lineChart({ title, series, unit = 'MB/s', subtitle }) {
  // The legend gets the room its longest name needs (about 7 px a character at 12 px).
  const longest = Math.max(8, ...series.map((s) => String(s.name).length));
  const legendW = 40 + Math.ceil(longest * 7);
  const W = 570 + legendW;
  const H = 440;
  const m = { left: 78, right: legendW + 20, top: subtitle ? 58 : 44, bottom: 52 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const lines = series.map((s) => ({ ...s, points: s.points.filter((p) => p.x > 0 && p.y > 0).sort((a, b) => a.x - b.x) }));
  const all = lines.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xLo = xs.length > 0 ? Math.min(...xs) : 1;
  const xHi = xs.length > 0 ? Math.max(...xs) : 2;
  const x0 = Math.log2(xLo);
  const x1 = Math.max(Math.log2(xHi), x0 + 1);
  const yMin = Math.min(...ys, Infinity);
  const yMax = Math.max(...ys, 0);
  const logY = all.length > 0 && yMax / yMin > 10;
  let y0, y1, yTicks, yScale;
  if (logY) {
    y0 = 10 ** Math.floor(Math.log10(yMin));
    y1 = 10 ** Math.ceil(Math.log10(yMax));
    yTicks = logTicks(y0, y1);
    yScale = (v) => m.top + ph - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph;
  } else {
    y0 = 0;
    yTicks = linearTicks(0, yMax > 0 ? yMax * 1.05 : 1);
    y1 = yTicks[yTicks.length - 1];
    yScale = (v) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;
  }
  const xScale = (v) => m.left + ((Math.log2(v) - x0) / (x1 - x0)) * pw;
  const yLabel = (v) => (unit === 'MB/s' ? formatRate(v) : formatOps(v));

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${m.left}" y="40" font-size="11" fill="#555555">${esc(subtitle)}</text>`);

  // Grid and axes.
  out.push('<g stroke="#e0e0e0" stroke-width="1">');
  for (const t of yTicks) out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${fmt(yScale(t))}" y2="${fmt(yScale(t))}"/>`);
  const xTicks = [];
  const stride = Math.max(1, Math.ceil((Math.ceil(x1) - Math.floor(x0)) / 10));
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e += stride) xTicks.push(2 ** e);
  for (const t of xTicks) out.push(`<line x1="${fmt(xScale(t))}" x2="${fmt(xScale(t))}" y1="${m.top}" y2="${m.top + ph}"/>`);
  out.push('</g>');
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`);
  out.push('<g fill="#333333">');
  for (const t of yTicks) out.push(`<text x="${m.left - 6}" y="${fmt(yScale(t) + 4)}" text-anchor="end">${esc(yLabel(t))}</text>`);
  for (const t of xTicks) out.push(`<text x="${fmt(xScale(t))}" y="${m.top + ph + 16}" text-anchor="middle">${esc(formatSize(t))}</text>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">payload size (log scale)</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${unit === 'MB/s' ? 'throughput' : 'operations per second'}${logY ? ' (log scale)' : ''}</text>`);
  out.push('</g>');

  // One polyline per implementation, markers on the measured points, and the legend.
  lines.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.map((p) => `${fmt(xScale(p.x))},${fmt(yScale(p.y))}`).join(' ');
    out.push(`<g data-impl="${esc(s.name)}">`);
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${fmt(xScale(p.x))}" cy="${fmt(yScale(p.y))}" r="3" fill="${color}"><title>${esc(`${s.name}, ${formatSize(p.x)}: ${yLabel(p.y)}`)}</title></circle>`);
    }
    const ly = m.top + 8 + i * 20;
    const lx = W - legendW;
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}">${esc(s.name)}</text>`);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/**
 * Charts for every case of a suite that is swept over sizes: [{ name, title, svg }], one per case, the
 * name usable as a file name ('<suite>-<case>.svg').
 */
export function suiteCharts(suite, subtitle) {
  const charts = [];
  const cases = [...new Set(suite.rows.map((r) => r.case))];
  for (const caseName of cases) {
    const rows = suite.rows.filter((r) => r.case === caseName && r.size !== undefined && r.error === undefined);
    if (new Set(rows.map((r) => r.size)).size < 2) continue;
    const unit = rows.every((r) => r.mbPerSec !== undefined) ? 'MB/s' : 'ops/s';
    const impls = [...new Set(rows.map((r) => r.impl))];
    const series = impls.map((name) => ({
      name,
      points: rows.filter((r) => r.impl === name).map((r) => ({ x: r.size, y: unit === 'MB/s' ? r.mbPerSec : r.opsPerSec })),
    }));
    const slug = `${suite.suite}-${caseName}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
    const title = `${suite.title ?? suite.suite}: ${caseName}`;
    charts.push({ name: `${slug}.svg`, title, svg: lineChart({ title, series, unit, subtitle }) });
  }
  return charts;
}
