/**
 * `ltr-rnn/cp`: tensors in CP (CANDECOMP/PARAFAC) form and their decompositions — the
 * {@link CPTensor} class, tensor algebra (unfoldings, Khatri–Rao products, MTTKRP), CP-ALS with
 * restarts and missing data, and (below) diagnostics, non-negative and gradient-based CP and rank
 * sweeps. See `docs/cp.md`.
 * @module cp
 */
import '../backend/gradients';

// ---- CP-core: CPTensor, algebra, shared options and results, cpAls ----------------------------
export { CPTensor, cpTensorJSONSchema, type CPTensorJSON, type CPTensorHost } from './cp-tensor';
export { unfold, fold, khatriRao, mttkrp, cpToTensor, outer, type MttkrpMethod } from './algebra';
export {
  baseDecompositionOptions,
  checkRank,
  checkMask,
  type BaseDecompositionOptions,
  type ResolvedDecompositionOptions,
  type DecompositionProgress,
  type DecompositionInit,
} from './options';
export { makeProvenance, type DecompositionResult, type Provenance, type RestartSummary } from './result';
export { cpAls, cpAlsOptions, type CpAlsOptions } from './als';

// ---- CP-extra: diagnostics, cpNonneg, cpOpt, rankSweep -------------------------------------------

// ---- diagnostics, non-negative, missing data, rank sweep (CP-extra) ----------------------------
export {
  relativeError,
  relativeErrorOptions,
  explainedVariance,
  explainedVarianceOptions,
  congruence,
  congruenceOptions,
  factorMatchScore,
  factorMatchScoreOptions,
  coreConsistency,
  coreConsistencyOptions,
  type RelativeErrorOptions,
  type ExplainedVarianceOptions,
  type CongruenceOptions,
  type FactorMatchScoreOptions,
  type FactorMatchScore,
  type CoreConsistencyOptions,
} from './diagnostics';
export { linearSumAssignment, linearSumAssignmentOptions, type LinearSumAssignmentOptions, type Assignment } from './hungarian';
export { cpNonneg, cpNonnegOptions, type CpNonnegOptions } from './nonneg';
export { cpOpt, cpOptOptions, type CpOptOptions } from './opt';
export { rankSweep, rankSweepOptions, type RankSweepOptions, type RankSweepResult, type RankSweepEntry, type RankSweepProgress } from './sweep';
