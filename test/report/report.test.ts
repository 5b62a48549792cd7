/**
 * The report of a learning experiment (on the synthetic fixture): every figure present with the
 * right number of points, self-contained markup, escaping, the summary rows, results.json, the
 * files writeReport leaves (the .npy arrays read back), results without a CP profile or a
 * cross-validation, malformed results refused; and methodsText for the three kinds of result it
 * describes — the experiment, a real (tiny) crossValidateRank and its best LtrFit (and its JSON).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBackend } from '../../src/backend';
import { crossValidateRank, type CrossValidationResult } from '../../src/fit';
import { readNpy } from '../../src/io';
import { BIBTEX, methodsText, REPORT_FIGURES, renderReport, reportSummary, resultsJSON, writeReport } from '../../src/report';
import type { LearningExperimentResult } from '../../src/tasks/experiment-result';
import { VERSION } from '../../src/version';
import { makeTeacher } from '../fit/teacher';
import { axes, count, errorOf, figureOf, FIX, makeFixture, seriesPoints, svgsOf, xmlProblem } from './fixture';


const html = renderReport(makeFixture(), { generatedAt: '2026-01-02T00:00:00Z' });

describe('renderReport', () => {
  it('holds every figure once, each a well-formed SVG with its id (bounds: a table)', () => {
    const svgs = svgsOf(html);
    for (const svg of svgs) expect(xmlProblem(svg), svg.slice(0, 80)).toBeNull();
    for (const id of REPORT_FIGURES) expect(count(html, `data-figure="${id}"`), id).toBe(1);
    expect(html).toMatch(/<table data-figure="bounds"/);
    expect(svgs).toHaveLength(REPORT_FIGURES.length - 1);
    for (const svg of svgs) expect(svg).toMatch(/^<svg[^>]* role="img" aria-label="[^"]+" data-figure="[a-z-]+"/);
  });

  it('reach error: one series per epoch (10 trials each) plus the running mean; epoch boundaries marked; axes hold the data', () => {
    const r = makeFixture();
    const svg = figureOf(html, 'reach-error') as string;
    expect(seriesPoints(svg)).toEqual({ baseline: 10, 'curl field': 10, washout: 10, 'mean of 3 trials': 30 });
    expect(count(svg, 'class="vline"')).toBe(2);
    expect(count(svg, 'class="band"')).toBe(3);
    const { x, y } = axes(svg);
    expect(x[0][0]).toBeLessThanOrEqual(0);
    expect(x[0][1]).toBeGreaterThanOrEqual(FIX.K - 1);
    expect(y[0][0]).toBeLessThanOrEqual(Math.min(...r.trials.reachError));
    expect(y[0][1]).toBeGreaterThanOrEqual(Math.max(...r.trials.reachError));
  });

  it('singular spectra: total and per epoch on a log axis that holds every positive σ', () => {
    const r = makeFixture();
    const svg = figureOf(html, 'singular-spectra') as string;
    const pts = seriesPoints(svg);
    expect(Object.keys(pts)).toHaveLength(4);
    for (const d of r.deltaRanks) {
      const name = `${d.name === 'total' ? 'all trials' : d.name === 'curl' ? 'curl field' : d.name} (rank ${d.numericalRank})`;
      expect(pts[name], name).toBe(d.singularValues.filter((s) => s > 0).length);
    }
    expect(svg).toContain('data-scale="log"');
    const all = r.deltaRanks.flatMap((d) => d.singularValues).filter((s) => s > 0);
    const [lo, hi] = axes(svg).y[0];
    expect(lo).toBeLessThanOrEqual(Math.min(...all));
    expect(hi).toBeGreaterThanOrEqual(Math.max(...all));
  });

  it('CP explained variance: one point per rank, 90 % and 95 % lines, the ranks reaching them marked', () => {
    const svg = figureOf(html, 'cp-variance') as string;
    expect(seriesPoints(svg)).toEqual({ 'explained variance': 4 });
    expect(count(svg, 'class="hline"')).toBe(2);
    expect(count(svg, 'class="mark"')).toBe(2);
    expect(svg).toContain('90 %: R = 2');
    expect(svg).toContain('95 %: R = 3');
  });

  it('CV loss: mean ± s.e. by rank with error bars, train loss, the one-s.e. threshold and the selected rank ringed', () => {
    const svg = figureOf(html, 'cv-loss') as string;
    expect(seriesPoints(svg)).toEqual({ 'test loss': 4, 'train loss': 4 });
    expect(count(svg, 'class="err"')).toBe(4);
    expect(count(svg, 'class="mark"')).toBe(1);
    expect(svg).toContain('selected R = 2');
    expect(svg).toContain('lowest mean + 1 s.e.');
    const [lo, hi] = axes(svg).y[0];
    expect(lo).toBeLessThanOrEqual(0.33 - 0.015);
    expect(hi).toBeGreaterThanOrEqual(0.6 + 0.02);
  });

  it('trial factors: one panel per component of the selected fit, each coloured by epoch; epoch summary bars', () => {
    const tfSvg = figureOf(html, 'trial-factors') as string;
    expect(count(tfSvg, 'class="panel"')).toBe(2);
    expect(count(tfSvg, 'data-series="curl field" data-points="10"')).toBe(2);
    const bars = figureOf(html, 'epoch-summary') as string;
    expect(count(bars, 'class="bar"')).toBe(6);
  });

  it('bounds table: every bound of result.bounds with its statement and status, beside the measured ranks', () => {
    const r = makeFixture();
    const table = /<table data-figure="bounds"[\s\S]*?<\/table>/.exec(html)?.[0] as string;
    const b = r.bounds;
    const total = r.deltaRanks.find((d) => d.name === 'total')!;
    expect(table).toContain(`≤ ${b.gradient.value}`);
    expect(table).toContain(`≤ (${b.multilinearRank.value.join(', ')})`);
    expect(table).toContain(`≤ ${b.cpRank.value}`);
    expect(table).toContain(`>${b.update.statement}</abbr>`);
    expect(table).toContain(`${total.numericalRank} (90 %: ${total.rankFor90}, 95 %: ${total.rankFor95})`);
    expect(table).toContain('2 for 90 %, 3 for 95 %');
    // gradient, update, sum, 3 epochs, weights, multilinear, CP.
    expect(count(table, '<tr><th scope="row">')).toBe(9);
    expect(count(table, '>exact<')).toBe(9);
  });

  it('is self-contained: no script, no stylesheet link, no external resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/\ssrc=/i);
    expect(html).not.toMatch(/href="(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|@font-face/i);
    for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1].startsWith('#')).toBe(true);
  });

  it('escapes option and result strings', () => {
    const r = makeFixture();
    (r.options as Record<string, unknown>).note = '<script>alert(1)</script>';
    const page = renderReport(r, { title: '<script>alert("t")</script> & co' });
    expect(page).not.toMatch(/<script/i);
    expect(page).toContain('<title>&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt; &amp; co</title>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('a run without CP profile or cross-validation: notes instead of those figures', () => {
    const r = { ...makeFixture(), cpProfile: null, crossValidation: null };
    const page = renderReport(r);
    for (const svg of svgsOf(page)) expect(xmlProblem(svg)).toBeNull();
    for (const id of ['cp-variance', 'cv-loss', 'trial-factors']) expect(page).not.toContain(`data-figure="${id}"`);
    for (const id of ['reach-error', 'singular-spectra', 'bounds']) expect(page).toContain(`data-figure="${id}"`);
    expect(page).toContain('data-note="cp-variance"');
    expect(page).toContain('data-note="cv-loss"');
    const rows = Object.fromEntries(reportSummary(r).map((x) => [x.key, x.value]));
    expect(rows.cpRank).toBe('not computed');
    expect(rows.cvRank).toBe('not run');
    const text = methodsText(r);
    expect(text).not.toContain('CP-ALS');
    expect(text).not.toContain('ltrRNN');
  });

  it('refuses malformed results and options, naming the field', () => {
    const short = makeFixture();
    short.trials.reachError = short.trials.reachError.slice(1);
    expect(errorOf(() => renderReport(short))).toMatchObject({ code: 'shape-mismatch', path: 'result.trials.reachError' });
    expect(errorOf(() => renderReport({ ...makeFixture(), format: 'other' } as unknown as LearningExperimentResult))).toMatchObject({ code: 'invalid-data', path: 'result.format' });
    const gap = makeFixture();
    gap.epochs[1] = { ...gap.epochs[1], start: 11 };
    expect(errorOf(() => renderReport(gap))).toMatchObject({ code: 'invalid-data', path: 'result.epochs.1' });
    expect(errorOf(() => renderReport(makeFixture(), { title: '' }))).toMatchObject({ code: 'invalid-option', path: 'options.title' });
    expect(errorOf(() => renderReport(makeFixture(), { files: ['../x'] }))).toMatchObject({ code: 'invalid-option', path: 'options.files.0' });
  });
});

describe('reportSummary and resultsJSON', () => {
  it('summary rows carry the numbers the demo prints', () => {
    const r = makeFixture();
    const rows = Object.fromEntries(reportSummary(r).map((x) => [x.key, x.value]));
    const total = r.deltaRanks.find((d) => d.name === 'total')!;
    expect(rows['deltaRank.total']).toBe(`${total.numericalRank} (90 %: ${total.rankFor90}, 95 %: ${total.rankFor95})`);
    expect(rows['deltaRank.curl']).toBe('2 (90 %: 2, 95 %: 2)');
    expect(rows.cpRank).toBe('2 / 3');
    expect(rows['bound.cpRank']).toBe(`≤ ${r.bounds.cpRank.value} (${r.bounds.cpRank.statement}, exact)`);
    expect(rows.cvRank).toMatch(/^2 \(one-s\.e\. rule; lowest mean at rank 3\)$/);
    const curl = r.epochSummary[1];
    expect(rows['reachError.curl']).toContain(`${curl.first.toPrecision(3)} → ${curl.last.toPrecision(3)}`);
    expect(curl.first).toBeGreaterThan(3 * curl.last); // the fixture adapts
  });

  it('results.json: the result without activity and weights (described under arrays), JSON-safe', () => {
    const r = makeFixture();
    r.crossValidation!.table[0].mean = Number.POSITIVE_INFINITY;
    const j = resultsJSON(r);
    expect(j).not.toHaveProperty('activity');
    expect(j).not.toHaveProperty('weights');
    expect(j.arrays).toEqual({
      activity: { file: 'activity.npy', dtype: 'float32', shape: [FIX.T, FIX.K, FIX.N], axes: ['time', 'trial', 'neuron'] },
      weights: { file: 'weights.npy', dtype: 'float32', shape: [FIX.K + 1, FIX.N, FIX.N], axes: ['W_k (k = 0 … K)', 'post', 'pre'] },
    });
    const back = JSON.parse(JSON.stringify(j));
    expect(back).toEqual(j);
    expect(back.crossValidation.table[0].mean).toBeNull();
    expect(back.trials.reachError).toEqual(r.trials.reachError);
    expect(back.bounds.cpRank.value).toBe(r.bounds.cpRank.value);
    expect(back.provenance.version).toBe(VERSION);
  });
});

describe('methodsText', () => {
  it('experiment: library, backend, seed, network, epochs, analyses and the selected rank; plain text', () => {
    const r = makeFixture();
    const text = methodsText(r);
    for (const s of [
      `ltr-rnn ${VERSION}`,
      'cpu backend',
      'seed 7',
      'N = 8 units with tanh activation',
      'τ = 0.1 s',
      'dt = 0.05 s',
      'T = 5 steps per trial',
      '8 targets',
      'Adam (40 updates on batches of 4 trials, learning rate 0.01',
      'one update per trial (learning rate 0.05)',
      '10 baseline trials, 10 trials in a curl force field F = k·[[0, 1], [−1, 0]]·v on the hand',
      '(k = 2) and 10 washout trials, K = 30 trials',
      'numerical rank 4',
      'CP-ALS at ranks 1–4 (best of 2 restarts, at most 200 iterations each)',
      '2 components for 90 % and 3 components for 95 %',
      `CP rank of the weight tensor to ${r.bounds.cpRank.value}`,
      'subsampled every 2 steps to 3 time bins',
      'N = 6 latent rate units',
      'Adam (learning rate 0.01) for at most 50 iterations',
      'R = 1–4 with 2 seeds per rank (0 and 1)',
      'one-standard-error rule',
      'was R = 2',
      'was at rank 3',
      'Pellegrino, Cayco-Gajic & Chadwick, 2023',
    ]) {
      expect(text, s).toContain(s);
    }
    expect(text).not.toMatch(/[\n`*#]|undefined|NaN|\[object/);
  });

  it('bibtex: true appends the package and paper entries', () => {
    const r = makeFixture();
    const text = methodsText(r, { bibtex: true });
    expect(text.startsWith(methodsText(r))).toBe(true);
    expect(text).toContain(`\n\n${BIBTEX.package}\n\n${BIBTEX.paper}\n`);
    expect(BIBTEX.package).toContain(`version = {${VERSION}}`);
    expect(BIBTEX.package).toContain('year = {2026}');
    expect(BIBTEX.package).toContain('author = {{The ltr-rnn developers}}');
    expect(BIBTEX.paper).toContain('Pellegrino, Arthur and Cayco-Gajic, N. Alex and Chadwick, Angus');
    expect(BIBTEX.paper).toContain('volume = {36}');
    expect(BIBTEX.paper).toContain('eprint = {2308.11567}');
    for (const entry of [BIBTEX.package, BIBTEX.paper]) {
      expect(count(entry, '{')).toBe(count(entry, '}'));
      expect(entry).toMatch(/^@\w+\{[\w]+,\n[\s\S]*\n\}$/);
    }
  });

  it('refuses other objects and bad options', () => {
    expect(errorOf(() => methodsText({} as never))).toMatchObject({ code: 'invalid-data', path: 'result' });
    expect(errorOf(() => methodsText(makeFixture(), { bibtex: 'yes' } as never))).toMatchObject({ code: 'invalid-option', path: 'options.bibtex' });
  });

  describe('a real crossValidateRank and its best fit (cpu)', () => {
    const teacher = makeTeacher({ rank: 2, latentDim: 6, epochs: [8, 8], bins: 8, conditions: 2, neurons: 8, noise: 0.05, seed: 5 });
    let cv: CrossValidationResult;
    let tensors: number;
    beforeAll(async () => {
      await useBackend('cpu');
      tensors = tf.memory().numTensors;
      cv = await crossValidateRank(
        { data: teacher.data, shape: teacher.shape },
        { ranks: [1, 2], seeds: [3, 4], latentDims: [5], conditions: teacher.conditions, epochs: teacher.epochs, sigma: 0.5, lengthScale: 4, iterations: 6, learningRate: 0.05, earlyStopping: false },
      );
    }, 60_000);
    afterAll(() => {
      cv?.dispose();
      expect(tf.memory().numTensors).toBe(tensors);
    });

    it('CrossValidationResult: data, model, prior, mask, ranks, seeds, rule and the selected rank', () => {
      const before = tf.memory().numTensors;
      const text = methodsText(cv);
      expect(tf.memory().numTensors).toBe(before);
      for (const s of [
        `ltr-rnn ${VERSION}`,
        'cpu backend',
        '8 time bins × 16 trials × 8 neurons in 2 conditions',
        'Each model had N = 5 latent rate units',
        'length scale 4 trials, σ = 0.5',
        'Adam (learning rate 0.05) for at most 6 iterations',
        'test blocks of 3 time bins × 3 trials × 1 neuron',
        '10 % of the entries',
        'R = 1 and 2 with 2 seeds per rank (3 and 4), 4 fits in all',
        `was R = ${cv.selected.rank}`,
      ]) {
        expect(text, s).toContain(s);
      }
      expect(text).not.toMatch(/[\n`*#]|undefined|NaN|\[object/);
      expect(methodsText(cv, { bibtex: true })).toContain(BIBTEX.paper);
    });

    it('LtrFit and its JSON: the same paragraph with the fit’s rank, seed, losses and iterations', async () => {
      const fit = cv.best;
      const text = methodsText(fit);
      const seed = fit.provenance.seed;
      for (const s of [`ltr-rnn ${VERSION}`, 'cpu backend', `rank R = ${fit.rank}`, '8 time bins × 16 trials × 8 neurons in 2 conditions', 'The model had N = 5 latent rate units', `sum of ${fit.rank === 1 ? '1 rank-one component' : `${fit.rank} rank-one components`} c_r`, `The fit (seed ${seed}) ran 6 iterations`, `${fit.parameters.total} trainable parameters`]) {
        expect(text, s).toContain(s);
      }
      expect(text).not.toMatch(/[\n`*#]|undefined|NaN|\[object/);
      expect(methodsText(await fit.toJSON())).toBe(text);
    });
  });
});

describe('writeReport', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ltr-report-files-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes index.html, results.json, methods.md and the two .npy arrays into a new folder', async () => {
    const r = makeFixture();
    const out = join(dir, 'a', 'b', 'report');
    const before = tf.memory().numTensors;
    const { dir: where, files } = await writeReport(r, out, { generatedAt: '2026-01-02T00:00:00Z' });
    expect(tf.memory().numTensors).toBe(before);
    expect(where).toBe(out);
    expect(files).toEqual(['index.html', 'results.json', 'methods.md', 'activity.npy', 'weights.npy'].map((f) => join(out, f)));
    const page = readFileSync(files[0], 'utf8');
    expect(page).toBe(renderReport(r, { generatedAt: '2026-01-02T00:00:00Z', files: ['results.json', 'methods.md', 'activity.npy', 'weights.npy'] }));
    expect(page).toContain('<a href="results.json">results.json</a>');
    const json = JSON.parse(readFileSync(files[1], 'utf8'));
    expect(json).not.toHaveProperty('activity');
    expect(json).not.toHaveProperty('weights');
    expect(json).toEqual(JSON.parse(JSON.stringify(resultsJSON(r))));
    const md = readFileSync(files[2], 'utf8');
    expect(md).toContain(methodsText(r));
    expect(md).toContain(BIBTEX.package);
    expect(md).toContain(BIBTEX.paper);
    const activity = await readNpy(files[3]);
    expect(activity.dtype).toBe('float32');
    expect(activity.shape).toEqual([FIX.T, FIX.K, FIX.N]);
    expect(activity.data).toEqual(r.activity.data);
    const weights = await readNpy(files[4]);
    expect(weights.dtype).toBe('float32');
    expect(weights.shape).toEqual([FIX.K + 1, FIX.N, FIX.N]);
    expect(weights.data).toEqual(r.weights.data);
  });

  it('overwrites an existing report; refuses a result whose arrays do not match before writing anything', async () => {
    const r = makeFixture();
    const out = join(dir, 'again');
    await writeReport(r, out);
    await writeReport(r, out);
    const bad = makeFixture();
    bad.activity = { data: bad.activity.data, shape: [FIX.K, FIX.T, FIX.N] };
    const target = join(dir, 'never');
    await expect(writeReport(bad, target)).rejects.toMatchObject({ code: 'shape-mismatch', path: 'result.activity.shape' });
    const bad2 = makeFixture();
    bad2.weights = { data: bad2.weights.data.subarray(1), shape: [FIX.K + 1, FIX.N, FIX.N] };
    await expect(writeReport(bad2, target)).rejects.toMatchObject({ code: 'shape-mismatch', path: 'result.weights.data' });
    expect(existsSync(target)).toBe(false);
    await expect(writeReport(r, '')).rejects.toMatchObject({ code: 'invalid-option', path: 'dir' });
  });
});
