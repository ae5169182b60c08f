import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GoldcrestError } from './errors.js';
import { decodeNpy, encodeNpy } from './npy.js';
import { Tensor } from './tensor.js';

/** Builds a .npy by hand (independent of encodeNpy) so decoding is tested against the spec. */
function handNpy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + header.length + 1) / 16) * 16;
  const h = header.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(new TextEncoder().encode(h), prefix);
  out.set(data, total);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function expectCode(fn: () => unknown, code: string, msg: RegExp) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(GoldcrestError);
    expect((e as GoldcrestError).code).toBe(code);
    expect((e as Error).message).toMatch(msg);
    return;
  }
  throw new Error('expected an error');
}

describe('encodeNpy / decodeNpy round trip', () => {
  const cases: Tensor[] = [
    new Tensor('float32', new Float32Array([1.5, -2, 3.25, 0, 1e-30, -7]), [2, 3]),
    new Tensor('float64', new Float64Array([Math.PI, -1e300]), [2]),
    new Tensor('float16', new Uint16Array([0x3c00, 0xc000, 0x7bff]), [3, 1]),
    new Tensor('int8', new Int8Array([-128, 0, 127]), [3]),
    new Tensor('uint8', new Uint8Array([0, 255]), [1, 2]),
    new Tensor('int16', new Int16Array([-32768, 32767]), [2]),
    new Tensor('uint16', new Uint16Array([65535, 1]), [2]),
    new Tensor('int32', new Int32Array([-(2 ** 31), 2 ** 31 - 1, 5, 6]), [2, 2]),
    new Tensor('uint32', new Uint32Array([2 ** 32 - 1]), [1]),
    new Tensor('int64', new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), [2]),
    new Tensor('uint64', new BigUint64Array([2n ** 64n - 1n]), [1, 1, 1]),
    new Tensor('bool', new Uint8Array([1, 0, 1]), [3]),
    new Tensor('float32', new Float32Array([42]), []),
    new Tensor('float32', new Float32Array(0), [0, 4]),
  ];
  for (const t of cases) {
    it(`${t.type} [${t.dims.join(',')}]`, () => {
      const bytes = encodeNpy(t);
      const headerEnd = bytes.indexOf(0x0a) + 1;
      expect(headerEnd % 64).toBe(0); // data aligned as numpy does it
      const back = decodeNpy(bytes);
      expect(back.type).toBe(t.type);
      expect(back.dims).toEqual(t.dims);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(t.data as ArrayLike<unknown>));
    });
  }

  it('writes the header numpy expects', () => {
    const bytes = encodeNpy(new Tensor('float32', new Float32Array(3), [3]));
    const header = new TextDecoder().decode(bytes.subarray(10, bytes.indexOf(0x0a)));
    expect(header.trim()).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const scalar = encodeNpy(new Tensor('int8', new Int8Array([1]), []));
    expect(new TextDecoder().decode(scalar)).toContain("{'descr': '|i1', 'fortran_order': False, 'shape': (), }");
  });

  it('switches to format 2.0 when the header outgrows 1.0', () => {
    const dims = new Array<number>(25_000).fill(1); // '1, ' x 25000 > 65535 header bytes
    const bytes = encodeNpy(new Tensor('int16', new Int16Array([-5]), dims));
    expect(bytes[6]).toBe(2);
    expect((12 + new DataView(bytes.buffer).getUint32(8, true)) % 64).toBe(0);
    const back = decodeNpy(bytes);
    expect(back.dims.length).toBe(25_000);
    expect(back.toNumbers()).toEqual([-5]);
  });

  it('refuses string tensors', () => {
    expectCode(() => encodeNpy(new Tensor('string', ['a'], [1])), 'E_DTYPE', /string/);
  });
});

