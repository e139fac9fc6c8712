// Charts as standalone SVG strings: a heatmap with the values written in its cells and a line chart.
// Each SVG carries its own size, font and white background, so the same string is inlined in the
// HTML report and rasterised to PNG by librsvg (sharp) without a browser.

export const FONT = "'DejaVu Sans', 'Liberation Sans', Helvetica, Arial, sans-serif";
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const INK = '#222';
const GRID = '#e6e6e6';
const AXIS = '#888';

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Attribute list from a record; values are escaped, undefined ones dropped. */
export function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${esc(String(v))}"`)
    .join('');
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** Text width estimate for layout (DejaVu Sans digits are 0.64 em, lower-case letters ~0.6). */
const textWidth = (s: string, size: number) => s.length * size * 0.62;

/**
 * The opening of a chart: an image to assistive technology, named by its title, described by `alt`
 * (the numbers drawn, as text).
 */
function svgOpen(width: number, height: number, title: string, alt?: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ width, height, viewBox: `0 0 ${width} ${height}`, 'font-family': FONT, role: 'img' })}>` +
    `<title>${esc(title)}</title>${alt ? `<desc>${esc(alt)}</desc>` : ''}` +
    `<rect width="${width}" height="${height}" fill="#fff"/>`
  );
}

function text(x: number, y: number, s: string, a: Record<string, string | number | undefined> = {}): string {
  return `<text${attrs({ x: r1(x), y: r1(y), fill: INK, 'font-size': 12, ...a })}>${esc(s)}</text>`;
}

/** Ticks at 1, 2, 2.5 or 5 × 10^k covering [lo, hi], about `n` of them. */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // k · step, rounded to 12 digits: no drift from repeated addition (0.30000000000000004).
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)) + 0);
  return out;
}

/** The axis range [lo, hi] rounded out to the nice ticks around the data, within [floor, ceil] where the data are. */
export function niceRange(values: number[], floor?: number, ceil?: number): [number, number] {
  const finite = values.filter(Number.isFinite);
  let lo = Math.min(...finite, floor ?? Infinity);
  let hi = Math.max(...finite);
  if (finite.length === 0) [lo, hi] = [0, 1];
  const top = hi;
  hi += (hi - Math.min(lo, hi)) * 0.04; // a little room above the highest point
  if (ceil !== undefined) hi = Math.min(hi, Math.max(ceil, top));
  if (hi - lo < 1e-9) [lo, hi] = [lo - 1, hi + 1];
  if (floor !== undefined) lo = Math.max(lo, floor);
  const t = niceTicks(lo, hi);
  const step = t.length > 1 ? t[1] - t[0] : 1;
  return [Math.min(t[0], Math.floor(lo / step) * step), Math.max(t[t.length - 1], Math.ceil(hi / step) * step)];
}

const fmtTick = (v: number): string => String(Number(v.toPrecision(12)));

// ---------------------------------------------------------------------------------------------
// Heatmap

export interface HeatmapSpec {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  xTitle: string;
  yTitle: string;
  /** The value of cell (i, j), or null where there is no cell. */
  value: (i: number, j: number) => number | null;
  /** The text written in a cell ('' for none). */
  format: (v: number, i: number, j: number) => string;
  /** Colour position in [0, 1] of a value. */
  scale: (v: number) => number;
  /** Colours from 0 to 1, interpolated. */
  ramp: readonly string[];
  /** Extra attributes of a cell's <rect> and <text> (data-* for tests and tools). */
  cellAttrs?: (i: number, j: number, v: number) => Record<string, string | number>;
  /** Labels spread evenly along the colour bar, from its 0 end to its 1 end ("0%", "50%", "100%"). */
  legend: readonly string[];
  /** What the colour bar measures ("accuracy (%)"), written above it. */
  legendTitle?: string;
  /** The text alternative: the numbers drawn, for screen readers and search. */
  alt?: string;
  /** Unique within a page: names the colour bar's gradient. */
  id: string;
  /** A tooltip per cell. */
  tooltip?: (i: number, j: number, v: number) => string;
  maxWidth?: number;
}

/** Viridis, sampled: dark purple for low, yellow for high; readable in grey and by most colour-blind readers. */
export const VIRIDIS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
/** White to deep blue, for shares where zero should read as empty. */
export const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'];

function hex(c: string): [number, number, number] {
  const n = parseInt(c.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function rampColor(ramp: readonly string[], t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (ramp.length - 1);
  const i = Math.min(ramp.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [hex(ramp[i]), hex(ramp[i + 1])];
  return `#${a.map((v, k) => Math.round(v + (b[k] - v) * f).toString(16).padStart(2, '0')).join('')}`;
}

/** Dark text on light cells, white on dark ones (relative luminance, sRGB approximated). */
function inkOn(color: string): string {
  const [r, g, b] = hex(color).map((v) => (v / 255) ** 2.2);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.25 ? INK : '#fff';
}

