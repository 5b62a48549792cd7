/**
 * Layer `tasks`: the paper's task-trained networks. `centerOutReach` is the center-out reaching
 * task with a curl force field: the network's output is a force on a point-mass hand, which must
 * reach one of 8 targets after a go cue along a minimum-jerk path. See `docs/tasks.md`.
 * @module tasks
 */
import '../backend/gradients';

export {
  centerOutReach,
  centerOutReachOptions,
  type CenterOutReach,
  type CenterOutReachOptions,
  type CenterOutReachResolved,
  type ReachBatch,
  type ReachEvaluation,
  type ReachTrialSpec,
} from './reach';
export {
  learningExperiment,
  learningExperimentOptions,
  EXPERIMENT_STAGES,
  type LearningExperimentOptions,
  type ExperimentProgress,
  type ExperimentStage,
} from './experiment';
export {
  EXPERIMENT_EPOCHS,
  type LearningExperimentResult,
  type ExperimentEpoch,
  type EpochSpan,
  type EpochSummary,
  type DeltaRank,
  type CpProfileRow,
  type ExperimentCrossValidation,
  type HostArray,
} from './experiment-result';
