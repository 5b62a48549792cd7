import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { LtrError, isLtrError, parseOptions, schemas, toTensor } from '../../src/validate';
import { expectNoLeak } from '../helpers/backends';

const catchErr = async (p: Promise<unknown> | (() => unknown)): Promise<LtrError> => {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(isLtrError(e)).toBe(true);
    return e as LtrError;
  }
  throw new Error('expected an LtrError');
};

describe('LtrError', () => {
  it('carries code, path, cause and a name', () => {
    const cause = new Error('inner');
    const e = new LtrError('invalid-data', 'bad', { path: 'data', cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'LtrError', code: 'invalid-data', path: 'data', message: 'bad', cause });
    expect(isLtrError(new Error('x'))).toBe(false);
  });
});

describe('parseOptions', () => {
  const schema = z.object({ rank: schemas.positiveInt, tol: schemas.positive.default(1e-6), nested: z.object({ k: z.number().int() }).optional() }).strict();

  it('fills defaults and returns typed options', () => {
    expect(parseOptions(schema, { rank: 3 })).toEqual({ rank: 3, tol: 1e-6 });
  });

  it('names the field, says what is wrong and what was received', async () => {
    let e = await catchErr(() => parseOptions(schema, { rank: 2.5 }));
    expect(e).toMatchObject({ code: 'invalid-option', path: 'options.rank' });
    expect(e.message).toMatch(/^options\.rank: must be an integer \(received 2\.5\)/);
    e = await catchErr(() => parseOptions(schema, { rank: 0 }, 'cpAls options'));
    expect(e.path).toBe('cpAls options.rank');
    expect(e.message).toContain('must be ≥ 1');
    e = await catchErr(() => parseOptions(schema, { rank: 1, nested: { k: 'a' } }));
    expect(e.path).toBe('options.nested.k');
    e = await catchErr(() => parseOptions(schema, { rank: 1, rnak: 2 }));
    expect(e.message).toContain('rnak');
    e = await catchErr(() => parseOptions(schema, undefined));
    expect(e.path).toBe('options.rank');
  });

  it('checks signals and callbacks structurally', () => {
    expect(schemas.signal.safeParse(new AbortController().signal).success).toBe(true);
    expect(schemas.signal.safeParse({}).success).toBe(false);
    expect(schemas.callback().safeParse(() => 1).success).toBe(true);
    expect(schemas.callback().safeParse(1).success).toBe(false);
  });
});

describe('toTensor', () => {
  it('accepts nested arrays, { data, shape }, numbers and tensors (cloned: the caller owns the result)', async () => {
    await expectNoLeak(async () => {
      const a = await toTensor([[1, 2, 3], [4, 5, 6]], { name: 'data', rank: 2 });
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(await a.data())).toEqual([1, 2, 3, 4, 5, 6]);
      const b = await toTensor({ data: new Float64Array([1, 2, 3, 4]), shape: [2, 2] }, { name: 'data', shape: [2, -1] });
      expect(b.dtype).toBe('float32');
      const src = tf.tensor2d([[1, 2]]);
      const c = await toTensor(src, { name: 'x' });
      src.dispose(); // the clone survives
      expect(Array.from(await c.data())).toEqual([1, 2]);
      const d = await toTensor(3, { name: 'x', rank: 0 });
      expect(d.shape).toEqual([]);
      const e = await toTensor([[1, 0]], { name: 'mask', dtype: 'bool' });
      expect(e.dtype).toBe('bool');
      tf.dispose([a, b, c, d, e]);
    });
  });

  it('refuses ragged arrays, naming where', async () => {
    const e = await catchErr(toTensor([[1, 2], [3]], { name: 'data' }));
    expect(e).toMatchObject({ code: 'invalid-data', path: 'data[1]' });
    expect(e.message).toContain('ragged');
    const e2 = await catchErr(toTensor([[1, 2], [3, [4]]] as never, { name: 'data' }));
    expect(e2.path).toBe('data[1][1]');
  });

  it('refuses NaN and Infinity with the index, in arrays and in tensors, without leaking', async () => {
    const e = await catchErr(toTensor([[1, 2], [3, Number.NaN]], { name: 'data' }));
    expect(e).toMatchObject({ code: 'invalid-data', path: 'data[1][1]' });
    const t = tf.tensor1d([1, Infinity]);
    await expectNoLeak(async () => {
      const e2 = await catchErr(toTensor(t, { name: 'x' }));
      expect(e2.message).toContain('NaN or Infinity');
    });
    t.dispose();
    const ok = await toTensor([1, Number.NaN], { name: 'x', allowNonFinite: true });
    ok.dispose();
  });

  it('refuses wrong rank, wrong shape, size mismatch and empty dimensions', async () => {
    expect(await catchErr(toTensor([1, 2], { name: 'x', rank: [2, 3] }))).toMatchObject({ code: 'shape-mismatch', path: 'x' });
    const e = await catchErr(toTensor([[1, 2]], { name: 'x', shape: [2, null] }));
    expect(e.message).toContain('[2, *]');
    expect(await catchErr(toTensor({ data: [1, 2, 3], shape: [2, 2] }, { name: 'x' }))).toMatchObject({ code: 'shape-mismatch', path: 'x.data' });
    expect(await catchErr(toTensor({ data: [], shape: [0, 3] }, { name: 'x' }))).toMatchObject({ code: 'invalid-data' });
    expect(await catchErr(toTensor([], { name: 'x' }))).toMatchObject({ code: 'invalid-data' });
    expect(await catchErr(toTensor('abc' as never, { name: 'x' }))).toMatchObject({ code: 'invalid-data', path: 'x' });
    const t = tf.zeros([2, 0]);
    await expectNoLeak(async () => expect(await catchErr(toTensor(t, { name: 't' }))).toMatchObject({ code: 'invalid-data' }));
    t.dispose();
  });
});
