import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { rng, useBackend } from '../../src/backend';
import { LtrError } from '../../src/validate/errors';
import { centerOutReach, type ReachTrialSpec } from '../../src/tasks';
import { expectNoLeak, TEST_BACKENDS } from '../helpers/backends';

// ---- independent float64 references (written from the ODE, not from src/tasks/plant.ts)

interface Plant {
  mass: number;
  viscosity: number;
  dt: number;
}

/**
 * The hand of one trial: m dv/dt = u − b v + k J v (J = [[0, 1], [−1, 0]]) with u held over each
 * step, integrated by RK4 with `sub` substeps per step (the exact velocity step to ~1e-12), and
 * p_t = p_{t−1} + dt v_t. `u` is T × 2 (rows [u_x, u_y]).
 */
function referenceHand(c: Plant, k: number, u: number[][], sub = 40): { p: number[][]; v: number[][] } {
  const h = c.dt / sub;
  const f = (vx: number, vy: number, ux: number, uy: number): [number, number] => [(ux - c.viscosity * vx + k * vy) / c.mass, (uy - c.viscosity * vy - k * vx) / c.mass];
  let vx = 0;
  let vy = 0;
  let px = 0;
  let py = 0;
  const p: number[][] = [];
  const v: number[][] = [];
  for (const [ux, uy] of u) {
    for (let s = 0; s < sub; s++) {
      const k1 = f(vx, vy, ux, uy);
      const k2 = f(vx + (h / 2) * k1[0], vy + (h / 2) * k1[1], ux, uy);
      const k3 = f(vx + (h / 2) * k2[0], vy + (h / 2) * k2[1], ux, uy);
      const k4 = f(vx + h * k3[0], vy + h * k3[1], ux, uy);
      vx += (h / 6) * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]);
      vy += (h / 6) * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]);
    }
    px += c.dt * vx;
    py += c.dt * vy;
    p.push([px, py]);
    v.push([vx, vy]);
  }
  return { p, v };
}

/** Desired path of one trial from the task's definition: minimum jerk from (go + reaction) over `reach` steps. */
function referencePath(T: number, angle: number, radius: number, go: number, reaction: number, reach: number): number[][] {
  return Array.from({ length: T }, (_, t) => {
    const tau = Math.min(1, Math.max(0, (t + 1 - go - reaction) / reach));
    const s = radius * (10 * tau ** 3 - 15 * tau ** 4 + 6 * tau ** 5);
    return [s * Math.cos(angle), s * Math.sin(angle)];
  });
}

/** T × B × 2 host array → per-trial T × 2 lists. */
function perTrial(data: ArrayLike<number>, T: number, B: number): number[][][] {
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (_, t) => [data[2 * (t * B + b)], data[2 * (t * B + b) + 1]]));
}

/** Per-trial T × 2 lists → a T × B × 2 tensor. */
function toOutputs(u: number[][][]): tf.Tensor3D {
  const B = u.length;
  const T = u[0].length;
  const a = new Float32Array(T * B * 2);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let c = 0; c < 2; c++) a[2 * (t * B + b) + c] = u[b][t][c];
  return tf.tensor3d(a, [T, B, 2]);
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

const randomForces = (T: number, B: number, seed: number, std = 0.5) => {
  const r = rng(seed);
  return Array.from({ length: B }, () => Array.from({ length: T }, () => [std * r.normal(), std * r.normal()]));
};

/** Values from each backend, compared at the end. */
const byBackend: Record<string, { position: Float32Array; loss: number; evaluation: number[] }> = {};

