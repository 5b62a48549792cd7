/**
 * Layer `tasks`: not implemented yet — this entry point exists so that the `ltr-rnn/tasks` subpath is
 * stable; it exports nothing today. See CHANGELOG.md for what has landed.
 * @module tasks
 */
import '../backend/gradients';

export {};
