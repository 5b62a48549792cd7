/** This package's version (kept equal to package.json by the build; a test checks it). */
export const VERSION = '0.1.0';
