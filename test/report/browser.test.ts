/**
 * The report end to end in a real browser: writeReport of the synthetic fixture into a temp
 * folder, index.html opened from disk (file://) in headless Chromium (playwright-core driving the
 * system's Chromium): no console errors or page errors, no request but the page itself, every
 * figure present with a non-empty box, and a full-page screenshot in test/artifacts/report.png
 * (git-ignored).
 *
 * Without Chromium the suite is skipped with a loud message; `scripts/ensure-browser-deps.sh`
 * installs it in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPORT_FIGURES, writeReport } from '../../src/report';
import { chromiumMissing, openCollecting, type Browser } from '../browser/harness';
import { makeFixture } from './fixture';

const missing = chromiumMissing();
if (missing !== null) console.warn(`\n*** SKIPPING report browser test: ${missing} ***\n`);

const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));

describe.runIf(missing === null)('the report in headless Chromium', () => {
  let dir: string;
  let browser: Browser;
  let requests: string[] = [];
  let problems: string[] = [];
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ltr-report-'));
    const { files } = await writeReport(makeFixture(), join(dir, 'ltr-rnn-report'), { generatedAt: '2026-01-02T00:00:00Z' });
    url = pathToFileURL(files[0]).href;
    ({ browser, problems, requests } = await openCollecting(url));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console errors, no page errors and no request but the file itself', () => {
    expect(problems, problems.join('\n')).toEqual([]);
    expect(requests).toEqual([url]);
  });

  it('shows every figure with a non-empty box, and the summary, bounds, methods and provenance', async () => {
    const boxes = await browser.page.evaluate((ids) => {
      const out: Record<string, { w: number; h: number; tag: string } | null> = {};
      for (const id of ids) {
        const el = document.querySelector(`[data-figure="${id}"]`);
        const r = el?.getBoundingClientRect();
        out[id] = el && r ? { w: r.width, h: r.height, tag: el.tagName.toLowerCase() } : null;
      }
      return out;
    }, [...REPORT_FIGURES]);
    for (const id of REPORT_FIGURES) {
      expect(boxes[id], `figure ${id}`).not.toBeNull();
      expect(boxes[id]!.w, `figure ${id} width`).toBeGreaterThan(100);
      expect(boxes[id]!.h, `figure ${id} height`).toBeGreaterThan(50);
      expect(boxes[id]!.tag).toBe(id === 'bounds' ? 'table' : 'svg');
    }
    // The browser parsed each SVG as SVG: data points are SVG elements with a geometry.
    const drawn = await browser.page.evaluate(() => ({
      points: document.querySelectorAll('[data-figure="cv-loss"] .pt').length,
      errorBars: document.querySelectorAll('[data-figure="cv-loss"] .err').length,
      lines: document.querySelectorAll('[data-figure="reach-error"] polyline').length,
      panels: document.querySelectorAll('[data-figure="trial-factors"] .panel').length,
      bars: document.querySelectorAll('[data-figure="epoch-summary"] rect.bar').length,
      svgNamespace: Array.from(document.querySelectorAll('svg')).every((s) => s instanceof SVGSVGElement && s.getAttribute('role') === 'img' && (s.getAttribute('aria-label') ?? '').length > 0),
      summaryRows: document.querySelectorAll('#summary tr').length,
      methods: document.querySelector('#methods p')?.textContent ?? '',
      scripts: document.scripts.length,
    }));
    expect(drawn.points).toBe(8); // test + train loss at 4 ranks
    expect(drawn.errorBars).toBe(4);
    expect(drawn.lines).toBeGreaterThanOrEqual(4); // 3 epochs + the running mean
    expect(drawn.panels).toBe(2); // the selected rank, 2
    expect(drawn.bars).toBe(6);
    expect(drawn.svgNamespace).toBe(true);
    expect(drawn.summaryRows).toBeGreaterThan(8);
    expect(drawn.methods).toContain('ltr-rnn');
    expect(drawn.scripts).toBe(0);
  });

  it('saves a full-page screenshot to test/artifacts/report.png', async () => {
    mkdirSync(artifacts, { recursive: true });
    const file = join(artifacts, 'report.png');
    await browser.page.screenshot({ path: file, fullPage: true });
    expect(statSync(file).size).toBeGreaterThan(10_000);
  });
});
