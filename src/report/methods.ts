/**
 * `methodsText`: the paragraph a researcher pastes into a methods section, written from what a
 * result carries (its resolved options and provenance), and the BibTeX entries to cite.
 */
import { z } from 'zod';
import type { CrossValidationResult, CrossValidationRow } from '../fit/cv';
import type { LtrFit, LtrFitJSON, LtrFitLosses, LtrFitMetadata } from '../fit/ltr-fit';
import { DEFAULT_BLOCK_MASK, fitLtrRNNOptions, SERIALIZABLE_FIT_KEYS } from '../fit/options';
import type { Provenance } from '../cp/result';
import type { LearningExperimentResult } from '../tasks/experiment-result';
import { LtrError } from '../validate/errors';
import { parseOptions } from '../validate/options';
import { VERSION } from '../version';
import { formatDuration, formatIntegerList, formatNumber, formatPercent, joinWords, plural } from './format';
import { checkExperimentResult } from './check';

/** Where the package is published (the BibTeX `url`). */
export const PACKAGE_URL = 'https://www.npmjs.com/package/ltr-rnn';

/**
 * BibTeX entries to cite: `package` — this software (ltr-rnn, its version, 2026); `paper` —
 * Pellegrino, Cayco-Gajic & Chadwick, "Low Tensor Rank Learning of Neural Dynamics", NeurIPS 2023
 * (Advances in Neural Information Processing Systems 36), arXiv:2308.11567.
 */
export const BIBTEX: Readonly<{ package: string; paper: string }> = Object.freeze({
  package: [
    '@software{ltr_rnn,',
    '  author = {{The ltr-rnn developers}},',
    '  title = {ltr-rnn: low-tensor-rank learning of neural dynamics in TypeScript},',
    `  version = {${VERSION}},`,
    '  year = {2026},',
    `  url = {${PACKAGE_URL}},`,
    '}',
  ].join('\n'),
  paper: [
    '@inproceedings{pellegrino2023low,',
    '  author = {Pellegrino, Arthur and Cayco-Gajic, N. Alex and Chadwick, Angus},',
    '  title = {Low Tensor Rank Learning of Neural Dynamics},',
    '  booktitle = {Advances in Neural Information Processing Systems},',
    '  volume = {36},',
    '  series = {NeurIPS 2023},',
    '  year = {2023},',
    '  eprint = {2308.11567},',
    '  archivePrefix = {arXiv},',
    '  url = {https://arxiv.org/abs/2308.11567},',
    '}',
  ].join('\n'),
});

/** Options of {@link methodsText}: `bibtex` [false] appends the two {@link BIBTEX} entries. */
export const methodsTextOptions = z.strictObject({ bibtex: z.boolean().default(false) });
/** Input of {@link methodsTextOptions}. */
export type MethodsTextOptions = z.input<typeof methodsTextOptions>;

/** What {@link methodsText} describes. */
export type MethodsSubject = LearningExperimentResult | CrossValidationResult | LtrFit | LtrFitJSON;

const CITE_PAPER = 'Pellegrino, Cayco-Gajic & Chadwick, 2023';
const CITE_PACKAGE = 'The ltr-rnn developers, 2026';

/**
 * A methods paragraph (plain text, no markup) for a learning experiment, a rank cross-validation
 * or a single ltrRNN fit (an {@link LtrFit} or its JSON): library and version, backend, the model
 * and its hyperparameters, the cross-validation scheme, seeds and the selected rank — each number
 * read from the result's resolved options and provenance. With `bibtex: true` the BibTeX entries
 * of the package and the paper follow, after a blank line.
 *
 * @example
 * ```ts
 * const cv = await crossValidateRank(x, { ranks: [1, 2, 3, 4], seeds: [0, 1, 2] });
 * console.log(methodsText(cv, { bibtex: true }));
 * ```
 * @throws LtrError `invalid-data` (path `result`) for anything else; `invalid-option` for a bad option.
 */
export function methodsText(result: MethodsSubject, options: MethodsTextOptions = {}): string {
  const o = parseOptions(methodsTextOptions, options);
  const kind = subjectKind(result);
  let text: string;
  if (kind === 'experiment') text = experimentParagraph(result as LearningExperimentResult);
  else if (kind === 'crossValidation') text = crossValidationParagraph(result as CrossValidationResult);
  else text = fitParagraph(fitView(result as LtrFit | LtrFitJSON));
  return o.bibtex ? `${text}\n\n${BIBTEX.package}\n\n${BIBTEX.paper}\n` : text;
}

