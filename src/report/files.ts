/**
 * `writeReport`: the report folder on disk (Node only; `node:fs` and `node:path` are loaded lazily,
 * so that importing the report layer stays browser-safe).
 */
import { ready } from '../backend/use';
import { encodeNpy } from '../io/npy';
import type { LearningExperimentResult } from '../tasks/experiment-result';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { checkExperimentResult } from './check';
import { renderReport, renderReportOptions, resultsJSON, type RenderReportOptions } from './html';
import { BIBTEX, methodsText } from './methods';

/** The files {@link writeReport} writes, in order. */
export const REPORT_FILES = ['index.html', 'results.json', 'methods.md', 'activity.npy', 'weights.npy'] as const;

const FS_MODULE = 'node:fs/promises';
const PATH_MODULE = 'node:path';
function nodeFs(): Promise<typeof import('node:fs/promises')> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ FS_MODULE) as Promise<typeof import('node:fs/promises')>;
}
function nodePath(): Promise<typeof import('node:path')> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ PATH_MODULE) as Promise<typeof import('node:path')>;
}

function checkArray(a: unknown, path: string, expected: number[]): Float32Array {
  const what = `[${expected.join(', ')}]`;
  if (typeof a !== 'object' || a === null || !('data' in a) || !('shape' in a)) throw new LtrError('invalid-data', `${path} must be { data: Float32Array, shape: ${what} }.`, { path });
  const { data, shape } = a as { data: unknown; shape: unknown };
  if (!(data instanceof Float32Array)) throw new LtrError('invalid-data', `${path}.data must be a Float32Array.`, { path: `${path}.data` });
  if (!Array.isArray(shape) || shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new LtrError('shape-mismatch', `${path}.shape is ${JSON.stringify(shape)} but the result's network and trials need ${what}.`, { path: `${path}.shape` });
  }
  if (data.length !== expected.reduce((x, y) => x * y, 1)) throw new LtrError('shape-mismatch', `${path}.data has ${data.length} values but shape ${what} needs ${expected.reduce((x, y) => x * y, 1)}.`, { path: `${path}.data` });
  return data;
}

/** The text of `methods.md`: the methods paragraph and the two BibTeX entries in a code block. */
export function methodsMarkdown(result: LearningExperimentResult): string {
  return `# Methods\n\n${methodsText(result)}\n\n## How to cite\n\n\`\`\`bibtex\n${BIBTEX.package}\n\n${BIBTEX.paper}\n\`\`\`\n`;
}

/**
 * Writes the report of a learning experiment into `dir` (created when missing; existing files of
 * the same names are replaced), Node only:
 * - `index.html` — {@link renderReport} (self-contained: inline CSS and SVG, no script, no network);
 * - `results.json` — {@link resultsJSON} (the result without `activity` and `weights`);
 * - `methods.md` — {@link methodsText} and the BibTeX of the package and the paper;
 * - `activity.npy` — the rates, T × K × N float32;
 * - `weights.npy` — W_0 … W_K, (K + 1) × N × N float32.
 * Everything is checked and encoded before the first file is written.
 *
 * @returns the folder (absolute) and the paths of the files written, in the order above.
 * @throws LtrError `invalid-data` / `shape-mismatch` naming the field of a malformed result
 * (e.g. `result.activity.shape`), `invalid-option` for bad options or a folder that cannot be
 * created or written.
 */
export async function writeReport(result: LearningExperimentResult, dir: string, options: RenderReportOptions = {}): Promise<{ dir: string; files: string[] }> {
  await ready();
  if (typeof dir !== 'string' || dir === '') throw new LtrError('invalid-option', `dir must be a non-empty folder name, got ${dir === '' ? 'an empty string' : typeof dir}.`, { path: 'dir' });
  const o = parseOptions(renderReportOptions, options);
  checkExperimentResult(result);
  const K = result.trials.reachError.length;
  const N = result.network.neurons;
  const T = result.network.steps;
  const activity = checkArray(result.activity, 'result.activity', [T, K, N]);
  const weights = checkArray(result.weights, 'result.weights', [K + 1, N, N]);
  const contents: [string, string | Uint8Array][] = [
    ['index.html', renderReport(result, { ...o, files: [...new Set([...o.files, ...REPORT_FILES.filter((f) => f !== 'index.html')])] })],
    ['results.json', `${JSON.stringify(resultsJSON(result), null, 2)}\n`],
    ['methods.md', methodsMarkdown(result)],
    ['activity.npy', encodeNpy({ data: activity, shape: [T, K, N], dtype: 'float32' })],
    ['weights.npy', encodeNpy({ data: weights, shape: [K + 1, N, N], dtype: 'float32' })],
  ];
  const fs = await nodeFs();
  const path = await nodePath();
  const abs = path.resolve(dir);
  try {
    await fs.mkdir(abs, { recursive: true });
  } catch (e) {
    throw new LtrError('invalid-option', `cannot create the report folder ${JSON.stringify(dir)}: ${(e as Error).message}`, { path: 'dir', cause: e });
  }
  const files: string[] = [];
  for (const [name, body] of contents) {
    const file = path.join(abs, name);
    try {
      await fs.writeFile(file, body);
    } catch (e) {
      throw new LtrError('invalid-option', `cannot write ${JSON.stringify(file)}: ${(e as Error).message}`, { path: 'dir', cause: e });
    }
    files.push(file);
  }
  return { dir: abs, files };
}
