// NumPy's .npy format (version 1.0) for one float32 tensor: `np.load(path)` gives the array with its shape.
import * as fs from 'node:fs';

export function npyBytes(data: Float32Array, shape: number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces and ending in \n to a multiple of 64.
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // .npy stores little-endian floats; so do typed arrays on every platform Node runs on.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Writes a new file; never replaces an existing one (the caller says how to proceed). */
export function writeNewFile(file: string, bytes: Uint8Array): void {
  fs.writeFileSync(file, bytes, { flag: 'wx' });
}
