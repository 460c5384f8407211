// Results that carry big typed arrays (attention maps) are transferred to the caller's thread, not cloned: a
// handler marks its result with the buffers it gives away, and the worker posts them in the transfer list.
const marks = new WeakMap<object, ArrayBuffer[]>();

/** Marks `value` so that posting it transfers `buffers` (they become unusable in the worker). */
export function transferring<T extends object>(value: T, buffers: ArrayBufferLike[]): T {
  marks.set(
    value,
    [...new Set(buffers)].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer),
  );
  return value;
}

export function transferListOf(value: unknown): ArrayBuffer[] {
  return (value !== null && typeof value === 'object' && marks.get(value)) || [];
}
