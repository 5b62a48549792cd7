import '../backend/gradients';
/**
 * `ltr-rnn/rank`: measured ranks of matrices (numerical rank, effective rank, participation ratio,
 * stable rank, rank for a variance fraction) and tensors (HOSVD, multilinear rank, CP rank
 * profile), and executable bounds on the ranks gradient descent can produce in a recurrent
 * network ({@link gradientDescentRankBounds}), checked against training runs by
 * {@link verifyBounds}. See `docs/rank.md` for the statements B1–B4 and their proofs.
 * @module rank
 */

export { EPS32, EPS64, precisionSchema, type Precision, type MatrixLike, type HostTensorLike } from './input';
export {
  singularValues,
  singularValuesOptions,
  matrixRank,
  matrixRankOptions,
  rankThreshold,
  effectiveRank,
  participationRatio,
  stableRank,
  rankForVariance,
  varianceFraction,
  type SingularValuesOptions,
  type MatrixRankOptions,
} from './matrix';
export {
  hosvd,
  hosvdOptions,
  multilinearRank,
  multilinearRankOptions,
  cpRankProfile,
  cpRankProfileOptions,
  trivialCpRankBound,
  type HosvdOptions,
  type HosvdResult,
  type MultilinearRankOptions,
  type CpRankProfileOptions,
  type CpRankProfile,
  type CpRankProfileEntry,
} from './tensor';
export {
  gradientDescentRankBounds,
  rankBoundSpec,
  BOUND_OPTIMIZERS,
  TRAINED_PARAMETERS,
  BOUND_STATEMENTS,
  type RankBoundSpec,
  type ResolvedRankBoundSpec,
  type BoundStatement,
  type BoundStatus,
  type RankBound,
  type RankBoundSeries,
  type GradientDescentRankBounds,
} from './bounds';
export { verifyBounds, verifyBoundsOptions, formatBoundsTable, type VerifyBoundsOptions, type VerifyBoundsResult, type VerifyBoundsRow, type VerifiedQuantity } from './verify';
