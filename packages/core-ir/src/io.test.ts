import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { GoldcrestError } from './errors.js';
import { Graph } from './graph.js';
import { loadGcm, loadGcmSync, saveGcm, saveGcmSync, writeFileAtomic, writeFileAtomicSync } from './io.js';
import { Tensor } from './tensor.js';

// Injected failures: the write reaches the disk (temp file exists) and then fsync / rename fail.
const inject = vi.hoisted(() => ({ fsync: false, rename: false }));
vi.mock('node:fs', async (orig) => {
  const fs = await orig<typeof import('node:fs')>();
  return {
    ...fs,
    fsyncSync: (fd: number) => {
      if (inject.fsync) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
      return fs.fsyncSync(fd);
    },
  };
});
vi.mock('node:fs/promises', async (orig) => {
  const fsp = await orig<typeof import('node:fs/promises')>();
  return {
    ...fsp,
    rename: (a: string, b: string) => (inject.rename ? Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, rename'), { code: 'ENOSPC' })) : fsp.rename(a, b)),
  };
});

const dir = mkdtempSync(join(tmpdir(), 'gc-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smallGraph(): Graph {
  const g = new Graph('small');
  const x = g.addInput('x', 'float32', ['N', 4]);
  const w = g.addConstant('w', new Tensor('float32', Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]), { trainable: true });
  g.addNode('MatMul', [x, w], [{ name: 'y', dtype: 'float32', shape: ['N', 3] }], { activation: 'relu' }, { name: 'fc' });
  g.outputs = [g.value('y')];
  return g;
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(GoldcrestError);
    return `${(e as GoldcrestError).code}: ${(e as Error).message}`;
  }
  return 'no error';
}

const leftovers = (d: string) => readdirSync(d).filter((f) => f.endsWith('.tmp'));

describe('writeFileAtomic', () => {
  it('creates and replaces files, leaving no temp files', async () => {
    const p = join(dir, 'a.bin');
    await writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    await writeFileAtomic(p, 'text');
    expect(readFileSync(p, 'utf8')).toBe('text');
    writeFileAtomicSync(p, new Uint8Array([9]));
    expect([...readFileSync(p)]).toEqual([9]);
    expect(leftovers(dir)).toEqual([]);
  });

  it('keeps the old file when the write fails, and cleans up the temp file', async () => {
    const p = join(dir, 'keep.bin');
    writeFileSync(p, 'old');
    inject.rename = true;
    try {
      expect(await codeOf(writeFileAtomic(p, 'new'))).toMatch(/^E_IO: cannot write '.*keep\.bin': ENOSPC/);
    } finally {
      inject.rename = false;
    }
    inject.fsync = true;
    try {
      expect(await codeOf(() => writeFileAtomicSync(p, 'new'))).toMatch(/^E_IO: cannot write '.*keep\.bin': EIO/);
    } finally {
      inject.fsync = false;
    }
    expect(readFileSync(p, 'utf8')).toBe('old');
    // Bad data is refused before anything is touched.
    expect(await codeOf(writeFileAtomic(p, 42 as unknown as Uint8Array))).toMatch(/^E_ARGUMENT/);
    expect(await codeOf(() => writeFileAtomicSync(p, { bad: true } as unknown as Uint8Array))).toMatch(/^E_ARGUMENT/);
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(leftovers(dir)).toEqual([]);
  });

  it('fails with E_IO naming the path when the rename target is a directory or the directory is missing', async () => {
    const d = join(dir, 'isdir');
    mkdirSync(join(d, 'child'), { recursive: true });
    expect(await codeOf(writeFileAtomic(d, new Uint8Array([1])))).toMatch(/^E_IO: cannot write '.*isdir'/);
    expect(readdirSync(d)).toEqual(['child']);
    expect(leftovers(dir)).toEqual([]);
    expect(await codeOf(writeFileAtomic(join(dir, 'missing', 'x.bin'), new Uint8Array([1])))).toMatch(/^E_IO: cannot write '.*x\.bin': no such file or directory/);
  });
});

describe('saveGcm / loadGcm', () => {
  it('round-trips a graph through a file, with weights viewing the file bytes', async () => {
    const p = join(dir, 'm.gcm');
    await saveGcm(p, smallGraph());
    const g = await loadGcm(p);
    expect(g.name).toBe('small');
    expect(g.inputs[0].shape).toEqual(['N', 4]);
    const w = g.value('w');
    expect(w.trainable).toBe(true);
    expect(Array.from(w.data!.data as Float32Array)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    // Zero copy: the weights view the buffer that holds the whole file.
    expect((w.data!.data as Float32Array).buffer.byteLength).toBe(readFileSync(p).length);
    expect(g.nodes[0].attrs).toEqual({ activation: 'relu' });
    expect(g.value('y').producer).toBe(g.nodes[0]);

    saveGcmSync(p, g);
    const again = loadGcmSync(p);
    expect(again.value('w').data!.dims).toEqual([4, 3]);
  });

  it('gives E_IO with the path for a missing file', async () => {
    const p = join(dir, 'nope.gcm');
    expect(await codeOf(loadGcm(p))).toBe(`E_IO: cannot read model '${p}': no such file or directory`);
    expect(await codeOf(() => loadGcmSync(p))).toMatch(/^E_IO: .*nope\.gcm/);
  });

  it('gives E_MODEL_FORMAT with the path for a corrupted file', async () => {
    const p = join(dir, 'bad.gcm');
    await saveGcm(p, smallGraph());
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 10));
    expect(await codeOf(loadGcm(p))).toMatch(new RegExp(`^E_MODEL_FORMAT: ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read \\.gcm model: .*truncated`));
  });
});