function subjectKind(r: unknown): 'experiment' | 'crossValidation' | 'fit' {
  if (typeof r === 'object' && r !== null) {
    const o = r as Record<string, unknown>;
    if (o.format === 'ltr-rnn/learning-experiment') {
      checkExperimentResult(r, 'result');
      return 'experiment';
    }
    if (Array.isArray(o.entries) && Array.isArray(o.table) && typeof o.selected === 'object' && o.selected !== null && typeof o.provenance === 'object') return 'crossValidation';
    if (o.format === 'ltr-rnn/ltr-fit' || (typeof o.rank === 'number' && typeof o.losses === 'object' && typeof o.metadata === 'object' && typeof o.provenance === 'object')) return 'fit';
  }
  throw new LtrError('invalid-data', 'methodsText: result must be a LearningExperimentResult, a CrossValidationResult, an LtrFit or LtrFit JSON.', { path: 'result' });
}

// ---------------------------------------------------------------------------------------------
// Fit options, with the defaults of fitLtrRNN filled in for what a record leaves out

type FitOptionsView = z.output<typeof fitLtrRNNOptions> & { blockMask: { trainHalfBlock: number | number[]; testHalfBlock: number | number[]; fractionTest: number; seed: number } | string };

function fitOptionsView(raw: Record<string, unknown>): FitOptionsView {
  const defaults = fitLtrRNNOptions.parse({ rank: 1 }) as Record<string, unknown>;
  const out: Record<string, unknown> = { ...defaults };
  for (const k of SERIALIZABLE_FIT_KEYS) if (raw[k] !== undefined && raw[k] !== null) out[k] = raw[k];
  if (out.inputWindow === 'auto' && raw.times !== undefined && raw.times !== null) out.inputWindow = 'preparatory';
  const bm = raw.blockMask;
  out.blockMask = typeof bm === 'string' ? bm : { ...DEFAULT_BLOCK_MASK, ...(typeof bm === 'object' && bm !== null ? bm : {}) };
  return out as FitOptionsView;
}

const num = (v: unknown, digits = 3): string => (typeof v === 'number' ? formatNumber(v, digits) : String(v));

function blockSize(half: number | number[], dims: number): number[] {
  return Array.from({ length: dims }, (_, d) => 2 * (Array.isArray(half) ? (half[d] ?? 0) : half) + 1);
}

function maskSentence(o: FitOptionsView): string {
  if (typeof o.blockMask === 'string') return 'Entries were split into training and test sets by a mask given by the user.';
  const bm = o.blockMask;
  const test = blockSize(bm.testHalfBlock, 3);
  const train = blockSize(bm.trainHalfBlock, 3);
  const box = (b: number[]): string => `${plural(b[0], 'time bin')} × ${plural(b[1], 'trial')} × ${plural(b[2], 'neuron')}`;
  return (
    `Entries were split into training and test sets by a random block mask (mask seed ${bm.seed}): test blocks of ${box(test)}, ` +
    `each centred in a block of ${box(train)} left out of training (the difference is a guard band used for neither), ` +
    `placed until ${formatPercent(bm.fractionTest, bm.fractionTest * 100 === Math.round(bm.fractionTest * 100) ? 0 : 1)} of the entries were test entries.`
  );
}

function inputsText(o: FitOptionsView): string {
  const when = o.inputWindow === 'none' ? null : o.inputWindow === 'all' ? 'throughout the trial' : o.inputWindow === 'preparatory' ? 'in the preparatory bins before time 0' : 'in the preparatory bins before time 0 (when the data had any)';
  if (when === null) return ' and no external inputs';
  return ` and condition-specific inputs ${when}, on a basis of ${plural(o.inputBasisSize, 'Gaussian bump')} in time${o.inputDim !== undefined ? ` with ${plural(o.inputDim, 'input dimension')}` : ''}${o.inputInSpan ? ' and input weights in the span of the column modes' : ''}`;
}

