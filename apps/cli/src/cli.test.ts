// End to end on the real PP-OCR direction classifier: convert, run (checked against
// onnxruntime-node on the same input), bench, inspect, errors and exit codes. Most cases call
// main() in-process; a few spawn the built CLI (apps/cli/dist/cli.js) when it exists.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graph, Tensor, decodeNpy, encodeNpy, maxRelDiff, randomTensor, rng, saveGcm } from '@goldcrest/core-ir';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetPath } from '../../../tools/assets.mjs';
import { captureIo } from './io.js';
import { main } from './program.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const DIST_CLI = join(ROOT, 'apps/cli/dist/cli.js');
const OUT = 'softmax_0.tmp_0';

let dir: string;
let onnxPath: string;
let gcmPath: string;
let xPath: string;
let x: Float32Array;
let reference: Float32Array;

/** Runs the CLI in-process; returns exit code and printed lines. */
async function cli(...argv: string[]) {
  const io = captureIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

/** max |a - ref| / max |ref| over the [1,2] output (the acceptance measure). */
const relErr = (a: Float32Array, ref: Float32Array) => maxRelDiff(new Tensor('float32', a, [1, 2]), new Tensor('float32', ref, [1, 2]));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gc-cli-'));
  onnxPath = assetPath('ppocr-cls');
  gcmPath = join(dir, 'cls.gcm');
  // Random input in [-1, 1], seeded so failures reproduce.
  x = randomTensor([1, 3, 48, 192], rng(20261122)).data as Float32Array;
  xPath = join(dir, 'x.npy');
  writeFileSync(xPath, encodeNpy(new Tensor('float32', x, [1, 3, 48, 192])));
  const session = await ort.InferenceSession.create(onnxPath);
  const out = await session.run({ x: new ort.Tensor('float32', x, [1, 3, 48, 192]) });
  reference = out[OUT].data as Float32Array;
  expect(out[OUT].dims).toEqual([1, 2]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('goldcrest on the PP-OCR cls model', () => {
  it('convert writes a .gcm and prints a summary', async () => {
    const r = await cli('convert', onnxPath, '-o', gcmPath);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(gcmPath)).toBe(true);
    expect(r.stdout).toMatch(/converted .* -> .*cls\.gcm/);
    expect(r.stdout).toMatch(/Conv2D \d+/);
    expect(r.stdout).toMatch(/params/);
    expect(r.stdout).toMatch(/note: symbolic input dims .* --input-shape x=/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temp files left behind
  });

  it('run writes softmax_0.tmp_0.npy within 1e-4 of onnxruntime-node', async () => {
    const out = join(dir, 'out');
    const r = await cli('run', gcmPath, '--input', `x=${xPath}`, '--output-dir', out, '--threads', '2');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const y = decodeNpy(readFileSync(join(out, `${OUT}.npy`)));
    expect(y.type).toBe('float32');
    expect(y.dims).toEqual([1, 2]);
    expect(relErr(y.data as Float32Array, reference)).toBeLessThanOrEqual(1e-4);
  });

  it('run converts an .onnx on the fly, shapes taken from the .npy', async () => {
    const out = join(dir, 'out-onnx');
    const r = await cli('run', onnxPath, '--input', xPath, '--output-dir', out, '--threads', '1');
    expect(r.stderr).toBe('');
    const y = decodeNpy(readFileSync(join(out, `${OUT}.npy`)));
    expect(relErr(y.data as Float32Array, reference)).toBeLessThanOrEqual(1e-4);
  });

  it('bench --json prints one JSON object', async () => {
    // Converted without --input-shape, the .gcm keeps the model's symbolic N, H, W: bench must be told.
    const r = await cli('bench', gcmPath, '--json', '--loops', '5', '--warmup', '1', '--threads', '1', '--input-shape', 'x=1,3,48,192');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.loops).toBe(5);
    expect(j.threads).toBe(1);
    expect(['scalar', 'avx2', 'avx512']).toContain(j.isa);
    expect(j.inputs).toEqual({ x: { dtype: 'float32', shape: [1, 3, 48, 192] } });
    expect(j.latencyMs.min).toBeGreaterThan(0);
    expect(j.latencyMs.min).toBeLessThanOrEqual(j.latencyMs.median);
    expect(j.latencyMs.median).toBeLessThanOrEqual(j.latencyMs.p90);
    expect(j.loadMs).toBeGreaterThan(0);
    expect(j.peakRssMiB).toBeGreaterThan(10);
    const scalar = JSON.parse((await cli('bench', gcmPath, '--json', '--loops', '1', '--warmup', '0', '--isa', 'scalar', '--input-shape', 'x=1,3,48,192')).stdout);
    expect(scalar.isa).toBe('scalar');
    expect((await cli('bench', gcmPath, '--isa', 'neon')).code).toBe(2);
  });

  it('bench without shapes fills the free dims itself and reports its choice', async () => {
    const r = await cli('bench', gcmPath, '--json', '--loops', '1', '--warmup', '0', '--threads', '1');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const [n, c, h, w] = j.inputs.x.shape;
    expect([n, c]).toEqual([1, 3]);
    expect(h).toBe(w);
    expect(j.filledFreeDims).toHaveLength(3); // batch, height, width
    expect(j.filledFreeDims[0]).toMatch(/^x\[0\] .*=1$/);
  });

  it('inspect shows inputs, outputs, ops, params and MACs', async () => {
    const r = await cli('inspect', gcmPath, '--input-shape', 'x=1,3,48,192');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+x\s+float32\s+\[1,3,48,192\]/m);
    expect(r.stdout).toMatch(new RegExp(`^\\s+${OUT.replace(/\./g, '\\.')}\\s+float32\\s+\\[1,2\\]`, 'm'));
    expect(r.stdout).toMatch(/^\s+Conv2D\s+\d+/m);
    expect(r.stdout).toMatch(/^MACs: [\d.]+M \(\d+\)$/m);
    const j = JSON.parse((await cli('inspect', gcmPath, '--json', '--input-shape', 'x=1,3,48,192')).stdout);
    expect(j.ops.Conv2D).toBeGreaterThan(10);
    // The classifier is a small MobileNetV3: a few hundred thousand params, tens of MMACs at 48x192.
    expect(j.params).toBeGreaterThan(1e5);
    expect(j.params).toBeLessThan(1e7);
    expect(j.macs).toBeGreaterThan(1e6);
  });

  it('inspect of the .onnx reports what the optimizer did', async () => {
    const r = await cli('inspect', onnxPath, '--input-shape', 'x=1,3,48,192', '--json');
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout);
    expect(j.optimizer.nodesBefore).toBeGreaterThan(j.nodes); // BN folding, fusion and DCE remove nodes
    expect(j.optimizer.opsBefore.BatchNorm).toBeGreaterThan(0);
    expect(j.ops.BatchNorm).toBeUndefined();
    expect(Object.values(j.optimizer.totals).some((n) => (n as number) > 0)).toBe(true);
    const text = await cli('inspect', onnxPath, '--input-shape', 'x=1,3,48,192');
    expect(text.stdout).toMatch(/^optimizer \(NHWC.*\): \d+ -> \d+ nodes$/m);
  });

  it('accepts converter_lite flags (--x=v and --x v), appending .gcm to an extension-less output', async () => {
    const r = await cli('convert', '--fmk=ONNX', `--modelFile=${onnxPath}`, '--outputFile', join(dir, 'lite'), '--inputShape=x:1,3,48,192', '--optimize', 'general');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'lite.gcm'))).toBe(true);
    expect(r.stdout).toMatch(/inputs: +x float32 \[1,3,48,192\]/);
    // Both spellings of one thing must agree.
    const clash = await cli('convert', onnxPath, '--modelFile', join(dir, 'other.onnx'), '-o', join(dir, 'c.gcm'));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/given twice with different values/);
  });
});