export function heatmapSvg(h: HeatmapSpec): string {
  const rows = h.rowLabels.length;
  const cols = h.colLabels.length;
  const labelW = Math.max(...h.rowLabels.map((s) => textWidth(s, 12)), textWidth(h.yTitle, 11), 30) + 10;
  const left = 12 + labelW;
  const top = h.yTitle ? 52 : 40;
  const maxW = h.maxWidth ?? 500;
  const cell = Math.max(12, Math.min(64, Math.floor((maxW - left - 16) / Math.max(cols, 1))));
  const cellH = Math.max(16, Math.min(34, cell));
  const legendH = h.legendTitle ? 54 : 40;
  const width = Math.max(left + cols * cell + 16, 360, textWidth(h.title, 14) + 24);
  const height = top + rows * cellH + 44 + legendH;
  // Values are written at the largest size (11 to 9px) at which the widest fits; elsewhere only the tooltip has them.
  const labels = Array.from({ length: rows * cols }, (_, n) => {
    const [i, j] = [Math.floor(n / cols), n % cols];
    const v = h.value(i, j);
    return v === null ? '' : h.format(v, i, j);
  });
  const widest = labels.reduce((a, l) => (l.length > a.length ? l : a), '');
  const fontSize = [11, 10, 9].find((f) => textWidth(widest, f) <= cell - 3) ?? 0;
  const out = [svgOpen(width, height, h.title, h.alt)];
  out.push(text(12, 22, h.title, { 'font-size': 14, 'font-weight': 'bold' }));
  for (let i = 0; i < rows; i++) {
    out.push(text(left - 8, top + (i + 0.5) * cellH + 4, h.rowLabels[i], { 'text-anchor': 'end' }));
    for (let j = 0; j < cols; j++) {
      const v = h.value(i, j);
      if (v === null) continue;
      const fill = rampColor(h.ramp, h.scale(v));
      const extra = h.cellAttrs?.(i, j, v) ?? {};
      const [x, y] = [left + j * cell, top + i * cellH];
      const tip = h.tooltip ? `<title>${esc(h.tooltip(i, j, v))}</title>` : '';
      out.push(`<rect${attrs({ x, y, width: cell - 1, height: cellH - 1, fill, ...extra })}>${tip}</rect>`);
      const label = fontSize > 0 ? labels[i * cols + j] : '';
      if (label) out.push(text(x + cell / 2, y + cellH / 2 + 4, label, { 'text-anchor': 'middle', fill: inkOn(fill), 'font-size': fontSize, ...extra }));
    }
  }
  const stride = Math.ceil((textWidth('00', 11) + 6) / cell);
  for (let j = 0; j < cols; j += stride) out.push(text(left + (j + 0.5) * cell, top + rows * cellH + 14, h.colLabels[j], { 'text-anchor': 'middle', 'font-size': 11 }));
  out.push(text(left + (cols * cell) / 2, top + rows * cellH + 32, h.xTitle, { 'text-anchor': 'middle', fill: '#555' }));
  // Above the row labels rather than rotated beside them: a one- or two-row map is shorter than its title.
  if (h.yTitle) out.push(text(left - 8, top - 8, h.yTitle, { 'text-anchor': 'end', fill: '#555', 'font-size': 11 }));
  const barW = Math.min(200, width - left - 16);
  const barY = height - 34;
  if (h.legendTitle) out.push(text(left, barY - 5, h.legendTitle, { 'font-size': 10, fill: '#555' }));
  out.push(legendBar(`${h.id}-ramp`, left, barY, barW, h.ramp));
  const n = h.legend.length;
  h.legend.forEach((label, k) => {
    const x = left + (n > 1 ? (barW * k) / (n - 1) : 0);
    if (n > 2 && k > 0 && k < n - 1) out.push(`<line x1="${r1(x)}" x2="${r1(x)}" y1="${r1(barY + 8)}" y2="${r1(barY + 11)}" stroke="${AXIS}"/>`);
    const anchor = k === 0 ? 'start' : k === n - 1 ? 'end' : 'middle';
    out.push(text(x, barY + 22, label, { 'font-size': 10, fill: '#555', 'text-anchor': anchor }));
  });
  out.push('</svg>');
  return out.join('');
}

function legendBar(id: string, x: number, y: number, w: number, ramp: readonly string[]): string {
  const stops = ramp.map((c, i) => `<stop offset="${(i / (ramp.length - 1)).toFixed(3)}" stop-color="${c}"/>`).join('');
  return `<defs><linearGradient id="${esc(id)}">${stops}</linearGradient></defs><rect x="${r1(x)}" y="${r1(y)}" width="${r1(w)}" height="8" fill="url(#${esc(id)})"/>`;
}

// ---------------------------------------------------------------------------------------------
// Line chart

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
  dashed?: boolean;
  /** Line width (2 by default): a summary over the other lines drawn heavier. */
  weight?: number;
  /** Extra attributes of each point marker (data-* for tests and tools). */
  pointAttrs?: (x: number, y: number) => Record<string, string | number>;
}

