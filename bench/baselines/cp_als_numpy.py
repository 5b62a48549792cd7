#!/usr/bin/env python3
"""Plain NumPy CP-ALS baseline for bench/cp.bench.ts (our own code, float32 data like ours).

Each iteration: for every mode m, MTTKRP = unfold(x, m) @ khatri_rao(other factors) (NumPy's
BLAS matmul on a transposed copy of x), V = Hadamard product of the other Grams, solve, normalize
columns; then the fit from ||x||^2, <x, model> and the Grams (same algorithm as ltr-rnn's cpAls).

Usage: python3 cp_als_numpy.py I J K R [iters]  ->  prints one JSON line:
  {"shape": [...], "rank": R, "secondsPerIteration": median, "iterations": n,
   "mttkrpSeconds": median per iteration, "numpy": version, "threads": ...}
"""
import json
import os
import sys
import time

import numpy as np


def unfold(x, mode):
    # Same convention as ltr-rnn: mode first, remaining modes in increasing order, C order.
    return np.moveaxis(x, mode, 0).reshape(x.shape[mode], -1)


def khatri_rao(mats):
    r = mats[0].shape[1]
    out = mats[0]
    for m in mats[1:]:
        out = (out[:, None, :] * m[None, :, :]).reshape(-1, r)
    return out


def main():
    shape = [int(v) for v in sys.argv[1:4]]
    rank = int(sys.argv[4])
    iters = int(sys.argv[5]) if len(sys.argv) > 5 else 9
    rs = np.random.default_rng(0)
    planted = [rs.standard_normal((n, rank)).astype(np.float32) for n in shape]
    x = np.einsum('ir,jr,kr->ijk', *planted).astype(np.float32)
    x += 0.1 * x.std() * rs.standard_normal(x.shape).astype(np.float32)
    xx = float(np.sum(x.astype(np.float64) ** 2))
    factors = [rs.standard_normal((n, rank)).astype(np.float32) for n in shape]
    grams = [f.T @ f for f in factors]
    times, mtimes = [], []
    for _ in range(iters + 1):
        t0 = time.perf_counter()
        tm = 0.0
        for m in range(len(shape)):
            others = [factors[n] for n in range(len(shape)) if n != m]
            v = np.ones((rank, rank), dtype=np.float64)
            for n in range(len(shape)):
                if n != m:
                    v *= grams[n]
            t1 = time.perf_counter()
            mt = unfold(x, m) @ khatri_rao(others)
            tm += time.perf_counter() - t1
            f = np.linalg.solve(v, mt.astype(np.float64).T).T
            if m == len(shape) - 1:
                xm = float(np.sum(mt * f))
                mm = float(np.sum((f.T @ f) * v))
            lam = np.linalg.norm(f, axis=0)
            f = (f / np.where(lam > 0, lam, 1)).astype(np.float32)
            factors[m] = f
            grams[m] = f.T.astype(np.float64) @ f.astype(np.float64)
        _rel = np.sqrt(max(0.0, xx - 2 * xm + mm) / xx)
        times.append(time.perf_counter() - t0)
        mtimes.append(tm)
    times, mtimes = times[1:], mtimes[1:]  # first iteration is warm-up
    threads = os.environ.get('OMP_NUM_THREADS') or os.environ.get('OPENBLAS_NUM_THREADS') or 'default'
    print(json.dumps({'shape': shape, 'rank': rank, 'secondsPerIteration': float(np.median(times)),
                      'mttkrpSeconds': float(np.median(mtimes)), 'iterations': len(times),
                      'numpy': np.__version__, 'threads': threads, 'relError': float(_rel)}))


if __name__ == '__main__':
    main()