describe('errors and exit codes', () => {
  it('a corrupted model is E_MODEL_FORMAT, exit 1, no stack', async () => {
    const bad = join(dir, 'bad.onnx');
    writeFileSync(bad, readFileSync(onnxPath).subarray(0, 1000));
    const r = await cli('convert', bad, '-o', join(dir, 'bad.gcm'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[E_MODEL_FORMAT\]: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'bad.gcm'))).toBe(false);
    const verbose = await cli('convert', bad, '-o', join(dir, 'bad.gcm'), '--verbose');
    expect(verbose.stderr).toMatch(/\n\s+at /);
  });

  it('a missing file is E_IO', async () => {
    const r = await cli('inspect', join(dir, 'nope.gcm'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error \[E_IO\]: cannot read model .*nope\.gcm.*no such file/);
  });

  it('usage errors exit 2', async () => {
    expect((await cli('convert', onnxPath, '-o', 'x.gcm', '--bogus')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('run', gcmPath, '--input', `x=${xPath}`)).code).toBe(2); // no --output-dir
    expect((await cli('bench', gcmPath, '--threads', '0')).code).toBe(2);
    const r = await cli('convert', onnxPath); // no output
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error \[E_ARGUMENT\]: no output given/);
    expect((await cli('convert', onnxPath, '-o', 'a.gcm', '--fmk=MINDIR')).stderr).toMatch(/--fmk=MINDIR is not supported/);
  });

  it('wrong feeds name the input and the fix', async () => {
    const out = join(dir, 'out-bad');
    let r = await cli('run', gcmPath, '--input', `y=${xPath}`, '--output-dir', out);
    expect(r.stderr).toMatch(/error \[E_FEED\]: .*no input 'y'.*inputs: x/);
    const f64 = join(dir, 'x64.npy');
    writeFileSync(f64, encodeNpy(new Tensor('float64', Float64Array.from(x), [1, 3, 48, 192])));
    r = await cli('run', gcmPath, '--input', `x=${f64}`, '--output-dir', out);
    expect(r.stderr).toMatch(/error \[E_FEED\]: .*expects float32 but the file holds float64/);
    const small = join(dir, 'small.npy');
    writeFileSync(small, encodeNpy(new Tensor('float32', new Float32Array(6), [1, 6])));
    r = await cli('run', gcmPath, '--input', `x=${small}`, '--output-dir', out);
    expect(r.stderr).toMatch(/error \[E_FEED\]: .*x=.*small\.npy: the model expects shape \[\w.*,3,\w.*\] but the file holds \[1,6\]/);
    expect(r.code).toBe(1);
  });

  it('output file names are sanitized', async () => {
    const g = new Graph('names');
    const a = g.addInput('in:0', 'float32', [2, 3]);
    const y = g.addValue('out/relu:0 é', 'float32', [2, 3]);
    g.addNode('Relu', [a], [y]);
    g.outputs.push(y);
    const path = join(dir, 'names.gcm');
    await saveGcm(path, g);
    const inp = join(dir, 'in.npy');
    writeFileSync(inp, encodeNpy(new Tensor('float32', new Float32Array([-1, 2, -3, 4, -5, 6]), [2, 3])));
    const out = join(dir, 'out-names');
    const r = await cli('run', path, '--input', `in:0=${inp}`, '--output-dir', out);
    expect(r.stderr).toBe('');
    expect(readdirSync(out)).toEqual(['out_relu_0__.npy']);
    expect(decodeNpy(readFileSync(join(out, 'out_relu_0__.npy'))).toNumbers()).toEqual([0, 2, 0, 4, 0, 6]);
  });
});

