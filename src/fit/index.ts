/**
 * Layer `fit`: not implemented yet — this entry point exists so that the `ltr-rnn/fit` subpath is
 * stable; it exports nothing today. See CHANGELOG.md for what has landed.
 * @module fit
 */
import '../backend/gradients';

export {};
