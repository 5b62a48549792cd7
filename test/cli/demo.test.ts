/**
 * `ltr-rnn demo --quick` in-process (one run): the report folder holds every file, `--json` holds
 * the result the report was written from, and the text summary built from that result names
 * every headline number (ΔW ranks, CP rank for 90 / 95 %, the bounds, the selected ltrRNN rank,
 * reach error by epoch); then that report, opened from disk in headless Chromium, shows every
 * figure with no console error and no request but itself (screenshot: test/artifacts/demo-report.png).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryLines } from '../../src/cli/commands/demo';
import { parseNpy } from '../../src/io';
import type { LearningExperimentResult } from '../../src/tasks/experiment-result';
import { REPORT_FIGURES } from '../../src/report';
import { chromiumMissing, openCollecting } from '../browser/harness';
import { runCli, stderrLines, tempDir } from './helpers';

let dir: string;
let cleanup: () => void;
beforeAll(() => ({ dir, cleanup } = tempDir()));
afterAll(() => cleanup());

describe('demo --quick', () => {
  it('writes the report; --json holds its result; the summary names every headline number', async () => {
    const out = join(dir, 'report');
    const r = await runCli(['demo', '--quick', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'demo', out, report: `${out}/index.html` });
    const res = j.result;
    expect(res.format).toBe('ltr-rnn/learning-experiment');
    expect(res.network.neurons).toBe(32);
    expect(res.epochs.map((e: { name: string; start: number; end: number }) => [e.name, e.end - e.start])).toEqual([['baseline', 6], ['curl', 12], ['washout', 12]]);
    for (const f of ['index.html', 'results.json', 'methods.md', 'activity.npy', 'weights.npy']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'))).toEqual(res);
    // Progress: one line per stage (stderr is not a terminal), nothing else.
    expect(r.stderr).toMatch(/^ltr-rnn: pre-training on the baseline task \(150 updates\)…$/m);
    expect(r.stderr).toMatch(/^ltr-rnn: learning trials \(baseline, curl field, washout\) \(30 trials\)…$/m);
    expect(stderrLines(r.stderr)).toEqual([]);

    // The text summary of the same result (results.json + the two arrays = the full result).
    const { arrays: _arrays, ...rest } = res;
    const read = (f: string) => {
      const a = parseNpy(readFileSync(join(out, f)));
      return { data: Float32Array.from(a.data), shape: a.shape };
    };
    const full = { ...rest, activity: read('activity.npy'), weights: read('weights.npy') } as LearningExperimentResult;
    const text = summaryLines(full).join('\n');
    const total = res.deltaRanks.find((d: { name: string }) => d.name === 'total');
    expect(text).toMatch(new RegExp(`^ΔW rank, all trials\\s+${total.numericalRank} \\(90 %: ${total.rankFor90}, 95 %: ${total.rankFor95}\\)$`, 'm'));
    const cp = res.cpProfile;
    expect(text).toMatch(/^CP rank for 90 % \/ 95 % of the ΔW tensor\s+\S+ \/ \S+$/m);
    expect(text).toContain(`CP rank for 90 % of the update variance: ${cp.rankFor90 ?? '> 3'}; for 95 %: ${cp.rankFor95 ?? '> 3'}`);
    expect(text).toMatch(new RegExp(`^Bound: CP rank of the weight tensor\\s+≤ ${res.bounds.cpRank.value} `, 'm'));
    expect(text).toMatch(/^CP rank of the 30 × N × N tensor\s+\d+/m);
    expect(text).toMatch(new RegExp(`^ltrRNN rank selected by cross-validation: ${res.crossValidation.selectedRank} `, 'm'));
    for (const e of res.epochSummary) {
      expect(text).toMatch(new RegExp(`^${e.name}\\s+\\d+–\\d+\\s+[\\d.]+\\s+${Number(e.first.toPrecision(3))}\\s+${Number(e.last.toPrecision(3))}\\s`, 'm'));
    }
  }, 120_000);

  it.runIf(chromiumMissing() === null)('the report it wrote opens in headless Chromium: no console errors, every figure drawn, screenshot saved', async () => {
    const url = pathToFileURL(join(dir, 'report', 'index.html')).href;
    expect(existsSync(fileURLToPath(url)), 'the first test wrote the report').toBe(true);
    const { browser, problems, requests } = await openCollecting(url);
    try {
      const { page } = browser;
      expect(problems, problems.join('\n')).toEqual([]);
      expect(requests).toEqual([url]);
      const boxes = await page.evaluate((ids) => ids.map((id) => {
        const r = document.querySelector(`[data-figure="${id}"]`)?.getBoundingClientRect();
        return r === undefined ? null : { id, w: r.width, h: r.height };
      }), [...REPORT_FIGURES]);
      for (const [i, id] of REPORT_FIGURES.entries()) {
        expect(boxes[i], `figure ${id}`).not.toBeNull();
        expect(boxes[i]!.w * boxes[i]!.h, `figure ${id} area`).toBeGreaterThan(5000);
      }
      const artifacts = fileURLToPath(new URL('../artifacts/', import.meta.url));
      mkdirSync(artifacts, { recursive: true });
      const shot = join(artifacts, 'demo-report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('--neurons takes 100 or 200 only', async () => {
    const r = await runCli(['demo', '--neurons', '150']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ltr-rnn: error: --neurons must be one of 100, 200, got '150' (see 'ltr-rnn demo --help')\n");
  });
});
