/**
 * NumPy `.npy` input and output: parse and encode bytes anywhere ({@link parseNpy},
 * {@link encodeNpy}), read and write files in Node ({@link readNpy}, {@link writeNpy}), and
 * convert to and from tfjs tensors ({@link npyToTensor}, {@link tensorToNpy}).
 * See `docs/io.md` for the supported dtypes and how they map to typed arrays and tensors.
 * @module io
 */
export {
  /** Parse `.npy` bytes (format 1.0/2.0/3.0) into a C-ordered {@link NpyArray}. */
  parseNpy,
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
  /** Read a `.npy` file (Node only). */
  readNpy,
  /** Write a `.npy` file (Node only). */
  writeNpy,
  /** Make a tfjs tensor (float32, int32 or bool) from an {@link NpyArray}. */
  npyToTensor,
  /** Copy a float32, int32 or bool tensor's values into an {@link NpyArray}. */
  tensorToNpy,
} from './files';
