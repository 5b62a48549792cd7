/**
 * `weightTensor`: the recurrent weights over trials in the form their structure says.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CPTensor } from '../cp/cp-tensor';
import { LtrError } from '../validate/errors';
import { RnnCell, parseCellJSON, type CellFromJSONOptions } from './cell';
import { FullRankCell, LowRankCell, LowTensorRankCell, type FullRankCellOptions, type LowRankCellOptions, type LowTensorRankCellOptions } from './cells';

/**
 * The recurrent weights of a cell:
 * - {@link LowTensorRankCell}: the K × N × N tensor 𝒲 (trial × post × pre) as a rank-R
 *   {@link CPTensor} with λ = 1 and factors [C, Â, B̂], so that 𝒲_kij = Σ_r c_kr â_ir b̂_jr
 *   (W⁽ᵏ⁾ acting as y = W⁽ᵏ⁾ x). Never densified; call `.full()` only if you want it.
 * - {@link FullRankCell} / {@link LowRankCell}: the N×N matrix W (dense; the same for every trial).
 *
 * The caller owns the result (a snapshot: later training does not change it).
 */
export function weightTensor(cell: LowTensorRankCell): CPTensor;
export function weightTensor(cell: FullRankCell | LowRankCell): tf.Tensor2D;
export function weightTensor(cell: RnnCell): CPTensor | tf.Tensor2D;
export function weightTensor(cell: RnnCell): CPTensor | tf.Tensor2D {
  if (!(cell instanceof RnnCell)) throw new LtrError('invalid-option', 'weightTensor: cell must be a FullRankCell, LowRankCell or LowTensorRankCell.', { path: 'cell' });
  if (cell.isDisposed) throw new LtrError('invalid-data', 'weightTensor: the cell has been disposed.', { path: 'cell' });
  if (cell instanceof LowTensorRankCell) {
    const f = cell.factors();
    return new CPTensor(tf.ones([cell.rank]) as tf.Tensor1D, [f.trialFactors, f.columnFactors, f.rowFactors]);
  }
  return cell.weightsFor();
}

/**
 * Rebuilds any cell from its JSON ({@link RnnCell.toJSON}), dispatching on `json.kind`.
 * @throws LtrError `invalid-data` naming the bad field.
 */
export function cellFromJSON(json: unknown, options?: CellFromJSONOptions): FullRankCell | LowRankCell | LowTensorRankCell {
  const p = parseCellJSON(json, null, options, 'cellFromJSON');
  switch (p.kind) {
    case 'full-rank':
      return new FullRankCell(p.options as FullRankCellOptions, p.saved);
    case 'low-rank':
      return new LowRankCell(p.options as LowRankCellOptions, p.saved);
    case 'low-tensor-rank':
      return new LowTensorRankCell(p.options as LowTensorRankCellOptions, p.saved);
  }
}
