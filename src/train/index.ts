/**
 * Layer `train`: the gradient-descent trainer (`train`), its optimizers and learning-rate
 * schedules, losses (MSE, masked MSE, Poisson NLL, penalties), cross-validation masks (block
 * masks with guard bands, trial dropout), checkpoints, weight recording over learning
 * (`WeightRecorder`) and task training (`trainTask`).
 * @module train
 */
import '../backend/gradients';

export { train, trainOptions, type TrainOptions, type TrainResult, type StepContext, type EvalContext, type LossFn, type TestLossFn, type StepInfo, type TrainProgress, type StopReason } from './train';
export { scheduleSchema, learningRateAt, type Schedule, type ScheduleFn } from './schedule';
export { OPTIMIZER_NAMES, type OptimizerName, type SlotJSON } from './optimizers';
export { trainCheckpointSchema, parseCheckpoint, type TrainCheckpoint, type TrainHistory, type TestRecord, type TensorJSON, type EarlyStoppingState } from './checkpoint';
export { mse, maskedMse, poissonNll, poissonNllOptions, logFactorial, l1Penalty, l2Penalty, weightDecayPenalty, validateMask, validateMaskOptions, type PoissonNllOptions, type ValidateMaskOptions, type MaskSummary } from './losses';
export { blockMask, blockMaskOptions, trialDropoutMask, dropTrials, type BlockMask, type BlockMaskOptions, type HostTensor } from './masks';
export { WeightRecorder, weightRecorderOptions, DEFAULT_MAX_RECORD_ELEMENTS, type WeightRecorderOptions, type LowRankDelta, type StoredDelta, type RelativeTo } from './recorder';
export { trainTask, trainTaskOptions, type TrainTaskOptions, type TrainTaskResult, type Task, type TaskBatch } from './task';
