/**
 * A structural check of a {@link LearningExperimentResult} before it is rendered or written: the
 * report draws from many fields, and a result from another version (or hand-made) should fail
 * with the field named rather than draw a wrong figure.
 */
import { EXPERIMENT_EPOCHS, type LearningExperimentResult } from '../tasks/experiment-result';
import { LtrError } from '../validate/errors';

function fail(code: 'invalid-data' | 'shape-mismatch', path: string, message: string): never {
  throw new LtrError(code, `${path} ${message}`, { path });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isArrayLike = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));

/**
 * Checks the fields the report layer reads: format and version, epochs (contiguous spans from 0),
 * one entry per trial in every `trials` array, ΔW ranks, the bounds, and (when present) the CP
 * profile and the cross-validation table.
 * @throws LtrError `invalid-data` or `shape-mismatch` naming the field.
 */
export function checkExperimentResult(r: unknown, where = 'result'): asserts r is LearningExperimentResult {
  if (!isObject(r)) fail('invalid-data', where, 'must be the object learningExperiment returns.');
  if (r.format !== 'ltr-rnn/learning-experiment') fail('invalid-data', `${where}.format`, `must be 'ltr-rnn/learning-experiment' (the result of learningExperiment), got ${JSON.stringify(r.format)}.`);
  if (r.version !== 1) fail('invalid-data', `${where}.version`, `must be 1; this version of ltr-rnn cannot read version ${JSON.stringify(r.version)}.`);
  const net = r.network;
  if (!isObject(net) || !Number.isInteger(net.neurons) || (net.neurons as number) < 1 || !Number.isInteger(net.steps)) fail('invalid-data', `${where}.network`, 'must give neurons and steps as positive integers.');
  const epochs = r.epochs;
  if (!Array.isArray(epochs) || epochs.length === 0) fail('invalid-data', `${where}.epochs`, 'must be a non-empty array of { name, start, end, curl }.');
  let at = 0;
  epochs.forEach((e: unknown, i) => {
    const p = `${where}.epochs.${i}`;
    if (!isObject(e) || !(EXPERIMENT_EPOCHS as readonly unknown[]).includes(e.name)) fail('invalid-data', `${p}.name`, `must be one of ${EXPERIMENT_EPOCHS.join(', ')}.`);
    if (e.start !== at || !Number.isInteger(e.end) || (e.end as number) <= at) fail('invalid-data', p, `must span [${at}, end) with end > ${at} (epochs are contiguous from trial 0).`);
    at = e.end as number;
  });
  const K = at;
  const trials = r.trials;
  if (!isObject(trials)) fail('invalid-data', `${where}.trials`, 'must be an object of per-trial arrays.');
  for (const k of ['epoch', 'target', 'curl', 'reachError', 'lateralDeviation', 'loss']) {
    const v = trials[k];
    if (!isArrayLike(v)) fail('invalid-data', `${where}.trials.${k}`, 'must be an array with one entry per trial.');
    if (v.length !== K) fail('shape-mismatch', `${where}.trials.${k}`, `has ${v.length} entries but the epochs span ${K} trials.`);
  }
  if (!Array.isArray(r.epochSummary)) fail('invalid-data', `${where}.epochSummary`, 'must be an array.');
  if (!Array.isArray(r.deltaRanks)) fail('invalid-data', `${where}.deltaRanks`, 'must be an array.');
  r.deltaRanks.forEach((d: unknown, i) => {
    if (!isObject(d) || !isArrayLike(d.singularValues)) fail('invalid-data', `${where}.deltaRanks.${i}.singularValues`, 'must be an array of numbers.');
  });
  const b = r.bounds;
  if (!isObject(b) || !isObject(b.spec)) fail('invalid-data', `${where}.bounds`, 'must be the result of gradientDescentRankBounds.');
  for (const k of ['gradient', 'update', 'sumOfUpdates', 'weights', 'multilinearRank', 'cpRank']) {
    if (!isObject(b[k]) || !('value' in (b[k] as object))) fail('invalid-data', `${where}.bounds.${k}`, 'must be a bound { value, statement, status, … }.');
  }
  if (r.cpProfile !== null) {
    if (!isObject(r.cpProfile) || !Array.isArray(r.cpProfile.rows)) fail('invalid-data', `${where}.cpProfile`, 'must be null or { rows, rankFor90, rankFor95, restarts, maxIter }.');
  }
  if (r.crossValidation !== null) {
    const cv = r.crossValidation;
    if (!isObject(cv) || !Array.isArray(cv.table) || !Array.isArray(cv.trialFactors) || !Array.isArray(cv.seeds)) {
      fail('invalid-data', `${where}.crossValidation`, 'must be null or { table, selectedRank, trialFactors, seeds, … }.');
    }
    (cv.trialFactors as unknown[]).forEach((row, k) => {
      if (!isArrayLike(row)) fail('invalid-data', `${where}.crossValidation.trialFactors.${k}`, 'must be an array (one gain per component).');
    });
  }
  if (!isObject(r.provenance)) fail('invalid-data', `${where}.provenance`, 'must be the run provenance.');
  if (!isObject(r.timings)) fail('invalid-data', `${where}.timings`, 'must give the wall time of each stage.');
}
