/**
 * `ltr-rnn/linalg`: small dense float64 linear algebra on the host — the R×R, K×K and N×N
 * problems (N up to ~1000) that tfjs does not offer in double precision: Cholesky and SPD
 * solves, triangular solves, QR, symmetric eigendecomposition, SVD, least squares and the
 * pseudo-inverse. Matrices are plain row-major `{ rows, cols, data: Float64Array }` objects.
 * See `docs/linalg.md` for conventions, errors, fallbacks and measured speed.
 */
export {
  type Matrix,
  matrix,
  fromRows,
  toRows,
  identity,
  zeros,
  transpose,
  matmul,
  matvec,
  hadamard,
  gram,
  frobeniusNorm,
  maxAbsDiff,
  column,
  diag,
} from './matrix';
export {
  type Rhs,
  type CholeskyOptions,
  type SolveTriangularOptions,
  type SolveSpdOptions,
  type SpdSolution,
  choleskyOptions,
  solveTriangularOptions,
  solveSpdOptions,
  cholesky,
  solveTriangular,
  solveSpd,
  solveSpdDetailed,
} from './cholesky';
export { type QrOptions, type QrResult, qrOptions, qr } from './qr';
export { type EighOptions, type EighResult, eighOptions, eigh } from './eigh';
export { type SvdOptions, type SvdResult, svdOptions, svd, singularValuesOnly, conditionNumber } from './svd';
export { type LstsqOptions, type LstsqResult, type PinvOptions, lstsqOptions, pinvOptions, lstsq, pinv } from './lstsq';