function modelSentences(o: FitOptionsView, latent: string, rank: string, single = false): string[] {
  const out: string[] = [];
  const components = /^\d+$/.test(rank) ? plural(Number(rank), 'rank-one component') : `${rank} rank-one components`;
  const model =
    o.model === 'ltr'
      ? `trial-specific recurrent weights W_k = A diag(c_k) Bᵀ of CP rank ${rank} (the trial × N × N weight tensor is the sum of ${components} c_r ∘ a_r ∘ b_r)`
      : o.model === 'static'
        ? `one recurrent weight matrix of rank ${rank} shared by all trials (the 'static' baseline)`
        : `an independent rank-${rank} recurrent weight matrix on every trial (the 'lowRankPerTrial' baseline)`;
  out.push(
    `${single ? 'The model' : 'Each model'} had ${latent} latent rate units with ${o.activation} activation and time constant τ = ${num(o.tau)}, simulated by ${o.method === 'heun' ? "Heun's" : 'the Euler'} method over a duration of ${num(o.duration)} (τ units) spanning the fitted time bins, ` +
      `with ${model}${o.bias ? ', a bias' : ''}${o.noise > 0 ? `, private noise of standard deviation ${num(o.noise)}` : ''}, ` +
      `condition-specific initial states (scale ${num(o.initialStateScale)})${inputsText(o)}, ` +
      `read out to the recorded neurons by ${o.decoder === 'orthogonal' ? 'an orthogonal' : 'a linear'} decoder${o.decoderBias ? ' with bias' : ''}${o.decoderScale ? ' and a learned gain' : ''}.`,
  );
  if (o.model !== 'lowRankPerTrial') {
    if (o.kernel === 'rationalQuadratic') {
      out.push(
        `The trial factors c_k had a Gaussian-process prior over trials with a rational-quadratic kernel (length scale ${num(o.lengthScale)} trials, σ = ${num(o.sigma)}, α = ${num(o.alpha)}) ` +
          `and trial-to-trial variability σ_obs = ${num(o.sigmaObservation)}${o.discontinuousAtEpochs ? ', independent between epochs' : ''}.`,
      );
    } else if (o.model === 'ltr') out.push('The trial factors were free parameters (no smoothness prior).');
  }
  const lossName = o.loss === 'poisson' ? 'Poisson negative log-likelihood (normalized by the null deviance)' : o.loss === 'mse' ? 'mean squared error (normalized by the variance of the data)' : 'mean squared error for real-valued data or Poisson negative log-likelihood for counts (normalized)';
  const sched = typeof o.schedule === 'object' && o.schedule !== null && (o.schedule as { type?: string }).type !== 'constant' ? ` (${(o.schedule as { type?: string }).type} schedule)` : '';
  const es = o.earlyStopping === false || o.earlyStopping.window >= o.iterations ? '' : `, stopping early when the standard deviation of the last ${o.earlyStopping.window} test losses fell below ${num(o.earlyStopping.minStd)}`;
  out.push(
    `Parameters were learned with Adam (learning rate ${num(o.learningRate)}${sched}${o.clipNorm !== undefined ? `, gradients clipped to global norm ${num(o.clipNorm)}` : ''}) for at most ${o.iterations} iterations${es}, ` +
      `minimizing the ${lossName} on the training entries, with ${formatPercent(o.fractionMasked)} of the trials left out of each step's loss at random and an activity penalty of ${num(o.regularization)} × the mean ${o.regularizationFunction === 'abs' ? 'absolute value' : 'square'} of the latent states and inputs.`,
  );
  return out;
}

function dataShapeText(shape: readonly number[]): string {
  return `${plural(shape[0], 'time bin')} × ${plural(shape[1], 'trial')} × ${plural(shape[2], 'neuron')}`;
}

function libraryText(p: Provenance | Record<string, unknown>): string {
  const v = typeof p.version === 'string' ? p.version : VERSION;
  const b = typeof p.backend === 'string' ? p.backend : 'unknown';
  return `ltr-rnn ${v} (${CITE_PACKAGE}; TensorFlow.js, ${b} backend)`;
}

function ruleText(rule: string): string {
  return rule === 'minimum' ? 'the rank with the lowest mean test loss' : 'the one-standard-error rule (the smallest rank whose mean test loss is within one standard error of the lowest mean)';
}