describe('decodeNpy against hand-built files', () => {
  it('reads version 2.0 and 3.0 headers and Python 2 long ints', () => {
    const data = bytesOf(new Int32Array([7, -8]));
    const v2 = decodeNpy(handNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }", data, 2));
    expect(v2.dims).toEqual([2]);
    expect(Array.from(v2.data as Int32Array)).toEqual([7, -8]);
    const v3 = decodeNpy(handNpy("{'shape': (1, 2), 'fortran_order': False, 'descr': '<i4'}", data, 3));
    expect(v3.dims).toEqual([1, 2]);
  });

  it("accepts '=' and '|' byte orders and the '?' bool code", () => {
    expect(decodeNpy(handNpy("{'descr': '=f8', 'fortran_order': False, 'shape': (1,), }", bytesOf(new Float64Array([2.5])))).toNumbers()).toEqual([2.5]);
    expect(decodeNpy(handNpy("{'descr': '|?', 'fortran_order': False, 'shape': (2,), }", new Uint8Array([0, 1]))).type).toBe('bool');
  });

  it('rejects Fortran order, big-endian and object arrays with typed errors', () => {
    expectCode(() => decodeNpy(handNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", new Uint8Array(24))), 'E_IO', /Fortran order.*ascontiguousarray/);
    expectCode(() => decodeNpy(handNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8))), 'E_DTYPE', /big-endian dtype '>f4'/);
    expectCode(() => decodeNpy(handNpy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16))), 'E_DTYPE', /object arrays/);
    expectCode(() => decodeNpy(handNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16))), 'E_DTYPE', /'<c8'/);
    expectCode(() => decodeNpy(handNpy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", new Uint8Array(8))), 'E_DTYPE', /structured/);
  });

  it('rejects malformed and truncated files', () => {
    expectCode(() => decodeNpy(new TextEncoder().encode('hello world, not numpy')), 'E_IO', /magic/);
    expectCode(() => decodeNpy(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0])), 'E_IO', /version 9\.0/);
    const good = encodeNpy(new Tensor('float32', new Float32Array(10), [10]));
    expectCode(() => decodeNpy(good.subarray(0, good.length - 4)), 'E_IO', /truncated data/);
    expectCode(() => decodeNpy(good.subarray(0, 30)), 'E_IO', /truncated header/);
    expectCode(() => decodeNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", new Uint8Array(8))), 'E_IO', /shape/);
    expectCode(() => decodeNpy(handNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", new Uint8Array(8))), 'E_IO', /cannot parse header/);
  });

  it('decodes from an unaligned view', () => {
    const good = encodeNpy(new Tensor('float64', new Float64Array([1, 2, 3]), [3]));
    const shifted = new Uint8Array(good.length + 3);
    shifted.set(good, 3);
    expect(decodeNpy(shifted.subarray(3)).toNumbers()).toEqual([1, 2, 3]);
  });
});

// numpy is on dev machines but not guaranteed in CI: interoperability runs only where it exists.
const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasNumpy)('interoperability with numpy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const py = (code: string) => execFileSync('python3', ['-c', code], { cwd: dir, encoding: 'utf8' });

  it('reads arrays numpy wrote', () => {
    py(`
import numpy as np
np.save('f4.npy', (np.arange(24, dtype=np.float32).reshape(2, 3, 4) - 5.5) / 3)
np.save('f2.npy', np.array([1.0, -2.5, 65504], dtype=np.float16))
np.save('i8.npy', np.array([[-(2**62), 3]], dtype=np.int64))
np.save('b1.npy', np.array([True, False, True]))
np.save('u1.npy', np.array(200, dtype=np.uint8))
np.save('ft.npy', np.asfortranarray(np.ones((2, 3), dtype=np.float32)))
np.save('be.npy', np.ones(3, dtype='>f4'))
np.save('obj.npy', np.array([1, 'a'], dtype=object), allow_pickle=True)
`);
    const f4 = decodeNpy(readFileSync(join(dir, 'f4.npy')));
    expect(f4.dims).toEqual([2, 3, 4]);
    expect(Array.from(f4.data as Float32Array)).toEqual(Array.from({ length: 24 }, (_, i) => Math.fround((i - 5.5) / 3)));
    const f2 = decodeNpy(readFileSync(join(dir, 'f2.npy')));
    expect(f2.type).toBe('float16');
    expect(Array.from(f2.data as Uint16Array)).toEqual([0x3c00, 0xc100, 0x7bff]);
    expect(decodeNpy(readFileSync(join(dir, 'i8.npy'))).data).toEqual(new BigInt64Array([-(2n ** 62n), 3n]));
    expect(decodeNpy(readFileSync(join(dir, 'b1.npy'))).toNumbers()).toEqual([1, 0, 1]);
    const u1 = decodeNpy(readFileSync(join(dir, 'u1.npy')));
    expect(u1.dims).toEqual([]);
    expect(u1.toNumbers()).toEqual([200]);
    expectCode(() => decodeNpy(readFileSync(join(dir, 'ft.npy'))), 'E_IO', /Fortran/);
    expectCode(() => decodeNpy(readFileSync(join(dir, 'be.npy'))), 'E_DTYPE', /big-endian/);
    expectCode(() => decodeNpy(readFileSync(join(dir, 'obj.npy'))), 'E_DTYPE', /object/);
  });

  it('writes arrays numpy reads', () => {
    writeFileSync(join(dir, 'out_f4.npy'), encodeNpy(new Tensor('float32', new Float32Array([1, 2.5, -3, 4, 5, 6]), [3, 2])));
    writeFileSync(join(dir, 'out_u8.npy'), encodeNpy(new Tensor('uint64', new BigUint64Array([2n ** 64n - 1n]), [])));
    writeFileSync(join(dir, 'out_b1.npy'), encodeNpy(new Tensor('bool', new Uint8Array([0, 1]), [2])));
    const out = py(`
import numpy as np
a = np.load('out_f4.npy'); b = np.load('out_u8.npy'); c = np.load('out_b1.npy')
print(a.dtype, a.shape, a.flags['C_CONTIGUOUS'], a.tolist())
print(b.dtype, b.shape, int(b))
print(c.dtype, c.tolist())
`);
    expect(out.trim().split('\n')).toEqual([
      'float32 (3, 2) True [[1.0, 2.5], [-3.0, 4.0], [5.0, 6.0]]',
      'uint64 () 18446744073709551615',
      'bool [False, True]',
    ]);
  });
});