export interface LineChartSpec {
  title: string;
  xTitle: string;
  yTitle: string;
  series: Series[];
  /** Integer x ticks (task indices) instead of nice ones. */
  integerX?: boolean;
  /** The y axis starts at this value or below (0 for accuracies). */
  yFloor?: number;
  /** The y axis ends at this value or above (100 for accuracies): no room drawn above a 100%. */
  yCeil?: number;
  /** Labelled vertical markers, e.g. task boundaries. */
  markers?: { x: number; label: string }[];
  width?: number;
  height?: number;
  /** Draw a dot at every point (sparse series). */
  dots?: boolean;
  /** The text alternative: the numbers drawn, for screen readers and search. */
  alt?: string;
}

export function lineChartSvg(c: LineChartSpec): string {
  const width = c.width ?? 520;
  const height = c.height ?? 300;
  const series = c.series.filter((s) => s.points.length > 0);
  const legend = legendLayout(series.map((s) => s.name), width - 70);
  const top = 34 + legend.height;
  const [left, right, bottom] = [58, 16, 46];
  const pw = width - left - right;
  const ph = height - top - bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  let [x0, x1] = xs.length ? [Math.min(...xs), Math.max(...xs)] : [0, 1];
  if (x1 === x0) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  const [y0, y1] = niceRange(ys, c.yFloor, c.yCeil);
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * pw;
  const py = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
  const out = [svgOpen(width, height, c.title, c.alt)];
  out.push(text(12, 22, c.title, { 'font-size': 14, 'font-weight': 'bold' }));
  for (const t of niceTicks(y0, y1)) {
    out.push(`<line x1="${left}" x2="${left + pw}" y1="${r1(py(t))}" y2="${r1(py(t))}" stroke="${GRID}"/>`);
    out.push(text(left - 6, py(t) + 4, fmtTick(t), { 'text-anchor': 'end', 'font-size': 11 }));
  }
  const xticks = c.integerX ? integerTicks(x0, x1) : niceTicks(x0, x1, 6);
  for (const t of xticks) {
    if (t < x0 - 1e-9 || t > x1 + 1e-9) continue;
    out.push(`<line x1="${r1(px(t))}" x2="${r1(px(t))}" y1="${top + ph}" y2="${top + ph + 4}" stroke="${AXIS}"/>`);
    out.push(text(px(t), top + ph + 17, fmtTick(t), { 'text-anchor': 'middle', 'font-size': 11 }));
  }
  for (const m of c.markers ?? []) {
    const x = r1(px(m.x));
    out.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + ph}" stroke="#bbb" stroke-dasharray="3 3"/>`);
    out.push(text(x + 3, top + 11, m.label, { 'font-size': 10, fill: '#777', stroke: '#fff', 'stroke-width': 3, 'paint-order': 'stroke' }));
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + ph}" stroke="${AXIS}"/>`);
  out.push(`<line x1="${left}" x2="${left + pw}" y1="${top + ph}" y2="${top + ph}" stroke="${AXIS}"/>`);
  out.push(text(left + pw / 2, height - 10, c.xTitle, { 'text-anchor': 'middle', fill: '#555' }));
  const midY = top + ph / 2;
  out.push(text(15, midY, c.yTitle, { 'text-anchor': 'middle', fill: '#555', transform: `rotate(-90 15 ${r1(midY)})` }));
  // Solid lines last to first, so the first series (the one that matters most) lies on top where
  // lines meet; dashed ones over them, where a line they hide still shows between the dashes.
  const order = [...series.entries()].reverse().sort(([, a], [, b]) => Number(Boolean(a.dashed)) - Number(Boolean(b.dashed)));
  order.forEach(([k, s]) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const d = s.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${r1(px(x))} ${r1(py(y))}`).join(' ');
    if (s.points.length > 1) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${s.weight ?? 2}"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (c.dots || s.points.length === 1) {
      for (const [x, y] of s.points) out.push(`<circle${attrs({ cx: r1(px(x)), cy: r1(py(y)), r: (s.weight ?? 2) + 1.5, fill: color, ...(s.pointAttrs?.(x, y) ?? {}) })}/>`);
    }
  });
  legend.items.forEach((it, k) => {
    const s = series[k];
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const [x, y] = [left + it.x, 34 + it.y];
    out.push(`<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(text(x + 20, y, s.name, { 'font-size': 11 }));
  });
  if (series.length === 0) out.push(text(left + pw / 2, top + ph / 2, 'no data', { 'text-anchor': 'middle', fill: '#999' }));
  out.push('</svg>');
  return out.join('');
}

function integerTicks(x0: number, x1: number): number[] {
  const n = Math.floor(x1) - Math.ceil(x0) + 1;
  const step = Math.max(1, Math.ceil(n / 12));
  const out: number[] = [];
  for (let v = Math.ceil(x0); v <= x1; v += step) out.push(v);
  return out;
}

/** Legend entries left to right, wrapping to new lines within `width`. */
function legendLayout(names: string[], width: number): { items: { x: number; y: number }[]; height: number } {
  const items: { x: number; y: number }[] = [];
  let [x, line] = [0, 0];
  for (const n of names) {
    const w = 20 + textWidth(n, 11) + 14;
    if (x > 0 && x + w > width) [x, line] = [0, line + 1];
    items.push({ x, y: 10 + line * 16 });
    x += w;
  }
  return { items, height: names.length ? (line + 1) * 16 + 4 : 0 };
}
