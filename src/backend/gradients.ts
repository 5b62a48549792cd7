// tfjs-core's entry points register kernels' forward functions but not their gradients, so
// `tf.variableGrads` throws "gradient function not found". Every entry point of this library
// imports this file once. The build bundles this one tfjs-core subpath (its ESM files use
// extension-less imports that Node refuses); the registries it fills are tfjs globals, shared
// with the `@tensorflow/tfjs-core` the user imports.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
