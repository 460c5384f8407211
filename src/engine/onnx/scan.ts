// A streaming scan of an ONNX file that never holds its weights: it reads the model's structure (nodes, inputs,
// outputs, opsets, metadata) and, for every initializer, only its header (name, dims, type), seeking past the
// weight bytes. The result is a "skeleton": a small, valid ModelProto in which each large initializer is ONNX
// external data pointing at the byte range of its `raw_data` inside the original file
// (`external_data {location, offset, length}`, `data_location: EXTERNAL`).
//
// The skeleton serves two purposes:
//  - capabilities (attention available, hidden states, head) come from `inspectGraph(skeleton)`, a few hundred
//    KiB instead of the whole file;
//  - edited graphs (extra outputs, a gathered head, a backward graph) are edits of the skeleton; opened with
//    `session.model_external_initializers_file_folder_path` = the model's folder, ORT reads their weights from
//    the original file itself. Nothing is copied in JS, and the file's bytes are never held by BERT Lens.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WT_I32, WT_I64, WT_LEN, WT_VARINT, concatBytes, lenField, stringField, varintField } from './protobuf';
import {
  ENTRY_KEY,
  ENTRY_VALUE,
  GRAPH_INITIALIZER,
  LOCATION_EXTERNAL,
  MODEL_GRAPH,
  TENSOR_DATA_LOCATION,
  TENSOR_EXTERNAL_DATA,
  TENSOR_RAW,
} from './schema';

/** raw_data smaller than this stays inline in the skeleton (shape constants, LayerNorm epsilons …). */
const INLINE_LIMIT = 4096;

export interface ModelSkeleton {
  /** The original file. */
  path: string;
  /** A ModelProto whose large initializers point at byte ranges of `path`. */
  bytes: Uint8Array;
  /** Bytes of weights left in the file (not in `bytes`). */
  externalBytes: number;
  /** Initializers turned into external references. */
  externalCount: number;
}

/** Sequential reader over a file descriptor with a small buffer and cheap forward seeks. */
class FileReader {
  private buf = Buffer.alloc(1 << 16);
  private bufStart = 0;
  private bufLen = 0;
  pos = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  private fill(at: number, min: number): void {
    if (at >= this.bufStart && at + min <= this.bufStart + this.bufLen) return;
    if (min > this.buf.length) this.buf = Buffer.alloc(min);
    this.bufStart = at;
    this.bufLen = fs.readSync(this.fd, this.buf, 0, this.buf.length, at);
    if (this.bufLen < Math.min(min, this.size - at)) throw new Error('short read');
  }

  byte(): number {
    if (this.pos >= this.size) throw new Error('protobuf: truncated');
    this.fill(this.pos, 1);
    return this.buf[this.pos++ - this.bufStart];
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error('protobuf: varint too long');
    }
  }

  /** Copies `n` bytes from the current position. */
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.size) throw new Error('protobuf: field runs past the end of the file');
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      this.fill(this.pos + done, Math.min(this.buf.length, n - done));
      const take = Math.min(n - done, this.bufStart + this.bufLen - (this.pos + done));
      out.set(this.buf.subarray(this.pos + done - this.bufStart, this.pos + done - this.bufStart + take), done);
      done += take;
    }
    this.pos += n;
    return out;
  }

  skip(n: number): void {
    if (this.pos + n > this.size) throw new Error('protobuf: field runs past the end of the file');
    this.pos += n;
  }
}

interface RawField {
  no: number;
  wt: number;
  /** Byte offset of the field's tag. */
  start: number;
  /** Payload offset and length (WT_LEN), or value start for others. */
  valStart: number;
  len: number;
}

