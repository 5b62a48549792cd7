/**
 * `ltr-rnn/fit`: fit low-tensor-rank RNNs to neural recordings (the paper's Algorithm 1), the
 * baselines of its comparison, and cross-validated rank selection. See `docs/fit.md`.
 * @module fit
 */
import '../backend/gradients';

export { fitLtrRNN, type LtrFitCheckpoint } from './fit';
export { fitLtrRNNOptions, FIT_MODELS, INPUT_WINDOWS, DEFAULT_BLOCK_MASK, type FitLtrRNNOptions, type FitModel, type InputWindow, type FitProgress } from './options';
export { LtrFit, ltrFitJSONSchema, predictOptions, type LtrFitJSON, type LtrFitFactors, type LtrFitDecoder, type LtrFitLosses, type LtrFitMetadata, type TrialFactors, type PredictOptions } from './ltr-fit';
export { type ParameterCounts, type NetworkConfig } from './network';
export { rationalQuadraticKernel, trialPriorFactors, roughness, type TrialKernelParams } from './kernel';
export { crossValidateRank, crossValidateRankOptions, selectRank, type CrossValidateRankOptions, type CrossValidationResult, type CrossValidationEntry, type CrossValidationRow, type CrossValidationProgress } from './cv';
export { crossValidationCheckpointEntrySchema, type CrossValidationCheckpointEntry, type CrossValidationCheckpointEntryInput, type CrossValidationFitOutcome } from './cv-entry';
export { crossValidationCheckpoint, checkCrossValidationCheckpoint, crossValidationCheckpointSchema, type CrossValidationCheckpoint } from './cv-checkpoint';
export { trialFactorMatch, trialFactorMatchOptions, type TrialFactorMatch, type TrialFactorMatchOptions } from './match';
