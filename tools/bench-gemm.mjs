#!/usr/bin/env node
// Single-thread f32 GEMM throughput of every microkernel ISA vs this machine's measured FMA peak.
// Usage: node tools/bench-gemm.mjs [--size 512] [--rounds 7] [--json]
// GEMM time excludes B packing (B is packed once, as at session creation); packing is timed
// separately. All times are thread CPU time, as is the peak's, so other load on a shared machine
// does not count as kernel time. Needs the addon (pnpm install) and g++ for the peak probe (tools/peak/).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const size = opt('size', 512);
const rounds = opt('rounds', 7);
const json = args.includes('--json');

const addonPath = join(root, 'packages/runtime-native/build/Release/goldcrest.node');
if (!existsSync(addonPath)) {
  console.error(`bench-gemm: ${addonPath} is missing; run \`pnpm install\` (or pnpm --filter @goldcrest/runtime-native build:native)`);
  process.exit(1);
}
const mk = createRequire(import.meta.url)(addonPath).microkernels;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const probe = () => JSON.parse(execFileSync(join(root, 'tools/peak/measure-fma-peak.sh'), ['--json', '--rounds', '1'], { encoding: 'utf8' }));
// Which register-only peak an ISA is measured against (scalar code is compared with the AVX2 one).
const peakKey = (isa) => (isa === 'avx512' ? 'avx512' : 'avx2');

// Each round measures the peak right before the GEMM, so the ratio is taken under the same
// machine conditions (shared cores, frequency); medians over rounds.
const flops = 2 * size ** 3;
const peaks = [];
const rows = mk.isas().map((isa) => {
  const once = mk.gemmBench(isa, size, size, size, 1);
  const iters = Math.max(1, Math.round(0.25 / once));  // ~0.25 s per round
  const gflops = [], ratios = [], peakRound = [];
  for (let r = 0; r < rounds; r++) {
    const p = probe();
    peaks.push(p);
    const g = flops / mk.gemmBench(isa, size, size, size, iters) / 1e9;
    gflops.push(g);
    peakRound.push(p[peakKey(isa)]);
    ratios.push(g / p[peakKey(isa)]);
  }
  const packSecs = median(Array.from({ length: rounds }, () => mk.packBench(isa, size, size, 20)));
  const g = median(gflops);
  return { isa, tile: mk.gemmTile(isa), ms: (flops / g / 1e9) * 1e3, gflops: g, peakGflops: median(peakRound), ratio: median(ratios), bestRatio: Math.max(...ratios), roundRatios: ratios, packMs: packSecs * 1e3 };
});
const peak = { avx2: median(peaks.map((p) => p.avx2)), avx512: median(peaks.map((p) => p.avx512)) };

if (json) {
  console.log(JSON.stringify({ size, threads: 1, rounds, peak, results: rows }, null, 2));
} else {
  console.log(`fp32 FMA peak (1 thread, register-only, median over all rounds): avx2 ${peak.avx2.toFixed(1)} GFLOP/s, avx512 ${peak.avx512.toFixed(1)} GFLOP/s`);
  console.log(`GEMM ${size}x${size}x${size}, 1 thread, median of ${rounds} rounds (B packing excluded):`);
  for (const r of rows) {
    const tile = `${r.tile.mr}x${r.tile.nr}${r.tile.kc ? ` kc=${r.tile.kc}` : ''}`;
    console.log(`  ${r.isa.padEnd(7)} tile ${tile.padEnd(14)} ${r.ms.toFixed(2).padStart(8)} ms  ${r.gflops.toFixed(1).padStart(6)} GFLOP/s  ` +
      `${(100 * r.ratio).toFixed(1).padStart(5)}% of ${peakKey(r.isa)} peak (${r.peakGflops.toFixed(1)}; best round ${(100 * r.bestRatio).toFixed(1)}%)   pack B ${r.packMs.toFixed(3)} ms`);
  }
  // Per-round ratios, in run order: on a shared host the GEMM (not the register-only peak) drops
  // for stretches of seconds, so the spread tells a quiet run from a contended one.
  for (const r of rows) console.log(`  ${r.isa.padEnd(7)} rounds: ${r.roundRatios.map((x) => `${(100 * x).toFixed(0)}%`).join(' ')}`);
}
