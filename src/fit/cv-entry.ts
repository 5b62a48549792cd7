/**
 * One finished fit of a cross-validation, as plain JSON data: what `crossValidateRank` passes to
 * `onEntry` and takes back through `completed` to resume a sweep without refitting.
 */
import { z } from 'zod';
import type { ParameterCounts } from './network';
import { ltrFitJSONSchema, type LtrFitJSON } from './ltr-fit';

/** The numbers of one (rank, latentDim, seed) fit of `crossValidateRank`. */
export interface CrossValidationFitOutcome {
  rank: number;
  /** The fit's latent size (resolved). */
  latentDim: number;
  seed: number;
  /** Normalized train / test loss at the end of the fit (NaN when it diverged). */
  trainLoss: number;
  testLoss: number;
  iterations: number;
  stoppedBy: string;
  parameters: ParameterCounts | null;
  durationMs: number;
  /** Set when the fit diverged (it is left out of the table's means). */
  error: string | null;
}

/**
 * One finished (rank, latentDim, seed) fit of `crossValidateRank`, as plain data (no tensors):
 * the numbers of its `CrossValidationEntry` and the fit's JSON, from which the fit is
 * rebuilt exactly. A diverged fit has `error` set, NaN losses and `json: null`.
 *
 * After `JSON.stringify` a NaN loss reads `null`; {@link crossValidationCheckpointEntrySchema}
 * turns it back into NaN.
 */
export interface CrossValidationCheckpointEntry extends CrossValidationFitOutcome {
  /** `LtrFit.toJSON()` of the fit; null when it diverged. */
  json: LtrFitJSON | null;
}

/** A {@link CrossValidationCheckpointEntry} as read back from JSON text: NaN losses read `null`. */
export type CrossValidationCheckpointEntryInput = Omit<CrossValidationCheckpointEntry, 'trainLoss' | 'testLoss'> & { trainLoss: number | null; testLoss: number | null };

/** A loss: a number, or NaN (written `null` by JSON.stringify). */
const loss = z.union([z.number(), z.nan(), z.null()]).transform((v) => (v === null ? Number.NaN : v));

/**
 * zod schema of {@link CrossValidationCheckpointEntry} (also after a JSON round trip: `null`
 * losses read as NaN). The fit's JSON is checked with `ltrFitJSONSchema`.
 */
export const crossValidationCheckpointEntrySchema = z
  .strictObject({
    rank: z.number().int().positive(),
    latentDim: z.number().int().positive(),
    seed: z.number().int(),
    trainLoss: loss,
    testLoss: loss,
    iterations: z.number().int().nonnegative(),
    stoppedBy: z.string(),
    parameters: z.strictObject({ total: z.number(), recurrent: z.number(), decoder: z.number(), inputs: z.number(), other: z.number() }).nullable(),
    durationMs: z.number().nonnegative(),
    error: z.string().nullable(),
    json: ltrFitJSONSchema.nullable(),
  })
  .superRefine((e, ctx) => {
    if (e.error === null && e.json === null) ctx.addIssue({ code: 'custom', path: ['json'], message: 'is null but the fit did not diverge (error is null): a finished fit needs its JSON to be rebuilt' });
  }) as unknown as z.ZodType<CrossValidationCheckpointEntry, CrossValidationCheckpointEntryInput>;
