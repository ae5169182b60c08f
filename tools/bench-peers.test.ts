// Smoke test of the peer benchmark script (CI builds before testing): it must run, emit one JSON
// object, and its outputs must agree with onnxruntime-node. Timings are not asserted.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = ['core-ir', 'converter', 'runtime-native'].every((p) => existsSync(`${root}packages/${p}/dist/index.js`));

describe.skipIf(!built)('tools/bench-peers.mjs', () => {
  it('times ppocr-cls against onnxruntime-node and reports agreement as JSON', () => {
    const r = spawnSync(process.execPath, ['tools/bench-peers.mjs', '--models', 'ppocr-cls,nope', '--runs', '3', '--warmup', '1', '--threads', '1,2', '--json'], {
      cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.rows.map((x: { threads: number }) => x.threads)).toEqual([1, 2]);
    for (const row of j.rows) {
      expect(row.model).toBe('ppocr-cls');
      expect(row.maxRelErr).toBeLessThanOrEqual(1e-4);
      expect(row.goldcrest.median).toBeGreaterThan(0);
      expect(row.ort.median).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.goldcrest.median / row.ort.median, 10);
    }
    expect(j.skipped).toEqual([{ model: 'nope', reason: expect.stringMatching(/unknown model/) }]);
  });
});