function selectionText(table: readonly CrossValidationRow[], selectedRank: number, rule: string, bestRank: number): string {
  const best = table.filter((r) => r.rank === bestRank && Number.isFinite(r.mean)).sort((a, b) => a.mean - b.mean)[0];
  const sel = table.filter((r) => r.rank === selectedRank && Number.isFinite(r.mean)).sort((a, b) => a.mean - b.mean)[0];
  const noSe = table.every((r) => r.se === 0);
  const ms = (r: CrossValidationRow | undefined): string => (r === undefined ? '' : noSe ? formatNumber(r.mean) : `${formatNumber(r.mean)} ± ${formatNumber(r.se, 2)}`);
  let s = `The rank selected by ${ruleText(rule)} was R = ${selectedRank}`;
  if (sel !== undefined) s += ` (normalized test loss ${ms(sel)}${noSe ? (rule === 'minimum' ? '' : '; with one seed per rank the standard errors are 0 and the rule selects the lowest mean') : ', mean ± s.e.'}`;
  if (best !== undefined && bestRank !== selectedRank) s += `${sel !== undefined ? '; ' : ' ('}the lowest mean, ${ms(best)}, was at rank ${bestRank}`;
  if (sel !== undefined || (best !== undefined && bestRank !== selectedRank)) s += ')';
  return `${s}.`;
}

function seedsText(seeds: readonly number[]): string {
  return `${plural(seeds.length, 'seed')} per rank (${formatIntegerList(seeds)})`;
}

// ---------------------------------------------------------------------------------------------
// The three paragraphs

interface FitView {
  model: string;
  rank: number;
  latentDim: number;
  options: Record<string, unknown>;
  metadata: LtrFitMetadata;
  losses: LtrFitLosses;
  parameters: number | null;
  provenance: Provenance | Record<string, unknown>;
}

function fitView(fit: LtrFit | LtrFitJSON): FitView {
  if ('config' in fit && (fit as LtrFitJSON).format === 'ltr-rnn/ltr-fit') {
    const j = fit as LtrFitJSON;
    return { model: j.config.model, rank: j.config.rank, latentDim: j.config.latentDim, options: j.options, metadata: j.metadata, losses: j.losses, parameters: j.parameters?.total ?? null, provenance: j.provenance };
  }
  const f = fit as LtrFit;
  return { model: f.model, rank: f.rank, latentDim: f.latentDim, options: f.options, metadata: f.metadata, losses: f.losses, parameters: f.parameters?.total ?? null, provenance: f.provenance };
}

function modelName(model: string): string {
  return model === 'ltr' ? 'a low-tensor-rank recurrent neural network (ltrRNN' : model === 'static' ? "a low-rank recurrent network with weights fixed across trials (the 'static' baseline" : "a recurrent network with a free low-rank weight matrix per trial (the 'lowRankPerTrial' baseline";
}

function fitParagraph(f: FitView): string {
  const o = fitOptionsView({ ...f.options, model: f.model });
  const seed = typeof f.provenance.seed === 'number' ? f.provenance.seed : o.seed;
  const parts: string[] = [];
  parts.push(`We fitted ${modelName(f.model)}; ${CITE_PAPER}) of rank R = ${f.rank} to data of ${dataShapeText(f.metadata.dataShape)}${f.metadata.conditionLabels.length > 1 ? ` in ${plural(f.metadata.conditionLabels.length, 'condition')}` : ''} with ${libraryText(f.provenance)}.`);
  parts.push(...modelSentences(o, `N = ${f.latentDim}`, String(f.rank), true));
  parts.push(maskSentence(o));
  const stopped = f.losses.stoppedBy === 'min-std' ? `stopped early after ${f.losses.iterations} iterations` : `ran ${plural(f.losses.iterations, 'iteration')}`;
  parts.push(
    `The fit (seed ${seed}) ${stopped}, with a normalized training loss of ${formatNumber(f.losses.train)} and test loss of ${formatNumber(f.losses.test)}` +
      `${f.parameters !== null ? ` (${f.parameters} trainable parameters)` : ''}${typeof f.provenance.durationMs === 'number' ? `, in ${formatDuration(f.provenance.durationMs)}` : ''}.`,
  );
  return parts.join(' ');
}

