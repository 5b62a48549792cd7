/**
 * `ltr-rnn/rnn`: continuous-time rate networks τ dx/dt = −x + W φ(x) + W_in u + b + σξ with
 * full-rank, low-matrix-rank and low-tensor-rank (ltrRNN) recurrent weights, simulated for many
 * trials at once ({@link simulate}), differentiable, and their weights over trials as a
 * `CPTensor` ({@link weightTensor}). See `docs/rnn.md`.
 * @module rnn
 */
import '../backend/gradients';

export { ACTIVATION_NAMES, resolveActivation, type Activation, type ActivationFn, type ActivationName } from './activation';
export {
  RnnCell,
  CELL_KINDS,
  cellBaseShape,
  initialStateSchema,
  rnnCellJSONSchema,
  type CellKind,
  type CellBaseOptions,
  type InitialStateSpec,
  type RnnCellJSON,
  type CellFromJSONOptions,
  type DriveMode,
  type CellSaved,
  type TrialSelection,
  type RecurrentDrive,
} from './cell';
export {
  FullRankCell,
  LowRankCell,
  LowTensorRankCell,
  fullRankCellOptions,
  lowRankCellOptions,
  lowTensorRankCellOptions,
  type FullRankCellOptions,
  type LowRankCellOptions,
  type LowTensorRankCellOptions,
  type LtrFactors,
} from './cells';
export { Readout, readoutOptions, readoutJSONSchema, READOUT_TYPES, type ReadoutOptions, type ReadoutJSON, type ReadoutType } from './readout';
export { ParameterStore, parameterJSONSchema, type ParameterJSON, type SavedValues } from './params';
export { simulate, simulateOptions, DEFAULT_MAX_DENSE_ELEMENTS, type SimulateOptions, type SimulationResult } from './simulate';
export { weightTensor, cellFromJSON } from './weight-tensor';
export { orthogonalFromSkew, SQUARINGS, TAYLOR_ORDER } from './orthogonal';
