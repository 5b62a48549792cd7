/**
 * The SVG charts: well-formed markup with the accessibility attributes and the figure id, the
 * right number of points / bars / error bars / panels, axis ranges that contain the data (linear
 * and log), gaps for non-finite values, escaping of every text, and specs refused with the field
 * named.
 */
import { describe, expect, it } from 'vitest';
import { barChart, lineChart, smallMultiples } from '../../src/report';
import { axes, count, errorOf, seriesPoints, xmlProblem } from './fixture';


const root = (svg: string): string => /^<svg[^>]*>/.exec(svg)?.[0] ?? '';

describe('lineChart', () => {
  const spec = {
    id: 'test-line',
    title: 'Loss by rank',
    xLabel: 'rank',
    yLabel: 'loss',
    xInteger: true,
    series: [
      { name: 'test', x: [1, 2, 3, 4, 5], y: [0.61, 0.42, 0.35, 0.36, 0.37], error: [0.02, 0.01, 0.015, 0.01, 0.012] },
      { name: 'train', x: [1, 2, 3, 4, 5], y: [0.55, 0.31, 0.25, 0.22, 0.2] },
    ],
    hLines: [{ value: 0.365, label: 'best + 1 s.e.' }],
    marks: [{ x: 3, y: 0.35, label: 'selected' }],
  };

  it('is well-formed SVG with role, aria-label, title, desc and data-figure', () => {
    const svg = lineChart(spec);
    expect(xmlProblem(svg)).toBeNull();
    const head = root(svg);
    expect(head).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(head).toContain('role="img"');
    expect(head).toContain('aria-label="Loss by rank"');
    expect(head).toContain('data-figure="test-line"');
    expect(head).toMatch(/viewBox="0 0 640 360"/);
    expect(svg).toContain('<title>Loss by rank</title>');
    expect(svg).toContain('<desc>Loss by rank</desc>');
  });

  it('draws every point, error bar, reference line and mark; the axes contain the data', () => {
    const svg = lineChart(spec);
    expect(seriesPoints(svg)).toEqual({ test: 5, train: 5 });
    expect(count(svg, 'class="pt"')).toBe(10);
    expect(count(svg, 'class="err"')).toBe(5);
    expect(count(svg, 'class="hline"')).toBe(1);
    expect(count(svg, 'class="mark"')).toBe(1);
    expect(count(svg, 'class="legend-item"')).toBe(2);
    const a = axes(svg);
    const [x0, x1] = a.x[0];
    const [y0, y1] = a.y[0];
    // Integer x axis: half a unit of room on each side of ranks 1…5.
    expect([x0, x1]).toEqual([0.5, 5.5]);
    // y must hold every point ± its error bar and the reference line.
    expect(y0).toBeLessThanOrEqual(0.2);
    expect(y1).toBeGreaterThanOrEqual(0.63);
    // Round ticks: each label is a multiple of the step.
    const ticks = [...svg.matchAll(/<text[^>]*text-anchor="end" font-size="11">([^<]+)<\/text>/g)].map((m) => Number(m[1].replace('−', '-')));
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    const step = ticks[1] - ticks[0];
    for (const t of ticks) expect(Math.abs(t / step - Math.round(t / step))).toBeLessThan(1e-9);
  });

  it('log scale: powers-of-ten ticks around the data; zero, negative and NaN values are gaps', () => {
    const svg = lineChart({ id: 'spectrum', title: 'σ', yScale: 'log', series: [{ name: 's', y: [12, 3, 0.5, 2e-3, 0, -1, Number.NaN, 1e-6] }] });
    expect(xmlProblem(svg)).toBeNull();
    expect(seriesPoints(svg)).toEqual({ s: 5 });
    const [lo, hi] = axes(svg).y[0];
    expect(lo).toBeLessThanOrEqual(1e-6);
    expect(hi).toBeGreaterThanOrEqual(12);
    expect(Math.log10(lo)).toBeCloseTo(Math.round(Math.log10(lo)), 12);
    expect(Math.log10(hi)).toBeCloseTo(Math.round(Math.log10(hi)), 12);
    expect(svg).toContain('>10⁻⁶<');
    // The gap splits the line into two runs: [12, 3, 0.5, 2e-3] and [1e-6] (a single point, no line).
    expect(count(svg, '<polyline')).toBe(1);
  });

  it('escapes every text it writes (title, description, labels, series names)', () => {
    const evil = `<script>alert("x")</script> & 'q'`;
    const svg = lineChart({ id: 'esc', title: evil, description: evil, xLabel: evil, yLabel: evil, series: [{ name: evil, y: [1, 2] }], hLines: [{ value: 1.5, label: evil }], marks: [{ x: 1, y: 2, label: evil }] });
    expect(xmlProblem(svg)).toBeNull();
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;');
  });

  it('refuses bad specs naming the field', () => {
    expect(errorOf(() => lineChart({ ...spec, series: [{ name: 'a', x: [1, 2], y: [1, 2, 3] }] })).path).toBe('spec.series.0.x');
    expect(errorOf(() => lineChart({ ...spec, id: '1 bad id' })).path).toBe('spec.id');
    expect(errorOf(() => lineChart({ ...spec, series: [] })).path).toBe('spec.series');
    expect(errorOf(() => lineChart({ ...spec, yDomain: [1, 0] })).path).toBe('spec.yDomain');
    expect(errorOf(() => lineChart({ ...spec, series: [{ name: 'a', y: [1], color: 'red" onload="x' }] })).path).toBe('spec.series.0.color');
    expect(errorOf(() => lineChart({ ...spec, extra: 1 } as never)).code).toBe('invalid-option');
  });

  it('an explicit domain is kept and data outside it is clipped, not dropped', () => {
    const svg = lineChart({ id: 'clip', title: 't', yDomain: [0, 1], series: [{ name: 'a', y: [0.5, 2] }] });
    expect(axes(svg).y[0]).toEqual([0, 1]);
    expect(seriesPoints(svg)).toEqual({ a: 2 });
    expect(svg).toContain('clip-path="url(#clip-clip)"');
  });
});