// The built CLI as users run it. CI builds before testing, so these run there.
describe.skipIf(!existsSync(DIST_CLI))('the built goldcrest binary', () => {
  const node = (args: string[]) => spawnSync(process.execPath, [DIST_CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });

  it('convert, run, bench --json and inspect', () => {
    const gcm = join(dir, 'bin.gcm');
    // Pinned at conversion: a static .gcm needs no shapes afterwards (and gets MACs in inspect).
    let r = node(['convert', onnxPath, '-o', gcm, '--input-shape', 'x=1,3,48,192']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = join(dir, 'bin-out');
    r = node(['run', gcm, '--input', `x=${xPath}`, '--output-dir', out, '--threads', '2']);
    expect(r.status).toBe(0);
    expect(relErr(decodeNpy(readFileSync(join(out, `${OUT}.npy`))).data as Float32Array, reference)).toBeLessThanOrEqual(1e-4);
    r = node(['bench', gcm, '--json', '--loops', '3', '--warmup', '1']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).latencyMs.median).toBeGreaterThan(0);
    r = node(['inspect', gcm]);
    expect(r.stdout).toMatch(/^\s+Conv2D\s+\d+$/m);
    expect(r.stdout).toMatch(/^MACs: [\d.]+M/m);
  });

  it('exit codes: 1 with error [E_MODEL_FORMAT] for a bad model, 2 for an unknown flag, 0 for --help', () => {
    const bad = join(dir, 'garbage.onnx');
    writeFileSync(bad, 'this is not a model');
    let r = node(['inspect', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error \[E_MODEL_FORMAT\]: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    r = node(['run', gcmPath, '--no-such-flag']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
    r = node(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/convert/);
  });

  it('never waits for stdin', async () => {
    // stdin stays an open pipe that nobody writes to or closes.
    const child = spawn(process.execPath, [DIST_CLI, 'inspect', gcmPath], { stdio: ['pipe', 'ignore', 'ignore'] });
    const code = await new Promise<number | null>((res) => {
      const t = setTimeout(() => { child.kill(); res(null); }, 60_000);
      child.on('exit', (c) => { clearTimeout(t); res(c); });
    });
    expect(code).toBe(0);
  });
});
