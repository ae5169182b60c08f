// .npy (numpy array file) encoding and decoding: the CLI's on-disk tensor format, so that any
// array tool can produce feeds and read outputs. Spec: numpy.lib.format (versions 1.0, 2.0, 3.0).
import { type DType, dtypeSize, viewData } from './dtype.js';
import { GoldcrestError } from './errors.js';
import { numel } from './shape.js';
import { Tensor } from './tensor.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy pads magic + version + length + header to this many bytes so the data is aligned. */
const ALIGN = 64;

/** numpy type code (without the byte-order char) <-> Goldcrest dtype. */
const CODE_TO_DTYPE: Record<string, Exclude<DType, 'string'>> = {
  f4: 'float32', f8: 'float64', f2: 'float16',
  i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16', i4: 'int32', u4: 'uint32', i8: 'int64', u8: 'uint64',
  b1: 'bool',
};
const DTYPE_TO_CODE = Object.fromEntries(Object.entries(CODE_TO_DTYPE).map(([c, d]) => [d, c])) as Record<string, string>;

const npyError = (msg: string) => new GoldcrestError('E_IO', `.npy: ${msg}`);
const dtypeError = (msg: string) => new GoldcrestError('E_DTYPE', `.npy: ${msg}`);

/** Encodes a tensor as a .npy file (version 1.0, or 2.0 if the header needs it), C order, little-endian. */
export function encodeNpy(t: Tensor): Uint8Array {
  if (t.type === 'string') throw dtypeError('string tensors cannot be stored (numpy string arrays are not supported)');
  const code = DTYPE_TO_CODE[t.type];
  const elemSize = dtypeSize(t.type);
  const shape = t.dims.length === 1 ? `(${t.dims[0]},)` : `(${t.dims.join(', ')})`;
  const dict = `{'descr': '${elemSize === 1 ? '|' : '<'}${code}', 'fortran_order': False, 'shape': ${shape}, }`;

  // Version 1.0 stores the header length in 2 bytes; fall back to 2.0 (4 bytes) for huge shapes.
  let major = 1;
  let prefix = MAGIC.length + 2 + 2;
  if (prefix + dict.length + 1 > 0xffff) { major = 2; prefix += 2; }
  const headerLen = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN - prefix;
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';

  const src = t.data as ArrayBufferView;
  const dataBytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  const out = new Uint8Array(prefix + headerLen + dataBytes.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(dataBytes, prefix + headerLen);
  if (t.type === 'bool') {
    // numpy bools are exactly 0 or 1; normalise any other non-zero byte.
    for (let i = prefix + headerLen; i < out.length; i++) out[i] = out[i] ? 1 : 0;
  }
  return out;
}

/** Decodes a .npy file into a tensor (the data is copied out of `bytes`). */
export function decodeNpy(bytes: Uint8Array): Tensor {
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw npyError('not a numpy .npy file (missing the \\x93NUMPY magic)');
  }
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let prefix: number;
  let headerLen: number;
  if (major === 1) { prefix = 10; headerLen = dv.getUint16(8, true); }
  else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) throw npyError('truncated header');
    prefix = 12;
    headerLen = dv.getUint32(8, true);
  } else {
    throw npyError(`unsupported format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`);
  }
  if (prefix + headerLen > bytes.byteLength) throw npyError(`truncated header (needs ${headerLen} bytes)`);
  // Versions 1 and 2 use latin-1 headers, version 3 utf-8; the keys we read are ASCII either way.
  const headerBytes = bytes.subarray(prefix, prefix + headerLen);
  const header = major === 3 ? new TextDecoder('utf-8').decode(headerBytes) : latin1(headerBytes);

  const dict = parsePyLiteral(header);
  if (!isDict(dict)) throw npyError(`header is not a dict: ${header.trim()}`);
  const { descr, fortran_order: fortran, shape } = dict;
  if (typeof descr !== 'string') {
    throw dtypeError(`structured dtype ${JSON.stringify(descr)} is not supported; save a plain numeric array`);
  }
  if (typeof fortran !== 'boolean') throw npyError(`header lacks a boolean 'fortran_order': ${header.trim()}`);
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)) {
    throw npyError(`header lacks a valid 'shape' tuple: ${header.trim()}`);
  }
  const dims = shape as number[];
  const dtype = dtypeOfDescr(descr);
  if (fortran && dims.filter((d) => d > 1).length > 1) {
    throw npyError("arrays in Fortran order are not supported; save with np.ascontiguousarray(a)");
  }

  const start = prefix + headerLen;
  const need = numel(dims) * dtypeSize(dtype);
  if (bytes.byteLength - start < need) {
    throw npyError(`truncated data: shape (${dims.join(', ')}) of ${descr} needs ${need} bytes, file has ${bytes.byteLength - start}`);
  }
  // Copy so the tensor owns an aligned buffer and does not pin the whole file.
  const data = viewData(dtype, new Uint8Array(bytes.subarray(start, start + need)));
  return new Tensor(dtype, data, dims);
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function dtypeOfDescr(descr: string): Exclude<DType, 'string'> {
  const order = descr[0];
  const code = '<>|='.includes(order) ? descr.slice(1) : descr;
  const dtype = CODE_TO_DTYPE[code === '?' ? 'b1' : code];
  if (!dtype) {
    const what = code.startsWith('O') ? 'object arrays' : code.startsWith('U') || code.startsWith('S') ? 'string arrays' : `dtype '${descr}'`;
    throw dtypeError(`${what} are not supported (supported: ${Object.keys(CODE_TO_DTYPE).join(' ')})`);
  }
  if (order === '>' && dtypeSize(dtype) > 1) {
    throw dtypeError(`big-endian dtype '${descr}' is not supported; save with a.astype(a.dtype.newbyteorder('<'))`);
  }
  return dtype;
}

// --- a tiny parser for the Python literal in the header: dicts, tuples, lists, strings, ints, booleans, None ---

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };
const isDict = (v: PyValue): v is { [k: string]: PyValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

function parsePyLiteral(src: string): PyValue {
  let i = 0;
  const fail = (what: string): never => { throw npyError(`cannot parse header at offset ${i} (${what}): ${src.trim()}`); };
  const ws = () => { while (i < src.length && /\s/.test(src[i])) i++; };
  const value = (): PyValue => {
    ws();
    const c = src[i];
    if (c === '{') return seq('}', true) as PyValue;
    if (c === '(') return seq(')', false) as PyValue;
    if (c === '[') return seq(']', false) as PyValue;
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = src.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    const m = /^(-?\d+)L?|^(True|False|None)/.exec(src.slice(i));
    if (!m) return fail('unexpected token');
    i += m[0].length;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
  };
  // Comma-separated items up to `close`; a trailing comma is allowed (Python tuples need it).
  const seq = (close: string, isMap: boolean): PyValue[] | Record<string, PyValue> => {
    i++;
    const arr: PyValue[] = [];
    const map: Record<string, PyValue> = {};
    for (;;) {
      ws();
      if (src[i] === close) { i++; break; }
      const v = value();
      if (isMap) {
        ws();
        if (src[i] !== ':' || typeof v !== 'string') fail('expected a string key and ":"');
        i++;
        map[v as string] = value();
      } else {
        arr.push(v);
      }
      ws();
      if (src[i] === ',') i++;
      else if (src[i] !== close) fail(`expected ',' or '${close}'`);
    }
    return isMap ? map : arr;
  };
  const v = value();
  ws();
  if (i !== src.length) fail('trailing characters');
  return v;
}