describe('barChart', () => {
  it('one rect per finite value, an axis from 0 that holds the bars and error bars', () => {
    const svg = barChart({
      id: 'bars',
      title: 'Reach error',
      categories: ['baseline', 'curl', 'washout'],
      series: [
        { name: 'first', values: [0.05, 0.41, 0.27], error: [0.01, 0.03, 0.02] },
        { name: 'last', values: [0.05, Number.NaN, 0.06] },
      ],
      yLabel: 'error',
    });
    expect(xmlProblem(svg)).toBeNull();
    expect(root(svg)).toContain('data-figure="bars"');
    expect(count(svg, 'class="bar"')).toBe(5);
    expect(seriesPoints(svg)).toEqual({ first: 3, last: 2 });
    expect(count(svg, 'class="err"')).toBe(3);
    const [lo, hi] = axes(svg).y[0];
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThanOrEqual(0.44);
  });

  it('negative values extend the axis below 0', () => {
    const svg = barChart({ id: 'neg', title: 't', categories: ['a', 'b'], series: [{ name: 's', values: [-0.3, 0.2] }] });
    const [lo, hi] = axes(svg).y[0];
    expect(lo).toBeLessThanOrEqual(-0.3);
    expect(hi).toBeGreaterThanOrEqual(0.2);
  });

  it('refuses a series whose length differs from the categories', () => {
    expect(errorOf(() => barChart({ id: 'b', title: 't', categories: ['a', 'b'], series: [{ name: 's', values: [1] }] })).path).toBe('spec.series.0.values');
  });
});

describe('smallMultiples', () => {
  it('one panel per entry, each with its own axes, under one title and legend', () => {
    const panels = [0, 1, 2, 3].map((j) => ({ title: `component ${j + 1}`, series: [{ name: 'c', y: [j, j + 1, j * 2], legend: false }] }));
    const svg = smallMultiples({ id: 'tf', title: 'Trial factors', panels, legendItems: [{ name: 'baseline', color: '#0072B2' }] });
    expect(xmlProblem(svg)).toBeNull();
    expect(root(svg)).toContain('data-figure="tf"');
    expect(count(svg, 'class="panel"')).toBe(4);
    expect(axes(svg).y).toHaveLength(4);
    expect(count(svg, 'class="legend-item"')).toBe(1);
    // Distinct clip ids (several charts share one HTML id namespace).
    const ids = [...svg.matchAll(/<clipPath id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(4);
    // 2 rows of 3 columns: the viewBox grows with the rows.
    expect(Number(/viewBox="0 0 640 ([\d.]+)"/.exec(svg)?.[1])).toBeGreaterThan(2 * 180);
  });
});