function crossValidationParagraph(cv: CrossValidationResult): string {
  const p = cv.provenance;
  const po = (p.options ?? {}) as Record<string, unknown>;
  const resolved = (cv.best?.options ?? {}) as Record<string, unknown>;
  const o = fitOptionsView({ ...po, model: cv.best?.model ?? po.model, ...(po.inputWindow === 'auto' && typeof resolved.inputWindow === 'string' ? { inputWindow: resolved.inputWindow } : {}), ...(po.loss === 'auto' && typeof resolved.loss === 'string' ? { loss: resolved.loss } : {}) });
  const ranks = [...new Set(cv.table.map((r) => r.rank))];
  const latents = [...new Set(cv.table.map((r) => r.latentDim))];
  const seeds = Array.isArray(po.seeds) ? (po.seeds as number[]) : [...new Set(cv.entries.map((e) => e.seed))];
  const shape = cv.best?.metadata?.dataShape ?? (cv.mask?.test?.shape as number[] | undefined) ?? [0, 0, 0];
  const diverged = cv.entries.filter((e) => e.error !== null).length;
  const parts: string[] = [];
  const conditions = cv.best?.metadata?.conditionLabels?.length ?? 1;
  parts.push(`We fitted ${modelName(o.model)}; ${CITE_PAPER}) to data of ${dataShapeText(shape)}${conditions > 1 ? ` in ${plural(conditions, 'condition')}` : ''} with ${libraryText(p)}, and selected its rank by cross-validation.`);
  parts.push(...modelSentences(o, `N = ${formatIntegerList(latents)}`, 'R'));
  parts.push(maskSentence(o));
  parts.push(
    `Every fit used the same mask. We fitted R = ${formatIntegerList(ranks)}${latents.length > 1 ? ` at each latent size N = ${formatIntegerList(latents)}` : ''} with ${seedsText(seeds)}, ${plural(cv.entries.length, 'fit')} in all${diverged > 0 ? ` (${diverged} diverged and were left out)` : ''}, ` +
      `and scored each by its normalized test loss at the end of training${seeds.length > 1 ? ' (mean ± standard error over seeds)' : ''}.`,
  );
  parts.push(selectionText(cv.table, cv.selected.rank, cv.rule.name, cv.rule.bestRank));
  if (typeof p.durationMs === 'number') parts.push(`The cross-validation took ${formatDuration(p.durationMs)}.`);
  return parts.join(' ');
}

function optimizerName(name: string): string {
  const known: Record<string, string> = { adam: 'Adam', sgd: 'stochastic gradient descent', momentum: 'SGD with momentum', gd: 'full-batch gradient descent', rmsprop: 'RMSprop' };
  return known[name.toLowerCase()] ?? name;
}

function learnedText(learn: unknown): string {
  if (!Array.isArray(learn) || learn.length === 0) return '';
  const names: Record<string, string> = { recurrent: 'recurrent weights', input: 'input weights', output: 'readout' };
  return `, updating the ${joinWords(learn.map((x) => names[String(x)] ?? String(x)))}`;
}

