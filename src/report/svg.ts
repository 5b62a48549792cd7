/**
 * Small, dependency-free SVG charts: pure functions from a plain spec to an `<svg>` string (no DOM),
 * sized by a viewBox so that they scale with their container, with axes, ticks, labels, a legend
 * and a title, in a palette that stays distinct in print and for colour-blind readers (Okabe–Ito
 * colours, plus a dash pattern and a marker shape per series).
 *
 * Every chart's root is `<svg role="img" aria-label="…" data-figure="<id>">` with a `<title>` and a
 * `<desc>`; every text is escaped. Points whose value is not finite (or not positive, on a log axis)
 * are drawn as gaps.
 */
import { z } from 'zod';
import { parseOptions } from '../validate/options';
import { escapeXml as esc, formatNumber, formatTick, powerOfTen } from './format';

/**
 * The series palette (Okabe & Ito's colour-blind-safe colours, yellow left out for print): blue,
 * vermillion, bluish green, reddish purple, orange, sky blue, black.
 */
export const PALETTE: readonly string[] = Object.freeze(['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000']);

/** The colour of each epoch of the learning experiment in every figure. */
export const EPOCH_COLORS: Readonly<Record<'baseline' | 'curl' | 'washout', string>> = Object.freeze({ baseline: '#0072B2', curl: '#D55E00', washout: '#009E73' });

/** Dash patterns given to series in turn (solid first), so that lines differ in greyscale too. */
const DASHES = ['', '6 3', '2 3', '8 3 2 3'];
/** Marker shapes of a chart's points. */
export const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'none'] as const;
/** A marker shape. */
export type Marker = (typeof MARKERS)[number];

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const INK = '#222222';
const MUTED = '#555555';
const GRID = '#e3e3e3';
/** A white outline under annotation text, so that it stays legible where it crosses a line. */
const HALO = 'stroke="#ffffff" stroke-width="3" stroke-linejoin="round" paint-order="stroke"';

// ---------------------------------------------------------------------------------------------
// Schemas