function readHeader(r: FileReader): RawField {
  const start = r.pos;
  const tag = r.varint();
  const no = Math.floor(tag / 8);
  const wt = tag & 7;
  if (no === 0) throw new Error('protobuf: field number 0');
  if (wt === WT_LEN) {
    const len = r.varint();
    return { no, wt, start, valStart: r.pos, len };
  }
  if (wt === WT_VARINT) {
    const valStart = r.pos;
    r.varint();
    const len = r.pos - valStart;
    r.pos = valStart;
    return { no, wt, start, valStart, len };
  }
  if (wt === WT_I64) return { no, wt, start, valStart: r.pos, len: 8 };
  if (wt === WT_I32) return { no, wt, start, valStart: r.pos, len: 4 };
  throw new Error(`protobuf: unsupported wire type ${wt}`);
}

/** The whole field (tag included) as bytes; the reader ends after it. */
function wholeField(r: FileReader, f: RawField): Uint8Array {
  r.pos = f.start;
  return r.bytes(f.valStart + f.len - f.start);
}

function externalInitializer(r: FileReader, f: RawField, location: string): { bytes: Uint8Array; external: number } {
  const end = f.valStart + f.len;
  const parts: Uint8Array[] = [];
  let raw: { offset: number; length: number } | undefined;
  let alreadyExternal = false;
  while (r.pos < end) {
    const sub = readHeader(r);
    if (sub.no === TENSOR_RAW && sub.wt === WT_LEN && sub.len >= INLINE_LIMIT) {
      raw = { offset: sub.valStart, length: sub.len };
      r.pos = sub.valStart;
      r.skip(sub.len);
      continue;
    }
    if (sub.no === TENSOR_EXTERNAL_DATA) alreadyExternal = true;
    if (sub.no === TENSOR_DATA_LOCATION && sub.wt === WT_VARINT) {
      r.pos = sub.valStart;
      const loc = r.varint();
      if (loc !== 0) alreadyExternal = true;
      else continue; // DEFAULT, written out: dropped, the tensor becomes EXTERNAL below
      r.pos = sub.start;
    }
    parts.push(wholeField(r, sub));
  }
  if (r.pos !== end) throw new Error('protobuf: initializer runs past its end');
  if (alreadyExternal || !raw) {
    // Keep it byte for byte (already external data, relative to the model's folder, or small and inline).
    r.pos = f.start;
    const whole = wholeField(r, f);
    return { bytes: whole, external: 0 };
  }
  const entry = (k: string, v: string) =>
    lenField(TENSOR_EXTERNAL_DATA, concatBytes([stringField(ENTRY_KEY, k), stringField(ENTRY_VALUE, v)]));
  parts.push(
    entry('location', location),
    entry('offset', String(raw.offset)),
    entry('length', String(raw.length)),
    varintField(TENSOR_DATA_LOCATION, LOCATION_EXTERNAL),
  );
  return { bytes: lenField(GRAPH_INITIALIZER, concatBytes(parts)), external: raw.length };
}

/** Reads `file` as a stream and returns its skeleton (see the top of this file). Throws on a malformed file. */
export function scanModel(file: string): ModelSkeleton {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const r = new FileReader(fd, size);
    const location = path.basename(file);
    const top: Uint8Array[] = [];
    let externalBytes = 0;
    let externalCount = 0;
    let sawGraph = false;
    while (r.pos < size) {
      const f = readHeader(r);
      if (f.no !== MODEL_GRAPH || f.wt !== WT_LEN) {
        top.push(wholeField(r, f));
        continue;
      }
      sawGraph = true;
      const end = f.valStart + f.len;
      if (end > size) throw new Error('protobuf: graph runs past the end of the file');
      const graph: Uint8Array[] = [];
      while (r.pos < end) {
        const g = readHeader(r);
        if (g.no === GRAPH_INITIALIZER && g.wt === WT_LEN) {
          const init = externalInitializer(r, g, location);
          graph.push(init.bytes);
          if (init.external) {
            externalBytes += init.external;
            externalCount++;
          }
        } else graph.push(wholeField(r, g));
      }
      top.push(lenField(MODEL_GRAPH, concatBytes(graph)));
    }
    if (!sawGraph) throw new Error('not an ONNX model (no graph)');
    return { path: file, bytes: concatBytes(top), externalBytes, externalCount };
  } finally {
    fs.closeSync(fd);
  }
}