describe.each(TEST_BACKENDS)('centerOutReach on %s', (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  it('inputs, mask and the desired path: ends on the target, bell-shaped speed (one peak, zero at both ends)', async () => {
    const task = centerOutReach();
    const o = task.options;
    const trials: ReachTrialSpec[] = Array.from({ length: 8 }, (_, j) => ({ target: j, goStep: 10 + j }));
    const b = await expectNoLeak(() => task.batch(trials), 4);
    const [inputs, desired, vel, mask] = await Promise.all([b.inputs.data(), b.desired.data(), b.desiredVelocity.data(), b.mask.data()]);
    const T = task.steps;
    const B = 8;
    expect(b.inputs.shape).toEqual([T, B, 3]);
    expect(b.desired.shape).toEqual([T, B, 2]);
    expect(b.mask.shape).toEqual([T, B, 1]);
    expect(b.goSteps).toEqual(trials.map((s) => s.goStep));
    expect(b.curl).toEqual(new Array(8).fill(0));
    for (let j = 0; j < B; j++) {
      const angle = (2 * Math.PI * j) / 8;
      const go = 10 + j;
      const ref = referencePath(T, angle, o.radius, go, o.reactionSteps, o.reachSteps);
      const speed: number[] = [];
      for (let t = 0; t < T; t++) {
        const i = t * B + j;
        expect(inputs[3 * i]).toBeCloseTo(Math.cos(angle), 6);
        expect(inputs[3 * i + 1]).toBeCloseTo(Math.sin(angle), 6);
        expect(inputs[3 * i + 2]).toBe(t >= go ? 1 : 0);
        expect(mask[i]).toBe(1);
        expect(Math.abs(desired[2 * i] - ref[t][0])).toBeLessThan(1e-6);
        expect(Math.abs(desired[2 * i + 1] - ref[t][1])).toBeLessThan(1e-6);
        const prev = t > 0 ? ref[t - 1] : [0, 0];
        expect(Math.abs(vel[2 * i] - (ref[t][0] - prev[0]) / o.dt)).toBeLessThan(1e-4);
        speed.push(Math.hypot(vel[2 * i], vel[2 * i + 1]));
      }
      // endpoint = the target
      expect(Math.hypot(desired[2 * ((T - 1) * B + j)] - Math.cos(angle), desired[2 * ((T - 1) * B + j) + 1] - Math.sin(angle))).toBeLessThan(1e-6);
      // at the origin until onset, still after the reach ends
      const onset = go + o.reactionSteps;
      for (let t = 0; t < onset; t++) expect(speed[t]).toBe(0);
      for (let t = onset + o.reachSteps; t < T; t++) expect(speed[t]).toBeLessThan(1e-5);
      // one peak, in the middle of the reach, strictly rising then strictly falling
      const moving = speed.slice(onset, onset + o.reachSteps);
      const peak = moving.indexOf(Math.max(...moving));
      expect(Math.abs(peak - (o.reachSteps - 1) / 2)).toBeLessThanOrEqual(1);
      for (let t = 1; t <= peak; t++) expect(moving[t]).toBeGreaterThan(moving[t - 1]);
      for (let t = peak + 1; t < moving.length; t++) expect(moving[t]).toBeLessThan(moving[t - 1]);
      expect(moving[0]).toBeLessThan(0.01 * moving[peak]);
      expect(moving[moving.length - 1]).toBeLessThan(0.01 * moving[peak]);
      // minimum jerk peaks at 1.875 · radius / duration
      expect(moving[peak]).toBeGreaterThan(0.98 * 1.875 / (o.reachSteps * o.dt));
      expect(moving[peak]).toBeLessThan(1.02 * 1.875 / (o.reachSteps * o.dt));
    }
    b.dispose();

    const late = centerOutReach({ scorePreparation: false });
    const b2 = late.batch([{ target: 3, goStep: 12 }]);
    const m2 = await b2.mask.data();
    for (let t = 0; t < T; t++) expect(m2[t]).toBe(t >= 12 ? 1 : 0);
    b2.dispose();
  });

  it('hand equals an independent float64 integration (RK4 velocity, rectangle-rule position) for mixed curl gains in one batch', async () => {
    const task = centerOutReach();
    const c = { mass: task.options.mass, viscosity: task.options.viscosity, dt: task.dt };
    const T = task.steps;
    // one k, two distinct k (per-k matMuls), five distinct k (one batched matMul)
    for (const ks of [[0.06, 0.06, 0.06], [0, 0.06, 0, 0.06], [0, 0.06, -0.1, 0.3, 0.06, -0.02]]) {
      const B = ks.length;
      const u = randomForces(T, B, 7 + B);
      const out = toOutputs(u);
      const res = await expectNoLeak(() => task.hand(out, ks), 2);
      const posData = await read(res.position);
      const [p, v] = [perTrial(posData, T, B), perTrial(await read(res.velocity), T, B)];
      if (B === 6) byBackend[backend] = { ...(byBackend[backend] ?? { loss: 0, evaluation: [] }), position: posData };
      out.dispose();
      let maxErr = 0;
      let scale = 0;
      for (let b = 0; b < B; b++) {
        const ref = referenceHand(c, ks[b], u[b]);
        for (let t = 0; t < T; t++) {
          for (let d = 0; d < 2; d++) {
            maxErr = Math.max(maxErr, Math.abs(p[b][t][d] - ref.p[t][d]), Math.abs(v[b][t][d] - ref.v[t][d]) * c.dt);
            scale = Math.max(scale, Math.abs(ref.p[t][d]));
          }
        }
      }
      expect(scale).toBeGreaterThan(0.3); // the forces moved the hand
      expect(maxErr).toBeLessThan(1e-4);
    }
  });

  it('the curl field: no force from rest does nothing; a straight push deviates clockwise for k > 0, anticlockwise for k < 0', async () => {
    const task = centerOutReach();
    const T = task.steps;
    const zero = tf.zeros([T, 3, 2]) as tf.Tensor3D;
    const h = task.hand(zero, [0, 0.06, -0.5]);
    expect(Array.from(await read(h.position)).every((x) => x === 0)).toBe(true);
    expect(Array.from(await read(h.velocity)).every((x) => x === 0)).toBe(true);
    zero.dispose();
    // push toward target 1 (45°) for 20 steps, then nothing
    const a = Math.PI / 4;
    const push = Array.from({ length: T }, (_, t) => (t >= 10 && t < 30 ? [0.5 * Math.cos(a), 0.5 * Math.sin(a)] : [0, 0]));
    const out = toOutputs([push, push, push]);
    const b = task.batch([{ target: 1, curl: 0, goStep: 10 }, { target: 1, curl: 0.06, goStep: 10 }, { target: 1, curl: -0.06, goStep: 10 }]);
    const ev = await expectNoLeak(() => task.evaluate(out, b));
    expect(Math.abs(ev.lateralDeviation[0])).toBeLessThan(1e-5);
    expect(ev.lateralDeviation[1]).toBeLessThan(-0.1);
    expect(ev.lateralDeviation[2]).toBeGreaterThan(0.1);
    expect(ev.lateralDeviation[1]).toBeCloseTo(-ev.lateralDeviation[2], 5); // mirror images
    // the same on the hand itself: cross(ê, p) at the last step
    const p = perTrial(await read(task.hand(out, b.curl).position), T, 3);
    const cross = (q: number[]) => Math.cos(a) * q[1] - Math.sin(a) * q[0];
    expect(cross(p[1][T - 1])).toBeLessThan(-0.1);
    expect(cross(p[2][T - 1])).toBeGreaterThan(0.1);
    out.dispose();
    b.dispose();
  });

  it('loss: equals the float64 host value, and its gradient matches finite differences', async () => {
    const task = centerOutReach({ velocityWeight: 0.02, scorePreparation: false });
    const c = { mass: task.options.mass, viscosity: task.options.viscosity, dt: task.dt };
    const T = task.steps;
    const specs: ReachTrialSpec[] = [{ target: 0, curl: 0, goStep: 10 }, { target: 3, curl: 0.06, goStep: 20 }, { target: 6, curl: -0.04, goStep: 15 }];
    const b = task.batch(specs);
    const u = randomForces(T, 3, 3, 0.3);
    // host loss: Σ_mask (|p − p*|² + w|v − v*|²) / Σ mask
    const hostLoss = (forces: number[][][]) => {
      let s = 0;
      let n = 0;
      forces.forEach((ub, k) => {
        const ref = referenceHand(c, specs[k].curl ?? 0, ub, 10);
        const path = referencePath(T, (2 * Math.PI * specs[k].target) / 8, 1, specs[k].goStep ?? 0, task.options.reactionSteps, task.options.reachSteps);
        for (let t = specs[k].goStep ?? 0; t < T; t++) {
          const prev = t > 0 ? path[t - 1] : [0, 0];
          for (let d = 0; d < 2; d++) s += (ref.p[t][d] - path[t][d]) ** 2 + 0.02 * (ref.v[t][d] - (path[t][d] - prev[d]) / c.dt) ** 2;
          n++;
        }
      });
      return s / n;
    };
    const out = toOutputs(u);
    const l = await expectNoLeak(() => task.loss(out, b), 1);
    const lossValue = (await read(l))[0];
    expect(Math.abs(lossValue - hostLoss(u))).toBeLessThan(1e-5 * Math.max(1, hostLoss(u)));
    byBackend[backend] = { ...byBackend[backend], loss: lossValue };

    const g = tf.grad((x: tf.Tensor) => task.loss(x as tf.Tensor3D, b))(out);
    const grad = perTrial(await read(g), T, 3);
    // the loss is quadratic in the outputs, so central differences are exact up to rounding
    const r = rng(11);
    let maxG = 0;
    for (const gb of grad) for (const gt of gb) maxG = Math.max(maxG, Math.abs(gt[0]), Math.abs(gt[1]));
    for (let i = 0; i < 12; i++) {
      const bb = r.int(3);
      const t = r.int(T);
      const d = r.int(2);
      const eps = 0.05;
      const plus = u.map((x) => x.map((y) => [...y]));
      const minus = u.map((x) => x.map((y) => [...y]));
      plus[bb][t][d] += eps;
      minus[bb][t][d] -= eps;
      const fd = (hostLoss(plus) - hostLoss(minus)) / (2 * eps);
      expect(Math.abs(grad[bb][t][d] - fd)).toBeLessThan(1e-4 * maxG + 1e-6);
    }
    expect(maxG).toBeGreaterThan(1e-3);
    out.dispose();
    b.dispose();
  });

  it('the exact baseline controller reaches with ≈ 0 error at k = 0, and veers ≈ 27 % of the radius clockwise in the field', async () => {
    const task = centerOutReach();
    const specs = task.everyTarget();
    const base = task.batch(specs);
    const curled = task.batch(task.everyTarget({ curl: task.options.curl }));
    const u = await expectNoLeak(() => task.desiredForces(base), 1);
    // the force of order 1 the documentation promises: peak |u| ≈ 0.95
    const uh = await u.data();
    let peak = 0;
    for (let i = 0; i < uh.length; i += 2) peak = Math.max(peak, Math.hypot(uh[i], uh[i + 1]));
    expect(peak).toBeGreaterThan(0.9);
    expect(peak).toBeLessThan(1);

    const e0 = await task.evaluate(u, base);
    const l0 = await read(task.loss(u, base));
    expect(l0[0]).toBeLessThan(1e-8);
    for (let j = 0; j < 8; j++) {
      expect(e0.reachError[j]).toBeLessThan(1e-4);
      expect(e0.endpointError[j]).toBeLessThan(1e-4);
      expect(Math.abs(e0.lateralDeviation[j])).toBeLessThan(1e-4);
    }
    const e1 = await task.evaluate(u, curled);
    for (let j = 0; j < 8; j++) {
      expect(e1.lateralDeviation[j]).toBeGreaterThan(-0.3);
      expect(e1.lateralDeviation[j]).toBeLessThan(-0.25);
      expect(e1.reachError[j]).toBeGreaterThan(0.1);
      expect(e1.endpointError[j]).toBeGreaterThan(0.25);
    }
    // the compensating controller (inverse dynamics with the field) reaches exactly again
    const uc = task.desiredForces(curled);
    const e2 = await task.evaluate(uc, curled);
    for (let j = 0; j < 8; j++) expect(e2.reachError[j]).toBeLessThan(1e-4);
    // … and overcompensates once the field is off: the after-effect has the opposite sign
    const e3 = await task.evaluate(uc, base);
    for (let j = 0; j < 8; j++) expect(e3.lateralDeviation[j]).toBeGreaterThan(0.2);
    byBackend[backend] = { ...byBackend[backend], evaluation: [...e1.reachError, ...e1.lateralDeviation, ...e1.endpointError] };
    tf.dispose([u, uc]);
    base.dispose();
    curled.dispose();
  });

  it('no tensor is left by any public call, whether it returns or throws', async () => {
    const task = centerOutReach({ targets: 4, steps: 40, goRange: [5, 8], reachSteps: 20 });
    const r = rng(2);
    const trials = await expectNoLeak(() => task.randomTrials(5, r, { curl: 0.1 }));
    const b = await expectNoLeak(() => task.batch(trials, r), 4);
    const out = tf.randomNormal([40, 5, 2]) as tf.Tensor3D;
    const h = await expectNoLeak(() => task.hand(out, b.curl), 2);
    tf.dispose([h.position, h.velocity]);
    const l = await expectNoLeak(() => task.loss(out, b), 1);
    l.dispose();
    await expectNoLeak(() => task.evaluate(out, b));
    const f = await expectNoLeak(() => task.desiredForces(b, 0), 1);
    f.dispose();
    const bad = tf.zeros([40, 4, 2]) as tf.Tensor3D;
    await expect(expectNoLeak(() => task.evaluate(bad, b))).rejects.toThrow(LtrError);
    await expect(expectNoLeak(() => task.loss(bad, b))).rejects.toThrow(LtrError);
    await expect(expectNoLeak(() => task.batch([{ target: 9 }]))).rejects.toThrow(LtrError);
    bad.dispose();
    out.dispose();
    b.dispose();
  });
});