const numberList = z.custom<ArrayLike<number>>(
  (v) => (Array.isArray(v) && v.every((x) => typeof x === 'number')) || (ArrayBuffer.isView(v) && !(v instanceof DataView)),
  'must be an array of numbers (non-finite values are drawn as gaps)',
);
const finite = z.number('must be a finite number');
const figureId = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and hold only letters, digits, - and _');
const color = z.string().regex(/^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|#[0-9a-fA-F]{8}|[a-zA-Z]{3,20})$/, "must be a hex colour ('#0072b2') or a CSS colour name");
const dash = z.string().regex(/^[0-9. ]*$/, "must be an SVG dash pattern such as '6 3' (or '' for solid)");
const domain = z.tuple([finite, finite]).refine(([a, b]) => a < b, 'must be [min, max] with min < max');
const scale = z.enum(['linear', 'log']);

/** One line of a {@link lineChart}: `y` over `x` (default 0, 1, …), with optional ± `error` bars. */
export const lineSeriesSchema = z
  .strictObject({
    name: z.string(),
    x: numberList.optional(),
    y: numberList,
    /** Half-width of the error bar at each point (± error). */
    error: numberList.optional(),
    color: color.optional(),
    dash: dash.optional(),
    /** Marker at each point; default `'circle'` for up to 60 points, else `'none'`. */
    marker: z.enum(MARKERS).optional(),
    /** Join the points with a line [true]. */
    line: z.boolean().default(true),
    /** List the series in the legend [true] (false for repeats, e.g. one series per panel). */
    legend: z.boolean().default(true),
  })
  .superRefine((s, ctx) => {
    if (s.x !== undefined && s.x.length !== s.y.length) ctx.addIssue({ code: 'custom', path: ['x'], message: `has ${s.x.length} values but y has ${s.y.length}` });
    if (s.error !== undefined && s.error.length !== s.y.length) ctx.addIssue({ code: 'custom', path: ['error'], message: `has ${s.error.length} values but y has ${s.y.length}` });
  });
/** Input of {@link lineSeriesSchema}. */
export type LineSeries = z.input<typeof lineSeriesSchema>;

const referenceLine = z.strictObject({ value: finite, label: z.string().optional(), color: color.optional(), dash: dash.optional() });
const band = z.strictObject({ from: finite, to: finite, label: z.string().optional(), color: color.optional() });
const mark = z.strictObject({ x: finite, y: finite, label: z.string().optional(), color: color.optional() });

function panelFields() {
  return {
    series: z.array(lineSeriesSchema).min(1, 'needs at least one series'),
    xLabel: z.string().default(''),
    yLabel: z.string().default(''),
    xScale: scale.default('linear'),
    yScale: scale.default('linear'),
    /** Axis ranges; default: the data (with the reference lines) widened to round ticks. */
    xDomain: domain.optional(),
    yDomain: domain.optional(),
    /** Integer ticks only (ranks, trial numbers). */
    xInteger: z.boolean().default(false),
    yInteger: z.boolean().default(false),
    /** Horizontal reference lines (`value` = y), e.g. 90 % / 95 %. */
    hLines: z.array(referenceLine).default([]),
    /** Vertical reference lines (`value` = x), e.g. epoch boundaries. */
    vLines: z.array(referenceLine).default([]),
    /** Shaded x intervals behind the data, e.g. epochs. */
    bands: z.array(band).default([]),
    /** Highlighted points: a ring and a label, e.g. the selected rank. */
    marks: z.array(mark).default([]),
  };
}

const chartFields = {
  /** Written as `data-figure`; also prefixes the chart's internal ids. */
  id: figureId,
  title: z.string(),
  /** The `aria-label` and `<desc>` (default: the title). */
  description: z.string().optional(),
  /** Size of the viewBox (the chart scales to its container). */
  width: finite.min(200, 'must be ≥ 200').max(4000, 'must be ≤ 4000').default(640),
  legend: z.boolean().default(true),
};

/** Options of {@link lineChart}: a title, axes, series, reference lines, bands and marks. */
export const lineChartSpec = z.strictObject({ ...chartFields, height: finite.min(120, 'must be ≥ 120').max(4000, 'must be ≤ 4000').default(360), ...panelFields() });
/** Input of {@link lineChartSpec}. */
export type LineChartSpec = z.input<typeof lineChartSpec>;

/** Options of {@link smallMultiples}: a grid of line-chart panels under one title and legend. */
export const smallMultiplesSpec = z.strictObject({
  ...chartFields,
  /** Height of each panel [180]. */
  panelHeight: finite.min(100, 'must be ≥ 100').max(2000, 'must be ≤ 2000').default(180),
  /** Panels per row [min(3, panels)]. */
  columns: z.number().int('must be an integer').positive('must be ≥ 1').optional(),
  panels: z.array(z.strictObject({ title: z.string().default(''), ...panelFields() })).min(1, 'needs at least one panel'),
  /** Legend entries (default: the first panel's series with `legend` true). */
  legendItems: z.array(z.strictObject({ name: z.string(), color: color, dash: dash.optional(), marker: z.enum(MARKERS).optional() })).optional(),
});
/** Input of {@link smallMultiplesSpec}. */
export type SmallMultiplesSpec = z.input<typeof smallMultiplesSpec>;

/** Options of {@link barChart}: grouped bars, one group per category and one bar per series. */
export const barChartSpec = z
  .strictObject({
    ...chartFields,
    height: finite.min(120, 'must be ≥ 120').max(4000, 'must be ≤ 4000').default(360),
    categories: z.array(z.string()).min(1, 'needs at least one category'),
    series: z.array(z.strictObject({ name: z.string(), values: numberList, error: numberList.optional(), color: color.optional() })).min(1, 'needs at least one series'),
    xLabel: z.string().default(''),
    yLabel: z.string().default(''),
    yDomain: domain.optional(),
    hLines: z.array(referenceLine).default([]),
  })
  .superRefine((s, ctx) => {
    s.series.forEach((r, i) => {
      if (r.values.length !== s.categories.length) ctx.addIssue({ code: 'custom', path: ['series', i, 'values'], message: `has ${r.values.length} values but there are ${s.categories.length} categories` });
      if (r.error !== undefined && r.error.length !== s.categories.length) ctx.addIssue({ code: 'custom', path: ['series', i, 'error'], message: `has ${r.error.length} values but there are ${s.categories.length} categories` });
    });
  });
/** Input of {@link barChartSpec}. */
export type BarChartSpec = z.input<typeof barChartSpec>;

type Panel = Omit<z.output<typeof lineChartSpec>, 'id' | 'title' | 'description' | 'width' | 'height' | 'legend'>;
type Series = z.output<typeof lineSeriesSchema>;

// ---------------------------------------------------------------------------------------------
// Scales

interface Axis {
  scale: 'linear' | 'log';
  min: number;
  max: number;
  ticks: number[];
  labels: string[];
  /** Data value → pixel. */
  map: (v: number) => number;
}

function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const e = raw / p;
  return (e >= 7.07 ? 10 : e >= 3.16 ? 5 : e >= 1.41 ? 2 : 1) * p;
}