function experimentParagraph(r: LearningExperimentResult): string {
  const n = r.network;
  const K = r.trials.reachError.length;
  const targets = new Set(r.trials.target).size;
  const task = (r.options.task ?? {}) as Record<string, unknown>;
  const parts: string[] = [];
  parts.push(
    `Simulations and analyses used ${libraryText(r.provenance)}, started from seed ${r.provenance.seed}. ` +
      `A rate recurrent network of N = ${n.neurons} units with ${n.activation} activation (time constant τ = ${num(n.tau)} s, Euler step dt = ${num(n.dt)} s, T = ${n.steps} steps per trial) ` +
      `performed a center-out reaching task with ${plural(targets, 'target')}: its ${plural(n.inputSize, 'input')} carried the target direction and a go cue, and its ${plural(n.outputSize, 'output')} drove a point-mass hand (mass ${num(Number(task.mass ?? 0.02))}, viscosity ${num(Number(task.viscosity ?? 0.2))}); ` +
      `the loss was the mean squared distance of the hand from a minimum-jerk reach to the target (plus ${num(Number(task.velocityWeight ?? 0.01))} × the squared velocity error)` +
      `${task.scorePreparation === false ? ' from the go cue on' : ', including holding still before the go cue'}. ` +
      `Initial recurrent weights were drawn from N(0, ${num(Number(r.options.gain ?? 1))}²/N).`,
  );
  const pt = r.pretraining;
  parts.push(
    `The network was first trained on the task without a force field with ${optimizerName(pt.optimizer)} (${pt.updates} updates on batches of ${pt.batchSize} trials, learning rate ${num(pt.learningRate)}; ` +
      `final loss ${formatNumber(pt.finalLoss)}, final reach error ${formatNumber(pt.finalReachError)}).`,
  );
  const epochs = r.epochs.map((e) => {
    const len = e.end - e.start;
    return e.curl !== 0 ? `${len} ${e.name === 'curl' ? '' : `${e.name} `}trials in a curl force field F = k·[[0, 1], [−1, 0]]·v on the hand (k = ${num(e.curl)})` : `${len} ${e.name} trials`;
  });
  parts.push(
    `It then learned by stochastic gradient descent with one update per trial (learning rate ${num(r.learning.learningRate)}${learnedText(r.options.learn)}) through ${joinWords(epochs)}, K = ${K} trials in all; ` +
      `the recurrent weights after every trial and the rates of every trial (${n.steps} steps × ${K} trials × ${n.neurons} units) were recorded.`,
  );
  const deltas = r.deltaRanks.find((d) => d.name === 'total');
  parts.push(
    `We measured the matrix rank of each weight change ΔW (over all trials and over each epoch) from its singular values, counting those above N·ε·σ_max (ε = 2⁻²³, float32 precision), ` +
      `and the number of singular values needed for 90 % and 95 % of ‖ΔW‖²_F` +
      `${deltas !== undefined ? ` (over all trials: numerical rank ${deltas.numericalRank}, ${deltas.rankFor90} and ${deltas.rankFor95} for 90 % and 95 %)` : ''}.`,
  );
  if (r.cpProfile !== null) {
    const c = r.cpProfile;
    const ranks = c.rows.map((row) => row.rank);
    const need = (v: number | null, pct: string): string => (v === null ? `more than ${Math.max(...ranks)} components for ${pct}` : `${plural(v, 'component')} for ${pct}`);
    parts.push(
      `The ${K} × ${n.neurons} × ${n.neurons} tensor of weight changes W_k − W_0 was decomposed by CP-ALS at ranks ${formatIntegerList(ranks)} (best of ${plural(c.restarts, 'restart')}, at most ${c.maxIter} iterations each); ` +
        `explained variance is 1 − (relative error)², and the tensor needed ${need(c.rankFor90, '90 %')} and ${need(c.rankFor95, '95 %')}.`,
    );
  }
  const b = r.bounds;
  const s = b.spec;
  parts.push(
    `The rank bounds of gradient descent in this setting (${s.optimizer.toUpperCase()}, ${plural(s.trialsPerUpdate, 'trial')} per update, ${s.activation} activation, N = ${s.neurons}, d_in = ${s.inputDim}, d_out = ${s.outputDim}, T = ${s.timeSteps}, K = ${s.updates} updates) ` +
      `limit the rank of one update to ${b.update.value} (${b.update.statement}), of the sum of all updates to ${b.sumOfUpdates.value} (${b.sumOfUpdates.statement}) and the CP rank of the weight tensor to ${b.cpRank.value} (${b.cpRank.statement})` +
      `${b.cpRank.status === 'approximate' ? ' (approximate under this optimizer)' : ''}` +
      `${[b.update, b.sumOfUpdates, b.cpRank].some((x) => /^B\d$/.test(x.statement)) ? '; B1–B4 are the statements proved in the ltr-rnn documentation' : ''}.`,
  );
  if (r.crossValidation !== null) {
    const cv = r.crossValidation;
    const o = fitOptionsView(cv.options);
    if (o.loss === 'auto') o.loss = 'mse'; // the recorded rates are real-valued
    const ranks = [...new Set(cv.table.map((row) => row.rank))];
    const latents = [...new Set(cv.table.map((row) => row.latentDim))];
    parts.push(
      `To recover the learning from the activity alone, we fitted low-tensor-rank recurrent networks (ltrRNNs; ${CITE_PAPER}) to the recorded rates, subsampled every ${plural(cv.binStride, 'step')} to ${cv.bins} time bins (${plural(cv.bins, 'time bin')} × ${plural(K, 'trial')} × ${plural(n.neurons, 'neuron')}).`,
    );
    parts.push(...modelSentences(o, `N = ${formatIntegerList(latents)}`, 'R'));
    parts.push(maskSentence(o));
    parts.push(`We fitted R = ${formatIntegerList(ranks)} with ${seedsText(cv.seeds)} on the same mask and scored each fit by its normalized test loss${cv.seeds.length > 1 ? ' (mean ± standard error over seeds)' : ''}.`);
    parts.push(selectionText(cv.table, cv.selectedRank, cv.rule, cv.bestRank));
  }
  parts.push(`The whole run took ${formatDuration(r.timings.total)}.`);
  return parts.join(' ');
}
