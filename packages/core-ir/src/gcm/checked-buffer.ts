// The JS FlatBuffers runtime has no verifier: its ByteBuffer reads whatever an offset points
// at (undefined bytes read as 0, signed offsets may point backwards, so hostile files can loop).
// This subclass checks every read the generated accessors make against the buffer bounds and
// only follows offsets that point strictly forward (FlatBuffers' uoffset is unsigned), which
// also rules out cycles. Violations go to `fail`, which throws a GoldcrestError carrying the
// decoder's context ("node 12 'conv1': attribute 'pads' ...").
import { ByteBuffer, Encoding, type Table } from 'flatbuffers';

export interface CheckedBufferHooks {
  /** Throws; `msg` is a predicate about what is being decoded ("runs past the end ..."). */
  fail(msg: string): never;
  /** Charges decoding work (bytes); throws when a file asks for more than its size allows. */
  charge(n: number): void;
}

const PAST_END = 'runs past the end of the file (truncated?)';

export class CheckedByteBuffer extends ByteBuffer {
  private readonly u8: Uint8Array;
  private readonly n: number;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(bytes: Uint8Array, private readonly hooks: CheckedBufferHooks) {
    super(bytes);
    this.u8 = bytes;
    this.n = bytes.length;
  }

  /** Throws unless [off, off + size) lies inside the buffer. */
  need(off: number, size: number): void {
    if (!(Number.isInteger(off) && off >= 0 && size >= 0 && off + size <= this.n)) this.hooks.fail(PAST_END);
  }

  override readUint8(o: number): number {
    this.need(o, 1);
    return this.u8[o];
  }

  override readUint16(o: number): number {
    this.need(o, 2);
    return this.u8[o] | (this.u8[o + 1] << 8);
  }

  // readInt8/readInt16/readUint32/readInt64/readUint64/readFloat32/readFloat64 all go through
  // readUint8/readUint16/readInt32 in the base class, so they are checked too.
  override readInt32(o: number): number {
    this.need(o, 4);
    const b = this.u8;
    return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
  }

  override __offset(tablePos: number, vtableOffset: number): number {
    const vtable = tablePos - this.readInt32(tablePos);
    this.need(vtable, 4);
    const vtSize = this.readUint16(vtable);
    const tableSize = this.readUint16(vtable + 2);
    if (vtSize < 4 || vtSize % 2 !== 0) this.hooks.fail(`has a malformed vtable (size ${vtSize}) (corrupted?)`);
    this.need(vtable, vtSize);
    this.need(tablePos, tableSize);
    if (vtableOffset >= vtSize) return 0;
    const field = this.readUint16(vtable + vtableOffset);
    if (field !== 0 && (field < 4 || field >= tableSize)) this.hooks.fail(`has a field outside its table (corrupted?)`);
    return field;
  }

  /** Follows a uoffset: unsigned, non-zero, so always strictly forward and inside the buffer. */
  override __indirect(o: number): number {
    const rel = this.readInt32(o) >>> 0;
    const target = o + rel;
    if (rel === 0) this.hooks.fail('has a zero offset (corrupted?)');
    this.need(target, 4);
    return target;
  }

  override __union(t: Table, o: number): Table {
    t.bb_pos = this.__indirect(o);
    t.bb = this;
    return t;
  }

  override __vector(o: number): number {
    return this.__indirect(o) + 4;
  }

  /** Length in elements; checked against the bytes left assuming 1-byte elements (each element read is checked again). */
  override __vector_len(o: number): number {
    const at = this.__indirect(o);
    const len = this.readInt32(at) >>> 0;
    if (len > this.n - (at + 4)) this.hooks.fail(PAST_END);
    return len;
  }

  override __string(o: number, encoding?: Encoding): string | Uint8Array {
    const at = this.__indirect(o);
    const len = this.readInt32(at) >>> 0;
    this.need(at + 4, len);
    this.hooks.charge(len + 4);
    const bytes = this.u8.subarray(at + 4, at + 4 + len);
    if (encoding === Encoding.UTF8_BYTES) return bytes;
    try {
      return this.utf8.decode(bytes);
    } catch {
      return this.hooks.fail('holds a string that is not valid UTF-8 (corrupted?)');
    }
  }

  override __union_with_string(o: Table | string, offset: number): Table | string {
    return typeof o === 'string' ? (this.__string(offset) as string) : this.__union(o, offset);
  }

  override __has_identifier(ident: string): boolean {
    this.need(this.position() + 4, 4);
    return super.__has_identifier(ident);
  }
}