/**
 * Horizontal grid lines at the y ticks, then the y axis (line, ticks, tick labels) as an open
 * `<g class="axis y-axis">`: the caller adds its axis label and closes the group.
 */
function gridAndYAxis(yAxis: Axis, Y: (v: number) => number, left: number, right: number, top: number, bottom: number): string[] {
  const out = [`<g class="grid" stroke="${GRID}" stroke-width="1">`];
  for (const t of yAxis.ticks) out.push(`<line x1="${f(left)}" y1="${f(Y(t))}" x2="${f(right)}" y2="${f(Y(t))}"/>`);
  out.push('</g>');
  out.push(`<g class="axis y-axis" data-scale="${yAxis.scale}" data-min="${yAxis.min}" data-max="${yAxis.max}" fill="${INK}">`);
  out.push(`<line x1="${f(left)}" y1="${f(top)}" x2="${f(left)}" y2="${f(bottom)}" stroke="${INK}"/>`);
  yAxis.ticks.forEach((t, i) => {
    out.push(`<line x1="${f(left - 4)}" y1="${f(Y(t))}" x2="${f(left)}" y2="${f(Y(t))}" stroke="${INK}"/>`);
    out.push(text(left - 7, Y(t) + 4, yAxis.labels[i], 'text-anchor="end" font-size="11"'));
  });
  return out;
}

/** Rounds away float noise from k·step. */
function clean(v: number, step: number): number {
  const d = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(v.toFixed(Math.min(20, d)));
}

function makeAxis(values: number[], o: { scale: 'linear' | 'log'; domain?: [number, number]; integer: boolean; from: number; to: number; tickCount: number; pad?: number }): Axis {
  const usable = values.filter((v) => Number.isFinite(v) && (o.scale === 'linear' || v > 0));
  let min: number;
  let max: number;
  let ticks: number[];
  let labels: string[];
  if (o.scale === 'log') {
    let lo: number;
    let hi: number;
    if (o.domain !== undefined && o.domain[0] > 0) {
      [min, max] = o.domain;
      lo = Math.ceil(Math.log10(min) - 1e-9);
      hi = Math.floor(Math.log10(max) + 1e-9);
    } else {
      const dmin = usable.length > 0 ? Math.min(...usable) : 1;
      const dmax = usable.length > 0 ? Math.max(...usable) : 10;
      lo = Math.floor(Math.log10(dmin) + 1e-9);
      hi = Math.ceil(Math.log10(dmax) - 1e-9);
      if (hi <= lo) hi = lo + 1;
      min = 10 ** lo;
      max = 10 ** hi;
    }
    const every = Math.max(1, Math.ceil((hi - lo) / Math.max(2, o.tickCount)));
    ticks = [];
    for (let e = lo; e <= hi; e += every) ticks.push(10 ** e);
    labels = ticks.map((t) => powerOfTen(Math.round(Math.log10(t))));
    if (ticks.length < 2) {
      // Less than a decade: label 1–2–5 multiples as well.
      ticks = [];
      for (let e = Math.floor(Math.log10(min)); e <= Math.ceil(Math.log10(max)); e++) for (const m of [1, 2, 5]) if (m * 10 ** e >= min * (1 - 1e-12) && m * 10 ** e <= max * (1 + 1e-12)) ticks.push(m * 10 ** e);
      labels = ticks.map((t) => formatNumber(t, 2));
    }
    const l0 = Math.log10(min);
    const l1 = Math.log10(max);
    return { scale: 'log', min, max, ticks, labels, map: (v) => o.from + ((Math.log10(v) - l0) / (l1 - l0)) * (o.to - o.from) };
  }
  let step: number;
  if (o.domain !== undefined) {
    [min, max] = o.domain;
    step = niceStep(max - min, o.tickCount);
    if (o.integer) step = Math.max(1, Math.round(step));
  } else {
    let dmin = usable.length > 0 ? Math.min(...usable) : 0;
    let dmax = usable.length > 0 ? Math.max(...usable) : 1;
    if (dmin === dmax) {
      const pad = dmin === 0 ? 1 : Math.abs(dmin) * 0.1;
      dmin -= pad;
      dmax += pad;
    } else if (o.pad !== undefined && o.pad > 0) {
      // Keep points off the frame, but never push the range across 0.
      const pad = (dmax - dmin) * o.pad;
      dmin = dmin >= 0 ? Math.max(0, dmin - pad) : dmin - pad;
      dmax = dmax <= 0 ? Math.min(0, dmax + pad) : dmax + pad;
    }
    step = niceStep(dmax - dmin, o.tickCount);
    if (o.integer) step = Math.max(1, Math.round(step));
    if (o.integer && dmax - dmin <= 24) {
      // A few integer positions (ranks): half a unit of room on both sides.
      min = Math.floor(dmin) - 0.5;
      max = Math.ceil(dmax) + 0.5;
    } else {
      min = clean(Math.floor(dmin / step + 1e-9) * step, step);
      max = clean(Math.ceil(dmax / step - 1e-9) * step, step);
    }
  }
  ticks = [];
  const first = Math.ceil(min / step - 1e-9);
  for (let k = first; k * step <= max + step * 1e-9; k++) ticks.push(clean(k * step, step));
  labels = ticks.map((t) => formatTick(t, step));
  return { scale: 'linear', min, max, ticks, labels, map: (v) => o.from + ((v - min) / (max - min)) * (o.to - o.from) };
}

