// tfjs-core's entry points register kernels' forward functions but not their gradients, so
// `tf.variableGrads` throws "gradient function not found". Every entry point of this library
// imports this file once. The build bundles this one tfjs-core subpath (its ESM files use
// extension-less imports that Node refuses); the registries it fills are tfjs globals, shared
// with the `@tensorflow/tfjs-core` the user imports.
//
// Order matters: the bundled subpath carries its own copy of tfjs-core's engine and Tensor class.
// The real package must load first so that the one global engine is the real one (the copy then
// finds and reuses it); otherwise tensors would be built from the copy's Tensor class, which has
// no op handler ("Cannot read properties of null (reading 'cast')").
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