describe('centerOutReach on cpu and wasm', () => {
  it('gives the same hand, loss and evaluation on both backends', () => {
    const [a, b] = TEST_BACKENDS.map((n) => byBackend[n]);
    expect(a.position.length).toBe(b.position.length);
    let d = 0;
    for (let i = 0; i < a.position.length; i++) d = Math.max(d, Math.abs(a.position[i] - b.position[i]));
    expect(d).toBeLessThan(1e-5);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * Math.max(1, a.loss));
    a.evaluation.forEach((x, i) => expect(Math.abs(x - b.evaluation[i])).toBeLessThan(1e-5));
  });
});

describe('centerOutReach validation', () => {
  const fail = (fn: () => unknown, code: string, path: string) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(LtrError);
      expect((e as LtrError).code).toBe(code);
      expect((e as LtrError).path).toBe(path);
      return (e as LtrError).message;
    }
    throw new Error('did not throw');
  };

  it('resolves the documented defaults', () => {
    const t = centerOutReach();
    expect(t.options).toEqual({
      targets: 8,
      radius: 1,
      steps: 60,
      dt: 0.02,
      goRange: [10, 20],
      reactionSteps: 5,
      reachSteps: 25,
      mass: 0.02,
      viscosity: 0.2,
      curl: 0.06,
      velocityWeight: 0.01,
      scorePreparation: true,
    });
    expect([t.steps, t.dt, t.inputSize, t.outputSize, t.targets, t.lastGoStep]).toEqual([60, 0.02, 3, 2, 8, 30]);
    expect(t.targetPosition(2)[0]).toBeCloseTo(0, 12);
    expect(t.targetPosition(2)[1]).toBeCloseTo(1, 12);
  });

  it('refuses bad options, naming the field', () => {
    fail(() => centerOutReach({ targets: 1 }), 'invalid-option', 'options.targets');
    fail(() => centerOutReach({ targets: 2.5 }), 'invalid-option', 'options.targets');
    fail(() => centerOutReach({ dt: -0.02 }), 'invalid-option', 'options.dt');
    fail(() => centerOutReach({ radius: Number.NaN }), 'invalid-option', 'options.radius');
    fail(() => centerOutReach({ mass: 0 }), 'invalid-option', 'options.mass');
    fail(() => centerOutReach({ viscosity: -1 }), 'invalid-option', 'options.viscosity');
    fail(() => centerOutReach({ curl: Number.POSITIVE_INFINITY }), 'invalid-option', 'options.curl');
    fail(() => centerOutReach({ steps: 0 }), 'invalid-option', 'options.steps');
    fail(() => centerOutReach({ goRange: [20, 10] }), 'invalid-option', 'options.goRange.1');
    const msg = fail(() => centerOutReach({ goRange: [10, 40] }), 'invalid-option', 'options.goRange.1');
    expect(msg).toMatch(/at most 30/);
    fail(() => centerOutReach({ steps: 30 }), 'invalid-option', 'options.goRange.1');
    fail(() => centerOutReach({ goRange: [-1, 10] }), 'invalid-option', 'options.goRange.0');
    fail(() => centerOutReach({ reachSteps: 0 }), 'invalid-option', 'options.reachSteps');
    fail(() => centerOutReach({ velocityWeight: -0.1 }), 'invalid-option', 'options.velocityWeight');
    fail(() => centerOutReach({ delay: 3 } as never), 'invalid-option', 'options');
  });

  it('refuses bad trial specs: target out of range, a go cue too late for the reach, NaN curl', () => {
    const t = centerOutReach();
    fail(() => t.batch([]), 'invalid-option', 'trials');
    fail(() => t.batch([{ target: 0 }, { target: 8 }]), 'invalid-option', 'trials[1].target');
    fail(() => t.batch([{ target: -1 }]), 'invalid-option', 'trials[0].target');
    fail(() => t.batch([{ target: 0.5 }]), 'invalid-option', 'trials[0].target');
    const late = fail(() => t.batch([{ target: 0, goStep: 31 }]), 'invalid-option', 'trials[0].goStep');
    expect(late).toMatch(/0\.\.30/);
    fail(() => t.batch([{ target: 0, goStep: 2.5 }]), 'invalid-option', 'trials[0].goStep');
    fail(() => t.batch([{ target: 0, curl: Number.NaN }]), 'invalid-option', 'trials[0].curl');
    fail(() => t.batch([{ target: 0, gain: 1 } as never]), 'invalid-option', 'trials[0].gain');
    fail(() => t.batch([{ target: 0 }], {} as never), 'invalid-option', 'rng');
    fail(() => t.randomTrials(0, rng(0)), 'invalid-option', 'count');
    fail(() => t.randomTrials(3, rng(0), { curl: Number.NaN }), 'invalid-option', 'spec.curl');
    fail(() => t.randomTrials(3, rng(0), { goStep: 45 }), 'invalid-option', 'spec.goStep');
    fail(() => t.everyTarget({ goStep: -1 }), 'invalid-option', 'spec.goStep');
  });

  it('refuses outputs that are not T × B × 2 matching the batch, and curl gains that do not fit', () => {
    const t = centerOutReach();
    const b = t.batch([{ target: 0 }, { target: 1 }]);
    const good = tf.zeros([60, 2, 2]) as tf.Tensor3D;
    for (const shape of [[60, 2, 3], [59, 2, 2], [60, 2]]) {
      const x = tf.zeros(shape) as tf.Tensor as tf.Tensor3D;
      fail(() => t.hand(x, 0), 'shape-mismatch', 'outputs');
      fail(() => t.loss(x, b), 'shape-mismatch', 'outputs');
      x.dispose();
    }
    const three = tf.zeros([60, 3, 2]) as tf.Tensor3D;
    fail(() => t.loss(three, b), 'shape-mismatch', 'outputs');
    three.dispose();
    fail(() => t.hand(good, [0, 0, 0]), 'shape-mismatch', 'curl');
    fail(() => t.hand(good, [0, Number.NaN]), 'invalid-option', 'curl[1]');
    fail(() => t.hand([[1]] as never, 0), 'invalid-option', 'outputs');
    b.dispose();
    fail(() => t.loss(good, b), 'invalid-data', 'batch.desired');
    good.dispose();
  });

  it('draws reproducible trials: random targets and go steps in range; the middle of the range without rng', () => {
    const t = centerOutReach();
    const a = t.randomTrials(400, rng(3));
    expect(t.randomTrials(400, rng(3))).toEqual(a);
    const counts = new Array(8).fill(0);
    for (const s of a) {
      counts[s.target]++;
      expect(s.goStep).toBeGreaterThanOrEqual(10);
      expect(s.goStep).toBeLessThanOrEqual(20);
      expect(s.curl).toBe(0);
    }
    expect(Math.min(...counts)).toBeGreaterThan(30);
    expect(new Set(a.map((s) => s.goStep)).size).toBe(11);
    expect(t.randomTrials(5, rng(1), { curl: 0.06, goStep: 12 }).every((s) => s.curl === 0.06 && s.goStep === 12)).toBe(true);
    const b = t.batch([{ target: 2 }]);
    expect(b.goSteps).toEqual([15]);
    b.dispose();
    const drawn = t.batch([{ target: 2 }, { target: 2, goStep: 11 }], rng(4));
    expect(drawn.goSteps[1]).toBe(11);
    expect(drawn.goSteps[0]).toBeGreaterThanOrEqual(10);
    drawn.dispose();
    expect(t.everyTarget({ curl: 0.1 }).map((s) => [s.target, s.curl, s.goStep])).toEqual(Array.from({ length: 8 }, (_, j) => [j, 0.1, 15]));
  });
});