// ---------------------------------------------------------------------------------------------
// Drawing helpers

const f = (v: number): string => (Math.round(v * 100) / 100).toString();

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${f(x)}" y="${f(y)}"${attrs ? ` ${attrs}` : ''}>${esc(s)}</text>`;
}

function markerPath(kind: Marker, x: number, y: number, size: number, fill: string, cls: string): string {
  const r = size;
  switch (kind) {
    case 'circle':
      return `<circle class="${cls}" cx="${f(x)}" cy="${f(y)}" r="${f(r)}" fill="${esc(fill)}"/>`;
    case 'square':
      return `<rect class="${cls}" x="${f(x - r * 0.9)}" y="${f(y - r * 0.9)}" width="${f(r * 1.8)}" height="${f(r * 1.8)}" fill="${esc(fill)}"/>`;
    case 'triangle':
      return `<path class="${cls}" d="M${f(x)} ${f(y - r * 1.15)}L${f(x + r * 1.1)} ${f(y + r * 0.8)}L${f(x - r * 1.1)} ${f(y + r * 0.8)}Z" fill="${esc(fill)}"/>`;
    case 'diamond':
      return `<path class="${cls}" d="M${f(x)} ${f(y - r * 1.25)}L${f(x + r * 1.1)} ${f(y)}L${f(x)} ${f(y + r * 1.25)}L${f(x - r * 1.1)} ${f(y)}Z" fill="${esc(fill)}"/>`;
    default:
      return '';
  }
}

const textWidth = (s: string, size: number): number => s.length * size * 0.58;

interface LegendItem {
  name: string;
  color: string;
  dash: string;
  marker: Marker;
}

/** Legend rows laid out from (x, y) within `width`; returns the markup and its height. */
function legend(items: LegendItem[], x: number, y: number, width: number): { svg: string; height: number } {
  if (items.length === 0) return { svg: '', height: 0 };
  const rowH = 18;
  let cx = x;
  let cy = y + 9;
  const parts: string[] = [];
  for (const it of items) {
    const w = 30 + textWidth(it.name, 12) + 16;
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += rowH;
    }
    parts.push(
      `<g class="legend-item">` +
        `<line x1="${f(cx)}" y1="${f(cy)}" x2="${f(cx + 24)}" y2="${f(cy)}" stroke="${esc(it.color)}" stroke-width="2"${it.dash ? ` stroke-dasharray="${esc(it.dash)}"` : ''}/>` +
        markerPath(it.marker, cx + 12, cy, 3.2, it.color, 'legend-marker') +
        text(cx + 30, cy + 4, it.name, `fill="${INK}"`) +
        `</g>`,
    );
    cx += w;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: cy - y + 9 };
}

function resolveSeries(series: Series[]): (Series & { color: string; dash: string; marker: Marker; xs: number[]; ys: number[] })[] {
  return series.map((s, i) => {
    const ys = Array.from(s.y);
    return {
      ...s,
      color: s.color ?? PALETTE[i % PALETTE.length],
      dash: s.dash ?? DASHES[i % DASHES.length],
      marker: s.marker ?? (ys.length <= 60 ? (MARKERS[i % 4] as Marker) : 'none'),
      xs: s.x === undefined ? ys.map((_, k) => k) : Array.from(s.x),
      ys,
    };
  });
}

