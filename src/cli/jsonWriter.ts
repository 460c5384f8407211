// Streaming JSON for the CLI's --json output: the text equals JSON.stringify of the same value (typed arrays
// such as Float32Array are written as arrays of their numbers), produced in bounded chunks, so that a large
// result (embed on a long text) never becomes one giant string.

/** Receives the chunks in order; a returned promise is awaited (backpressure). */
export type ChunkSink = (chunk: string) => void | Promise<void>;

const isTypedArray = (v: unknown): v is ArrayLike<number> & ArrayBufferView =>
  ArrayBuffer.isView(v) && !(v instanceof DataView);

const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

const numbersOnly = (xs: readonly unknown[]): boolean => {
  for (const x of xs) if (typeof x !== 'number') return false;
  return true;
};

/** Writes `value` as JSON to `sink` in chunks of about `chunkSize` characters (one string value longer than that
 *  is one chunk), followed by nothing: the caller adds a newline if it wants one. */
export async function writeJson(value: unknown, sink: ChunkSink, chunkSize = 1 << 16): Promise<void> {
  let parts: string[] = [];
  let size = 0;
  /** Buffers `s`; true when a chunk is due (the caller then awaits `flush`). */
  const put = (s: string): boolean => {
    parts.push(s);
    size += s.length;
    return size >= chunkSize;
  };
  const flush = async () => {
    if (!parts.length) return;
    const chunk = parts.join('');
    parts = [];
    size = 0;
    await sink(chunk);
  };
  /** A numeric array is written in pieces of `run` numbers, each by one JSON.stringify call: V8's serialiser turns
   *  a plain array of numbers into text 2–3× faster than one string per number (attention --json writes 1.7 M
   *  numbers at BERT-base scale), with the same text (the same ToString; NaN and ±Infinity as null). A piece
   *  (≤ 25 characters a number) goes into the next chunk when it would overfill this one. */
  const run = Math.max(1, Math.floor(chunkSize / 32));
  const piece = async (s: string) => {
    if (size && size + s.length > chunkSize) await flush();
    if (put(s)) await flush();
  };
  /** JSON.stringify's view of a value: toJSON applied once. */
  const prepare = (v: unknown, key: string): unknown => {
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
      return (v as { toJSON(k: string): unknown }).toJSON(key);
    if (typeof v === 'bigint') throw new TypeError('Do not know how to serialize a BigInt');
    return v;
  };
  const omitted = (v: unknown) => v === undefined || typeof v === 'function' || typeof v === 'symbol';
  const seen = new Set<object>();
  /** Writes a prepared value (never an omitted one: arrays write those as null, objects skip them). */
  const visit = async (v: unknown): Promise<void> => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'string') {
        if (put(JSON.stringify(v))) await flush();
      } else if (typeof v === 'number') {
        if (put(num(v))) await flush();
      } else if (typeof v === 'boolean') {
        if (put(v ? 'true' : 'false')) await flush();
      } else if (put('null')) await flush();
      return;
    }
    if (v instanceof Number || v instanceof String || v instanceof Boolean) {
      if (put(JSON.stringify(v))) await flush();
      return;
    }
    if (seen.has(v)) throw new TypeError('Converting circular structure to JSON');
    seen.add(v);
    if (isTypedArray(v) && !(v instanceof BigInt64Array || v instanceof BigUint64Array)) {
      const xs = v as unknown as Float32Array;
      if (xs.length <= run) await piece(JSON.stringify(Array.from(xs)));
      else {
        put('[');
        for (let i = 0; i < xs.length; i += run)
          await piece(`${i ? ',' : ''}${JSON.stringify(Array.from(xs.subarray(i, i + run))).slice(1, -1)}`);
        put(']');
      }
    } else if (isTypedArray(v)) {
      put('[');
      for (let i = 0; i < v.length; i++) if (put(i ? `,${num(Number(v[i]))}` : num(Number(v[i])))) await flush();
      put(']');
    } else if (Array.isArray(v) && v.length <= run && numbersOnly(v)) {
      await piece(JSON.stringify(v));
    } else if (Array.isArray(v)) {
      put('[');
      for (let i = 0; i < v.length; i++) {
        if (i) put(',');
        const item = v[i];
        if (typeof item === 'number') {
          if (put(num(item))) await flush();
        } else {
          const p = prepare(item, String(i));
          await visit(omitted(p) ? null : p);
        }
      }
      put(']');
    } else {
      put('{');
      let first = true;
      for (const k of Object.keys(v)) {
        const p = prepare((v as Record<string, unknown>)[k], k);
        if (omitted(p)) continue;
        put(`${first ? '' : ','}${JSON.stringify(k)}:`);
        first = false;
        await visit(p);
      }
      put('}');
    }
    seen.delete(v);
    if (size >= chunkSize) await flush();
  };
  const top = prepare(value, '');
  if (omitted(top)) throw new TypeError('Nothing to write: the value is undefined');
  await visit(top);
  await flush();
}

/** A sink for a Node stream that waits for 'drain' when the stream's buffer is full. */
export function streamSink(stream: NodeJS.WritableStream): ChunkSink {
  return (chunk) => (stream.write(chunk) ? undefined : new Promise<void>((r) => stream.once('drain', () => r())));
}

/** Writes `value` as one line of JSON (the text of JSON.stringify), streamed when `io` takes chunks. */
export async function emitJson(io: { out(line: string): void; write?: ChunkSink }, value: unknown): Promise<void> {
  if (!io.write) return io.out(JSON.stringify(value));
  await writeJson(value, io.write);
  await io.write('\n');
}
