/**
 * NumPy `.npy` / `.npz` input and output: parse and encode bytes anywhere ({@link parseNpy},
 * {@link encodeNpy}, {@link parseNpz}), read and write files in Node ({@link readNpy},
 * {@link writeNpy}, {@link readNpz}, {@link readArray}), and convert to and from tfjs tensors
 * ({@link npyToTensor}, {@link tensorToNpy}).
 * See `docs/io.md` for the supported dtypes, how they map to typed arrays and tensors, and errors.
 * @module io
 */
export {
  /** Parse `.npy` bytes (format 1.0/2.0/3.0) into a C-ordered {@link NpyArray}. */
  parseNpy,
  /** Options of {@link parseNpy}. */
  type ParseNpyOptions,
  /** Encode an array as `.npy` bytes, exactly as `numpy.save` would. */
  encodeNpy,
  /** How each {@link NpyDtype} is stored in a file and held in memory. */
  NPY_DTYPES,
  /** Element types read and written, named as NumPy names them. */
  type NpyDtype,
  /** The typed arrays an {@link NpyArray} may hold. */
  type NpyData,
  /** A dense C-ordered array as read from or written to a `.npy` file. */
  type NpyArray,
  /** What {@link encodeNpy}, {@link writeNpy} and {@link npyToTensor} accept. */
  type NpyInput,
  /** Storage facts of one dtype: NumPy kind, bytes per element, in-memory typed array. */
  type NpyDtypeInfo,
  /** Constructor names of the typed arrays in {@link NpyData}. */
  type NpyTypedArrayName,
} from './npy';
export {
  /** Parse `.npz` archive bytes (`numpy.savez` / `savez_compressed`) into arrays keyed by name. */
  parseNpz,
  /** The array keys of `.npz` archive bytes, without reading the arrays. */
  npzKeys,
  /** Options of {@link parseNpz}: an optional raw-DEFLATE inflater for compressed archives. */
  parseNpzOptions,
  /** Options of {@link parseNpz}. */
  type ParseNpzOptions,
  /** A raw-DEFLATE decompressor, `(compressed, uncompressedSize) => bytes`. */
  type InflateRaw,
} from './npz';
export {
  /** Read a `.npy` file (Node only). */
  readNpy,
  /** Write a `.npy` file (Node only). */
  writeNpy,
  /** Read every array of a `.npz` archive (Node only). */
  readNpz,
  /** Read one array from a `.npy` file or a `.npz` archive (Node only). */
  readArray,
  /** Options of {@link readArray}: `key`, the array to take from a `.npz` archive. */
  readArrayOptions,
  /** Options of {@link readArray}. */
  type ReadArrayOptions,
  /** Make a tfjs tensor (float32, int32 or bool) from an {@link NpyArray}. */
  npyToTensor,
  /** Copy a float32, int32 or bool tensor's values into an {@link NpyArray}. */
  tensorToNpy,
} from './files';