function legendItemsOf(series: Series[]): LegendItem[] {
  return resolveSeries(series)
    .filter((s) => s.legend)
    .map((s) => ({ name: s.name, color: s.color, dash: s.line ? s.dash : '', marker: s.marker }));
}

function svgOpen(id: string, width: number, height: number, title: string, description: string | undefined): string {
  const label = description ?? title;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f(width)} ${f(height)}" width="${f(width)}" height="${f(height)}" ` +
    `role="img" aria-label="${esc(label)}" data-figure="${esc(id)}" font-family="${esc(FONT)}" font-size="12" style="max-width:100%;height:auto">` +
    `<title>${esc(title)}</title><desc>${esc(label)}</desc>` +
    `<rect class="background" x="0" y="0" width="${f(width)}" height="${f(height)}" fill="#ffffff"/>`
  );
}

/**
 * Draws one panel (axes, grid, bands, reference lines, series, marks) into the rectangle
 * [x0, x1] × [y0, y1] of the chart (the rectangle includes room for tick labels and axis labels).
 */
function drawPanel(p: Panel, rect: { x0: number; y0: number; x1: number; y1: number }, clipId: string, panelTitle = ''): string {
  const series = resolveSeries(p.series);
  const ys: number[] = [];
  const xs: number[] = [];
  for (const s of series) {
    s.ys.forEach((y, k) => {
      if (!Number.isFinite(y) || !Number.isFinite(s.xs[k])) return;
      const e = s.error?.[k];
      if (e !== undefined && Number.isFinite(e)) ys.push(y - Math.abs(e), y + Math.abs(e));
      else ys.push(y);
      xs.push(s.xs[k]);
    });
  }
  for (const h of p.hLines) ys.push(h.value);
  for (const v of p.vLines) xs.push(v.value);
  for (const m of p.marks) {
    xs.push(m.x);
    ys.push(m.y);
  }
  const titleH = panelTitle ? 18 : 0;
  const top = rect.y0 + titleH + 6;
  const bottom = rect.y1 - (p.xLabel ? 38 : 22);
  // The y axis first (its labels set the left margin).
  const yAxis0 = makeAxis(ys, { scale: p.yScale, domain: p.yDomain, integer: p.yInteger, from: bottom, to: top, tickCount: Math.max(3, Math.round((bottom - top) / 45)), pad: 0.04 });
  const labelW = Math.max(...yAxis0.labels.map((l) => textWidth(l, 11)), 10);
  const left = rect.x0 + (p.yLabel ? 20 : 4) + labelW + 8;
  const right = rect.x1 - 12;
  const xAxis = makeAxis(xs, { scale: p.xScale, domain: p.xDomain, integer: p.xInteger, from: left, to: right, tickCount: Math.max(3, Math.round((right - left) / 70)), pad: p.xInteger ? 0 : 0.02 });
  const yAxis = yAxis0;
  const X = (v: number): number => xAxis.map(v);
  const Y = (v: number): number => yAxis.map(v);
  const okX = (v: number): boolean => Number.isFinite(v) && (xAxis.scale === 'linear' || v > 0);
  const okY = (v: number): boolean => Number.isFinite(v) && (yAxis.scale === 'linear' || v > 0);
  const out: string[] = [];
  if (panelTitle) out.push(text((left + right) / 2, rect.y0 + 13, panelTitle, `text-anchor="middle" font-weight="600" fill="${INK}"`));
  out.push(`<clipPath id="${esc(clipId)}"><rect x="${f(left)}" y="${f(top)}" width="${f(right - left)}" height="${f(bottom - top)}"/></clipPath>`);
  // Bands and grid.
  for (const b of p.bands) {
    const a = Math.max(xAxis.min, Math.min(b.from, b.to));
    const z2 = Math.min(xAxis.max, Math.max(b.from, b.to));
    if (!(z2 > a) || !okX(a) || !okX(z2)) continue;
    out.push(`<rect class="band" x="${f(X(a))}" y="${f(top)}" width="${f(X(z2) - X(a))}" height="${f(bottom - top)}" fill="${esc(b.color ?? '#999999')}" fill-opacity="0.07"/>`);
    if (b.label) out.push(text((X(a) + X(z2)) / 2, top + 12, b.label, `text-anchor="middle" font-size="11" fill="${esc(b.color ?? MUTED)}" ${HALO}`));
  }
  // Axes.
  out.push(...gridAndYAxis(yAxis, Y, left, right, top, bottom));
  if (p.yLabel) {
    const cx = rect.x0 + 11;
    const cy = (top + bottom) / 2;
    out.push(text(cx, cy, p.yLabel, `text-anchor="middle" transform="rotate(-90 ${f(cx)} ${f(cy)})"`));
  }
  out.push('</g>');
  out.push(`<g class="axis x-axis" data-scale="${xAxis.scale}" data-min="${xAxis.min}" data-max="${xAxis.max}" fill="${INK}">`);
  out.push(`<line x1="${f(left)}" y1="${f(bottom)}" x2="${f(right)}" y2="${f(bottom)}" stroke="${INK}"/>`);
  xAxis.ticks.forEach((t, i) => {
    out.push(`<line x1="${f(X(t))}" y1="${f(bottom)}" x2="${f(X(t))}" y2="${f(bottom + 4)}" stroke="${INK}"/>`);
    out.push(text(X(t), bottom + 16, xAxis.labels[i], 'text-anchor="middle" font-size="11"'));
  });
  if (p.xLabel) out.push(text((left + right) / 2, bottom + 33, p.xLabel, 'text-anchor="middle"'));
  out.push('</g>');
  // Reference lines.
  for (const v of p.vLines) {
    if (!okX(v.value) || v.value < xAxis.min || v.value > xAxis.max) continue;
    const c = v.color ?? MUTED;
    out.push(`<line class="vline" x1="${f(X(v.value))}" y1="${f(top)}" x2="${f(X(v.value))}" y2="${f(bottom)}" stroke="${esc(c)}" stroke-width="1.2" stroke-dasharray="${esc(v.dash ?? '4 3')}"/>`);
    if (v.label) out.push(text(X(v.value) + 3, top + 24, v.label, `font-size="10.5" fill="${esc(c)}" ${HALO}`));
  }
  for (const h of p.hLines) {
    if (!okY(h.value) || h.value < yAxis.min || h.value > yAxis.max) continue;
    const c = h.color ?? MUTED;
    out.push(`<line class="hline" x1="${f(left)}" y1="${f(Y(h.value))}" x2="${f(right)}" y2="${f(Y(h.value))}" stroke="${esc(c)}" stroke-width="1.2" stroke-dasharray="${esc(h.dash ?? '4 3')}"/>`);
    if (h.label) out.push(text(right - 3, Y(h.value) - 4, h.label, `text-anchor="end" font-size="10.5" fill="${esc(c)}" ${HALO}`));
  }
  // Series.
  out.push(`<g class="data" clip-path="url(#${esc(clipId)})">`);
  for (const s of series) {
    const pts: [number, number][] = [];
    const runs: [number, number][][] = [[]];
    let finiteCount = 0;
    s.ys.forEach((y, k) => {
      const x = s.xs[k];
      if (okX(x) && okY(y)) {
        const pt: [number, number] = [X(x), Y(y)];
        pts.push(pt);
        runs[runs.length - 1].push(pt);
        finiteCount++;
      } else if (runs[runs.length - 1].length > 0) runs.push([]);
    });
    out.push(`<g class="series" data-series="${esc(s.name)}" data-points="${finiteCount}">`);
    if (s.line) {
      for (const run of runs) {
        if (run.length < 2) continue;
        out.push(`<polyline class="line" fill="none" stroke="${esc(s.color)}" stroke-width="1.8" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${esc(s.dash)}"` : ''} points="${run.map(([a, b]) => `${f(a)},${f(b)}`).join(' ')}"/>`);
      }
    }
    if (s.error !== undefined) {
      const err = s.error;
      s.ys.forEach((y, k) => {
        const e = Math.abs(err[k]);
        const x = s.xs[k];
        if (!okX(x) || !okY(y) || !Number.isFinite(e) || e === 0) return;
        const lo = yAxis.scale === 'log' ? Math.max(y - e, yAxis.min) : y - e;
        const px = X(x);
        out.push(
          `<path class="err" d="M${f(px)} ${f(Y(lo))}V${f(Y(y + e))}M${f(px - 4)} ${f(Y(lo))}H${f(px + 4)}M${f(px - 4)} ${f(Y(y + e))}H${f(px + 4)}" stroke="${esc(s.color)}" stroke-width="1.3" fill="none"/>`,
        );
      });
    }
    if (s.marker !== 'none') for (const [a, b] of pts) out.push(markerPath(s.marker, a, b, 3.4, s.color, 'pt'));
    out.push('</g>');
  }
  out.push('</g>');
  for (const m of p.marks) {
    if (!okX(m.x) || !okY(m.y)) continue;
    const c = m.color ?? INK;
    out.push(`<g class="mark"><circle cx="${f(X(m.x))}" cy="${f(Y(m.y))}" r="8" fill="none" stroke="${esc(c)}" stroke-width="2"/>`);
    if (m.label) {
      const anchorEnd = X(m.x) > (left + right) / 2;
      const below = Y(m.y) < top + (bottom - top) * 0.3;
      out.push(text(X(m.x) + (anchorEnd ? -12 : 12), Y(m.y) + (below ? 20 : -10), m.label, `font-size="11" font-weight="600" fill="${esc(c)}"${anchorEnd ? ' text-anchor="end"' : ''} ${HALO}`));
    }
    out.push('</g>');
  }
  return `<g class="panel">${out.join('')}</g>`;
}

function header(title: string, width: number, items: LegendItem[] | null): { svg: string; height: number } {
  const t = text(14, 22, title, `font-size="15" font-weight="600" fill="${INK}"`);
  if (items === null || items.length === 0) return { svg: t, height: 34 };
  const l = legend(items, 14, 32, width - 28);
  return { svg: `${t}${l.svg}`, height: 38 + l.height };
}

// ---------------------------------------------------------------------------------------------
// Public charts

/**
 * A line chart (also scatter: `line: false`) as an `<svg>` string: linear or log axes with round
 * ticks, series with markers and ± error bars, shaded bands, dashed reference lines and ringed
 * marks. Each series is a `<g class="series" data-points="n">` (n = points drawn); markers carry
 * `class="pt"`, error bars `class="err"`; the axes carry their range as `data-min`/`data-max`.
 *
 * @example
 * ```ts
 * const svg = lineChart({ id: 'loss', title: 'Test loss', xLabel: 'rank', yLabel: 'loss', xInteger: true,
 *   series: [{ name: 'test', x: [1, 2, 3], y: [0.5, 0.3, 0.29], error: [0.02, 0.01, 0.01] }] });
 * ```
 * @throws LtrError `invalid-option` naming the field (`spec.series.0.x`, `spec.id`, …).
 */
export function lineChart(spec: LineChartSpec): string {
  const s = parseOptions(lineChartSpec, spec, 'spec');
  const h = header(s.title, s.width, s.legend ? legendItemsOf(s.series) : null);
  const body = drawPanel(s, { x0: 6, y0: h.height, x1: s.width - 6, y1: s.height - 4 }, `${s.id}-clip`);
  return `${svgOpen(s.id, s.width, s.height, s.title, s.description)}${h.svg}${body}</svg>`;
}

/**
 * Small multiples: a grid of line-chart panels (each with its own title and axes) under one title
 * and legend, in one `<svg>`. Useful for one panel per component (trial factors).
 * @throws LtrError `invalid-option` naming the field.
 */
export function smallMultiples(spec: SmallMultiplesSpec): string {
  const s = parseOptions(smallMultiplesSpec, spec, 'spec');
  const n = s.panels.length;
  const cols = Math.min(n, s.columns ?? Math.min(3, n));
  const rows = Math.ceil(n / cols);
  const items = !s.legend ? null : s.legendItems !== undefined ? s.legendItems.map((it) => ({ name: it.name, color: it.color, dash: it.dash ?? '', marker: it.marker ?? 'none' })) : legendItemsOf(s.panels[0].series);
  const h = header(s.title, s.width, items);
  const height = h.height + rows * s.panelHeight + 6;
  const cw = (s.width - 12) / cols;
  const parts = s.panels.map((p, i) => {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const x0 = 6 + c * cw;
    const y0 = h.height + r * s.panelHeight;
    return drawPanel(p, { x0, y0, x1: x0 + cw, y1: y0 + s.panelHeight }, `${s.id}-clip-${i}`, p.title);
  });
  return `${svgOpen(s.id, s.width, height, s.title, s.description)}${h.svg}${parts.join('')}</svg>`;
}

/**
 * A grouped bar chart as an `<svg>` string: one group per category, one bar (`class="bar"`) per
 * series with a finite value, optional ± error bars, a y axis that includes 0.
 * @throws LtrError `invalid-option` naming the field.
 */
export function barChart(spec: BarChartSpec): string {
  const s = parseOptions(barChartSpec, spec, 'spec');
  const colors = s.series.map((r, i) => r.color ?? PALETTE[i % PALETTE.length]);
  const items: LegendItem[] = s.series.map((r, i) => ({ name: r.name, color: colors[i], dash: '', marker: 'square' }));
  const h = header(s.title, s.width, s.legend ? items : null);
  const top = h.height + 6;
  const bottom = s.height - 4 - (s.xLabel ? 38 : 22);
  const ys: number[] = [0];
  s.series.forEach((r) =>
    Array.from(r.values).forEach((v, k) => {
      const e = r.error?.[k];
      ys.push(v, ...(e !== undefined && Number.isFinite(e) ? [v + Math.abs(e), v - Math.abs(e)] : []));
    }),
  );
  for (const l of s.hLines) ys.push(l.value);
  const yAxis = makeAxis(ys, { scale: 'linear', domain: s.yDomain, integer: false, from: bottom, to: top, tickCount: Math.max(3, Math.round((bottom - top) / 45)) });
  const labelW = Math.max(...yAxis.labels.map((l) => textWidth(l, 11)), 10);
  const left = 6 + (s.yLabel ? 20 : 4) + labelW + 8;
  const right = s.width - 18;
  const Y = (v: number): number => yAxis.map(Math.max(yAxis.min, Math.min(yAxis.max, v)));
  const band = (right - left) / s.categories.length;
  const barW = (band * 0.78) / s.series.length;
  const out: string[] = gridAndYAxis(yAxis, Y, left, right, top, bottom);
  if (s.yLabel) out.push(text(17, (top + bottom) / 2, s.yLabel, `text-anchor="middle" transform="rotate(-90 17 ${f((top + bottom) / 2)})"`));
  out.push('</g>');
  const zero = Y(0);
  out.push(`<g class="axis x-axis" fill="${INK}"><line x1="${f(left)}" y1="${f(zero)}" x2="${f(right)}" y2="${f(zero)}" stroke="${INK}"/>`);
  s.categories.forEach((c, i) => out.push(text(left + band * (i + 0.5), bottom + 16, c, 'text-anchor="middle" font-size="11"')));
  if (s.xLabel) out.push(text((left + right) / 2, bottom + 33, s.xLabel, 'text-anchor="middle"'));
  out.push('</g>');
  s.series.forEach((r, j) => {
    const vals = Array.from(r.values);
    const bars: string[] = [];
    let count = 0;
    vals.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      count++;
      const x = left + band * i + band * 0.11 + barW * j;
      const y0 = Y(Math.max(0, v));
      const y1 = Y(Math.min(0, v));
      bars.push(`<rect class="bar" x="${f(x)}" y="${f(y0)}" width="${f(barW * 0.92)}" height="${f(Math.max(0.5, y1 - y0))}" fill="${esc(colors[j])}"><title>${esc(`${r.name}, ${s.categories[i]}: ${formatNumber(v)}`)}</title></rect>`);
      const e = r.error?.[i];
      if (e !== undefined && Number.isFinite(e) && e !== 0) {
        const cx = x + barW * 0.46;
        bars.push(`<path class="err" d="M${f(cx)} ${f(Y(v - Math.abs(e)))}V${f(Y(v + Math.abs(e)))}M${f(cx - 4)} ${f(Y(v - Math.abs(e)))}H${f(cx + 4)}M${f(cx - 4)} ${f(Y(v + Math.abs(e)))}H${f(cx + 4)}" stroke="${INK}" stroke-width="1.2" fill="none"/>`);
      }
    });
    out.push(`<g class="series" data-series="${esc(r.name)}" data-points="${count}">${bars.join('')}</g>`);
  });
  for (const l of s.hLines) {
    if (l.value < yAxis.min || l.value > yAxis.max) continue;
    const c = l.color ?? MUTED;
    out.push(`<line class="hline" x1="${f(left)}" y1="${f(Y(l.value))}" x2="${f(right)}" y2="${f(Y(l.value))}" stroke="${esc(c)}" stroke-dasharray="${esc(l.dash ?? '4 3')}"/>`);
    if (l.label) out.push(text(right - 3, Y(l.value) - 4, l.label, `text-anchor="end" font-size="10.5" fill="${esc(c)}" ${HALO}`));
  }
  return `${svgOpen(s.id, s.width, s.height, s.title, s.description)}${h.svg}<g class="panel">${out.join('')}</g></svg>`;
}
