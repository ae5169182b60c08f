// The kernel manifest, the generated tables and the sources they name stay consistent.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { getSchema } from '@goldcrest/core-ir';
import { ALIAS_OPS, KERNELS } from './kernels.generated.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifest = JSON.parse(readFileSync(join(pkg, 'kernels.manifest.json'), 'utf8')) as {
  kernels: { id: number; op: string; dtype: string; sources: string[]; microkernels: string[] }[];
};

describe('kernel table', () => {
  it('generated files are up to date with the manifest', () => {
    execFileSync(process.execPath, [join(pkg, '..', '..', 'tools', 'gen-kernel-table.mjs'), '--check'], { stdio: 'pipe' });
  });

  it('ids are unique and every (op, dtype) names a core-ir op', () => {
    expect(new Set(KERNELS.map((k) => k.id)).size).toBe(KERNELS.length);
    for (const k of KERNELS) expect(getSchema(k.op).name).toBe(k.op);
    for (const op of ALIAS_OPS) expect(getSchema(op).name).toBe(op);
  });

  it('every source and microkernel family the manifest names exists (the cropper relies on it)', () => {
    for (const k of manifest.kernels) {
      for (const s of k.sources) expect(existsSync(join(pkg, s)), s).toBe(true);
      for (const f of k.microkernels) expect(existsSync(join(pkg, 'native', 'microkernels', f, 'scalar.cc')), f).toBe(true);
    }
  });
});
