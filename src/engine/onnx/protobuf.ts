// A schema-free protobuf reader/writer, enough to inspect and edit ONNX graphs without decoding weights or
// dropping fields an older schema does not know: decoding and re-encoding with a generated schema (npm
// `onnx-proto` is ONNX 1.10) silently drops newer fields. Messages are read as flat lists of raw fields; edits
// re-encode only the fields they touch and copy every other field's bytes as they are (docs/architecture.md).

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

export interface Field {
  /** Field number. */
  no: number;
  /** Wire type. */
  wt: number;
  /** Byte range of the whole field, tag included. */
  start: number;
  end: number;
  /** Byte range of the value (for WT_LEN, the payload without its length prefix). */
  valStart: number;
  valEnd: number;
  /** For varints: the value (int64 as a JS number, exact up to 2^53; negative int64 decoded). */
  value?: number;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 70n) throw new Error('protobuf: varint too long');
  }
}

function readSmallVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++];
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [result, pos];
    mul *= 128;
    if (mul > 2 ** 63) throw new Error('protobuf: varint too long');
  }
}

/** Reads the fields of one message occupying buf[start, end). */
export function readFields(buf: Uint8Array, start = 0, end = buf.length): Field[] {
  const fields: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [tag, p1] = readSmallVarint(buf, pos);
    pos = p1;
    const no = Math.floor(tag / 8);
    const wt = tag & 7;
    if (no === 0) throw new Error('protobuf: field number 0');
    let valStart = pos;
    let value: number | undefined;
    switch (wt) {
      case WT_VARINT: {
        const [v, p2] = readVarint(buf, pos);
        value = Number(BigInt.asIntN(64, v));
        pos = p2;
        break;
      }
      case WT_I64:
        pos += 8;
        break;
      case WT_LEN: {
        const [len, p2] = readSmallVarint(buf, pos);
        valStart = p2;
        pos = p2 + len;
        break;
      }
      case WT_I32:
        pos += 4;
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${wt}`);
    }
    if (pos > end) throw new Error('protobuf: field runs past the end of its message');
    fields.push({ no, wt, start: fieldStart, end: pos, valStart, valEnd: pos, value });
  }
  return fields;
}

const utf8 = new TextDecoder('utf-8');
const utf8Enc = new TextEncoder();

export function fieldString(buf: Uint8Array, f: Field): string {
  return utf8.decode(buf.subarray(f.valStart, f.valEnd));
}
export function fieldBytes(buf: Uint8Array, f: Field): Uint8Array {
  return buf.subarray(f.valStart, f.valEnd);
}
export function fieldFloat(buf: Uint8Array, f: Field): number {
  return new DataView(buf.buffer, buf.byteOffset + f.valStart, 4).getFloat32(0, true);
}

// ---- writing ----

export function encodeVarint(n: number | bigint): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

export function encodeTag(no: number, wt: number): Uint8Array {
  return encodeVarint(no * 8 + wt);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function lenField(no: number, payload: Uint8Array): Uint8Array {
  return concatBytes([encodeTag(no, WT_LEN), encodeVarint(payload.length), payload]);
}
export function stringField(no: number, s: string): Uint8Array {
  return lenField(no, utf8Enc.encode(s));
}
export function varintField(no: number, n: number | bigint): Uint8Array {
  return concatBytes([encodeTag(no, WT_VARINT), encodeVarint(n)]);
}
export function floatField(no: number, x: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return concatBytes([encodeTag(no, WT_I32), b]);
}
/** Packed repeated int64 (varints). */
export function packedVarintField(no: number, values: number[]): Uint8Array {
  return lenField(no, concatBytes(values.map((v) => encodeVarint(v))));
}
