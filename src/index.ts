/**
 * ltr-rnn — low-tensor-rank learning of neural dynamics (Pellegrino, Cayco-Gajic & Chadwick,
 * NeurIPS 2023). The package root re-exports every layer's public face; the subpaths
 * (`ltr-rnn/backend`, `ltr-rnn/cp`, …) offer the same pieces one layer at a time.
 * @module ltr-rnn
 */
export * from './backend/index';
export * from './validate/index';
export * from './linalg/index';
export * from './io/index';
export * from './cp/index';
export * from './rnn/index';
export * from './train/index';
export * from './rank/index';
export * from './fit/index';
export * from './tasks/index';
export * from './report/index';
export { VERSION } from './version';
