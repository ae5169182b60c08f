// Model format detection: by content first (magic numbers, protobuf structure), the file
// extension only as a tie-breaker for files whose content is ambiguous or damaged.
import { GoldcrestError, isGcm } from '@goldcrest/core-ir';

export type SourceFormat = 'onnx' | 'tflite' | 'caffe' | 'tf';
export type ModelFormat = SourceFormat | 'gcm';

const EXTENSIONS: Record<string, ModelFormat> = {
  onnx: 'onnx', tflite: 'tflite', lite: 'tflite', prototxt: 'caffe', caffemodel: 'caffe',
  pb: 'tf', pbtxt: 'tf', gcm: 'gcm',
};

/** One top-level protobuf field: number and wire type (0 varint, 1 fixed64, 2 bytes, 5 fixed32). */
interface Field { no: number; wire: number; start: number; end: number }

/**
 * Walks the top-level fields of a protobuf message without a schema. Stops at the first
 * malformed tag or at the end of a (possibly truncated) buffer; `complete` says which.
 */
function scanFields(b: Uint8Array, max = 4096): { fields: Field[]; complete: boolean } {
  const fields: Field[] = [];
  let p = 0;
  const varint = (): number | undefined => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= b.length) return undefined;
      const x = b[p++];
      v += (x & 0x7f) * mul;
      mul *= 128;
      if (!(x & 0x80)) return v;
    }
    return undefined;
  };
  while (p < b.length && fields.length < max) {
    const start = p;
    const tag = varint();
    if (tag === undefined) return { fields, complete: false };
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (no === 0) return { fields, complete: false };
    if (wire === 0) {
      if (varint() === undefined) return { fields, complete: false };
    } else if (wire === 1) p += 8;
    else if (wire === 5) p += 4;
    else if (wire === 2) {
      const len = varint();
      if (len === undefined) return { fields, complete: false };
      p += len;
    } else return { fields, complete: false };
    if (p > b.length) return { fields: [...fields, { no, wire, start, end: b.length }], complete: false };
    fields.push({ no, wire, start, end: p });
  }
  return { fields, complete: p === b.length };
}

// ModelProto fields -> wire type (onnx.proto: ir_version 1, producer_name 2, producer_version 3,
// domain 4, model_version 5, doc_string 6, graph 7, opset_import 8, metadata_props 14,
// training_info 20, functions 25).
const ONNX_MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2 };

/** ONNX: every top-level field is a ModelProto field with the right wire type, ir_version (1) first or a graph (7). */
function looksLikeOnnx(b: Uint8Array): boolean {
  const { fields } = scanFields(b);
  if (fields.length === 0) return false;
  if (!fields.every((f) => ONNX_MODEL_FIELDS[f.no] === f.wire)) return false;
  return fields[0].no === 1 || fields.some((f) => f.no === 7);
}

/** Is the buffer printable text (a .prototxt / .pbtxt)? */
function isText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) return false;
  }
  return true;
}

/**
 * Binary Caffe NetParameter vs TensorFlow GraphDef: both start with field 1 as bytes. GraphDef
 * fields are node (1, message), library (2), version (3, varint), versions (4, message); Caffe
 * has name (1, a string), input (3, string), input_dim (4, varint), layer (100) and more.
 */
function caffeOrTf(b: Uint8Array): SourceFormat | undefined {
  const { fields } = scanFields(b);
  if (fields.length === 0 || fields[0].no !== 1 || fields[0].wire !== 2) {
    return fields.some((f) => f.no === 100 && f.wire === 2) ? 'caffe' : undefined;
  }
  if (fields.some((f) => f.no >= 5 || (f.no === 3 && f.wire === 2) || (f.no === 4 && f.wire === 0))) return 'caffe';
  if (fields.some((f) => (f.no === 3 && f.wire === 0) || (f.no === 4 && f.wire === 2))) return 'tf';
  // Field 1: a Caffe net name is plain text; a GraphDef node is a nested message.
  const body = b.subarray(fields[0].start, fields[0].end);
  let hdr = 1; // the tag (field 1, wire 2) is one byte; the length varint follows
  while (hdr < body.length && body[hdr] & 0x80) hdr++;
  return isText(body.subarray(Math.min(hdr + 1, body.length))) && fields.filter((f) => f.no === 1).length === 1 ? 'caffe' : 'tf';
}

function fromText(b: Uint8Array): SourceFormat | undefined {
  const s = new TextDecoder().decode(b.subarray(0, 64 * 1024));
  if (/(^|\n)\s*node\s*\{/.test(s)) return 'tf';
  if (/(^|\n)\s*layers?\s*\{/.test(s) || /(^|\n)\s*input\s*:/.test(s)) return 'caffe';
  return undefined;
}

function extensionOf(path: string | undefined): ModelFormat | undefined {
  const m = path ? /\.([A-Za-z0-9]+)$/.exec(path) : null;
  return m ? EXTENSIONS[m[1].toLowerCase()] : undefined;
}

/**
 * The format of a model file. Content decides (.gcm identifier, TFLite's "TFL3" FlatBuffers
 * identifier, ONNX ModelProto structure, Caffe/TF protobuf or text structure); `path`'s extension
 * decides only when the content does not (e.g. a truncated file). Unknown: E_MODEL_FORMAT.
 */
export function detectFormat(bytes: Uint8Array, path?: string): ModelFormat {
  if (!(bytes instanceof Uint8Array)) throw new GoldcrestError('E_ARGUMENT', 'detectFormat: bytes must be a Uint8Array');
  if (isGcm(bytes)) return 'gcm';
  if (bytes.length >= 8 && String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]) === 'TFL3') return 'tflite';
  const ext = extensionOf(path);
  if (isText(bytes)) {
    const t = fromText(bytes);
    if (t) return t;
  } else if (looksLikeOnnx(bytes)) {
    return 'onnx';
  } else if (ext !== 'onnx') {
    const t = caffeOrTf(bytes);
    // Protobuf alone cannot tell Caffe weights from a GraphDef reliably: a matching extension wins.
    if (t && !(ext && ext !== t && (ext === 'caffe' || ext === 'tf'))) return t;
  }
  if (ext) return ext;
  const what = path ? `'${path}'` : `the given ${bytes.length} bytes`;
  throw new GoldcrestError(
    'E_MODEL_FORMAT',
    `cannot tell the model format of ${what}: not ONNX, TFLite, Caffe, TensorFlow or .gcm${bytes.length === 0 ? ' (it is empty)' : ''}; pass the format explicitly if it is one of them`,
  );
}
