/**
 * Validation at the boundary: the library's error type, option parsing with zod, and conversion
 * of user data to tensors.
 * @module validate
 */
export { LtrError, isLtrError, type LtrErrorCode } from './errors';
export { parseOptions, schemas } from './options';
export { toTensor, type TensorLike, type NestedArray, type ToTensorOptions } from './tensor';
