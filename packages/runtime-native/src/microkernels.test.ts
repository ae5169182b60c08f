// Every microkernel on every ISA this machine supports, on random inputs and shapes chosen around
// the tile edges, against (a) the scalar ISA and (b) an independent plain-JS reference in float64.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nativeAddon } from './native.js';
import { rng } from '@goldcrest/core-ir';

type Act = 'none' | 'relu' | 'relu6' | 'clip' | 'hardswish' | 'hardsigmoid' | 'sigmoid';
interface Window {
  inH: number; inW: number; channels: number; outH: number; outW: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number;
  dilationH: number; dilationW: number; padTop: number; padLeft: number;
}
interface Microkernels {
  isas(): string[];
  gemmTile(isa: string): { mr: number; nr: number; kc: number };
  gemm(isa: string, M: number, K: number, N: number, A: Float32Array, B: Float32Array, bTransposed: boolean,
    bias: Float32Array | null, residual: Float32Array | null, act: Act, p0: number, p1: number, residualInPlace?: boolean): Float32Array;
  dwconv(isa: string, w: Window, input: Float32Array, weights: Float32Array, bias: Float32Array | null, act: Act, p0: number, p1: number): Float32Array;
  maxpool(isa: string, w: Window, input: Float32Array): Float32Array;
  globalAvgpool(isa: string, pixels: number, channels: number, input: Float32Array): Float32Array;
  vbinary(isa: string, op: string, mode: string, n: number, a: Float32Array, b: Float32Array): Float32Array;
  vactivation(isa: string, act: Act, p0: number, p1: number, x: Float32Array): Float32Array;
  softmax(isa: string, rows: number, n: number, x: Float32Array): Float32Array;
}

const mk = (nativeAddon() as unknown as { microkernels: Microkernels }).microkernels;
const ISAS = mk.isas();
const SIMD = ISAS.filter((i) => i !== 'scalar');
const ACTS: [Act, number, number][] = [
  ['none', 0, 0], ['relu', 0, 0], ['relu6', 0, 6], ['clip', -0.4, 0.7], ['hardswish', 0, 0], ['hardsigmoid', 0.2, 0.5], ['sigmoid', 0, 0],
];

const rand = rng(12345);
function randomArray(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
  return a;
}

function actRef(kind: Act, p0: number, p1: number, x: number): number {
  switch (kind) {
    case 'none': return x;
    case 'relu': return Math.max(x, 0);
    case 'relu6': return Math.min(Math.max(x, 0), 6);
    case 'clip': return Math.min(Math.max(x, p0), p1);
    case 'hardswish': return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
    case 'hardsigmoid': return Math.min(Math.max(p0 * x + p1, 0), 1);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
  }
}

/** |actual - expected| <= tol(i) for every element; reports the first few offenders. */
function expectClose(what: string, actual: Float32Array, expected: ArrayLike<number>, tol: (i: number) => number): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= tol(i)) && bad.length < 5) bad.push(`[${i}] ${actual[i]} vs ${expected[i]} (tol ${tol(i)})`);
  }
  expect(bad, what).toEqual([]);
}

describe('microkernels: ISA detection', () => {
  it('lists scalar and every SIMD ISA the CPU reports', () => {
    expect(ISAS[0]).toBe('scalar');
    if (process.platform === 'linux' && process.arch === 'x64') {
      const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
      expect(ISAS.includes('avx2')).toBe(flags.has('avx2') && flags.has('fma') && flags.has('f16c'));
      expect(ISAS.includes('avx512')).toBe(['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f)));
    }
  });

  it('rejects bad arguments with errors instead of crashing', () => {
    expect(() => mk.vactivation('nope', 'relu', 0, 0, new Float32Array(4))).toThrow(/ISA 'nope'/);
    expect(() => mk.vactivation('scalar', 'gelu' as Act, 0, 0, new Float32Array(4))).toThrow(/activation 'gelu'/);
    expect(() => mk.gemm('scalar', 2, 3, 4, new Float32Array(5), new Float32Array(12), false, null, null, 'none', 0, 0)).toThrow(/A has 5 elements, expected 6/);
    expect(() => mk.gemm('scalar', 2, 3, 4, new Float32Array(6), new Float32Array(12), false, new Float32Array(3), null, 'none', 0, 0)).toThrow(/bias/);
    expect(() => mk.softmax('scalar', 1, 4, new Float64Array(4) as unknown as Float32Array)).toThrow(/Float32Array/);
    const w: Window = { inH: 4, inW: 4, channels: 2, outH: 2, outW: 2, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0 };
    expect(() => mk.maxpool('scalar', { ...w, strideH: 0 }, new Float32Array(32))).toThrow(/strideH/);
    expect(() => mk.dwconv('scalar', w, new Float32Array(31), new Float32Array(18), null, 'none', 0, 0)).toThrow(/input/);
  });
});

describe.each(ISAS)('microkernels on %s', (isa) => {
  // One GEMM case vs a float64 JS reference (and vs the scalar table); `c` varies the options.
  const checkGemm = (M: number, K: number, N: number, c: number) => {
    const [act, p0, p1] = ACTS[c % ACTS.length];
    const trans = c % 2 === 1;
    const A = randomArray(M * K), B = randomArray(K * N);
    const bias = c % 3 !== 0 ? randomArray(N) : null;
    const res = c % 4 < 2 ? randomArray(M * N) : null;
    // Half of the residual cases alias it with C (as an in-place Conv + Add would), incl. K > kc.
    const got = mk.gemm(isa, M, K, N, A, B, trans, bias, res, act, p0, p1, c % 4 === 1);
    const ref = new Float64Array(M * N), mag = new Float64Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
      let s = 0, g = 0;
      for (let k = 0; k < K; k++) {
        const p = A[m * K + k] * (trans ? B[n * K + k] : B[k * N + n]);
        s += p;
        g += Math.abs(p);
      }
      if (bias) { s += bias[n]; g += Math.abs(bias[n]); }
      if (res) { s += res[m * N + n]; g += Math.abs(res[m * N + n]); }
      ref[m * N + n] = actRef(act, p0, p1, s);
      mag[m * N + n] = g;
    }
    const tol = (i: number) => 2e-5 * mag[i] + 1e-6;
    const what = `${isa} gemm M=${M} K=${K} N=${N} ${act}${trans ? ' bT' : ''}`;
    expectClose(`${what} vs JS`, got, ref, tol);
    if (isa !== 'scalar') expectClose(`${what} vs scalar`, got, mk.gemm('scalar', M, K, N, A, B, trans, bias, res, act, p0, p1), tol);
  };

  it('gemm: tile edges in M, N, K (incl. K blocking), bias, residual (also aliasing C), every activation, B transposed or not', () => {
    const { mr, nr, kc } = mk.gemmTile(isa);
    const Ms = [...Array.from({ length: mr + 1 }, (_, i) => i + 1), 2 * mr + 3];
    // nr + nr/2 + 1: a tail panel between one and all of its vectors; 8 * nr + 5: chunks of panels.
    const Ns = [...new Set([1, Math.max(1, nr - 1), nr, nr + 1, nr + (nr >> 1) + 1, 2 * nr + 5, 8 * nr + 5])];
    const Ks = [1, 3, 17, 64, ...(kc > 0 ? [kc, kc + 44] : [300])];
    let c = 0;
    for (const M of Ms) for (const N of Ns) for (const K of Ks) checkGemm(M, K, N, ++c);
  });

  it('gemm: narrow N (one panel of 1 or 2 vectors: the taller tiles of AVX-512) at their row edges', () => {
    const { kc } = mk.gemmTile(isa);
    // 24 x 1-vector and 12 x 2-vector tiles on AVX-512: every tail row count, and several tiles.
    const Ms = [1, 2, 5, 11, 12, 13, 23, 24, 25, 37, 50];
    const Ns = [1, 7, 16, 17, 24, 32];
    const Ks = [3, 64, ...(kc > 0 ? [kc + 44] : [300])];
    let c = 0;
    for (const M of Ms) for (const N of Ns) for (const K of Ks) checkGemm(M, K, N, ++c);
  });

  const windows: Window[] = [];
  {
    let c = 0;
    const channelCounts = [...Array.from({ length: 33 }, (_, i) => i + 1), 48, 64, 67, 100, 130];
    for (const C of channelCounts) for (const k of [3, 5]) for (const s of [1, 2]) for (const d of [1, 2]) for (const pad of [0, 1, 2]) {
      c++;
      if (C > 33 && c % 3 !== 0) continue;  // wide channel counts: a third of the geometries is plenty
      const inH = 6 + (c % 4), inW = 5 + (c % 5);
      const outH = Math.floor((inH + 2 * pad - ((k - 1) * d + 1)) / s) + 1;
      const outW = Math.floor((inW + 2 * pad - ((k - 1) * d + 1)) / s) + 1;
      if (outH < 1 || outW < 1) continue;
      windows.push({ inH, inW, channels: C, outH, outW, kernelH: k, kernelW: k, strideH: s, strideW: s, dilationH: d, dilationW: d, padTop: pad, padLeft: pad });
    }
    // Asymmetric windows, strides and pads; bottom/right padding implied by larger outputs.
    windows.push({ inH: 9, inW: 11, channels: 19, outH: 5, outW: 9, kernelH: 3, kernelW: 5, strideH: 2, strideW: 1, dilationH: 1, dilationW: 2, padTop: 1, padLeft: 3 });
    windows.push({ inH: 8, inW: 8, channels: 40, outH: 4, outW: 4, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0 });
    windows.push({ inH: 5, inW: 7, channels: 17, outH: 3, outW: 4, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 });
    // Wide rows: several interior runs of multi-pixel blocks plus remainders and both borders.
    windows.push({ inH: 5, inW: 23, channels: 67, outH: 5, outW: 23, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 });
    windows.push({ inH: 6, inW: 30, channels: 33, outH: 3, outW: 15, kernelH: 5, kernelW: 5, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2, padTop: 4, padLeft: 4 });
    windows.push({ inH: 4, inW: 40, channels: 16, outH: 2, outW: 38, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0 });
    windows.push({ inH: 3, inW: 27, channels: 130, outH: 3, outW: 14, kernelH: 3, kernelW: 3, strideH: 1, strideW: 2, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1 });
  }
  const taps = (w: Window, oy: number, ox: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let ky = 0; ky < w.kernelH; ky++) for (let kx = 0; kx < w.kernelW; kx++) {
      const iy = oy * w.strideH - w.padTop + ky * w.dilationH, ix = ox * w.strideW - w.padLeft + kx * w.dilationW;
      if (iy >= 0 && iy < w.inH && ix >= 0 && ix < w.inW) out.push([ky * w.kernelW + kx, iy * w.inW + ix]);
    }
    return out;
  };
  const label = (w: Window) => `C=${w.channels} ${w.kernelH}x${w.kernelW} s${w.strideH},${w.strideW} d${w.dilationH},${w.dilationW} p${w.padTop},${w.padLeft} in ${w.inH}x${w.inW}`;

  it('dwconv: channels 1..33 and wide, 3x3/5x5, strides 1/2, dilation 2, paddings, bias, activations', () => {
    windows.forEach((w, c) => {
      const C = w.channels;
      const [act, p0, p1] = ACTS[c % ACTS.length];
      const x = randomArray(w.inH * w.inW * C), wt = randomArray(w.kernelH * w.kernelW * C);
      const bias = c % 2 ? randomArray(C) : null;
      const got = mk.dwconv(isa, w, x, wt, bias, act, p0, p1);
      const ref = new Float64Array(got.length), mag = new Float64Array(got.length);
      for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) {
        const t = taps(w, oy, ox);
        for (let ch = 0; ch < C; ch++) {
          let s = bias ? bias[ch] : 0, g = Math.abs(s);
          for (const [tw, ti] of t) {
            const p = x[ti * C + ch] * wt[tw * C + ch];
            s += p;
            g += Math.abs(p);
          }
          const o = (oy * w.outW + ox) * C + ch;
          ref[o] = actRef(act, p0, p1, s);
          mag[o] = g;
        }
      }
      const tol = (i: number) => 2e-5 * mag[i] + 1e-6;
      expectClose(`${isa} dwconv ${label(w)} ${act} vs JS`, got, ref, tol);
      if (isa !== 'scalar') expectClose(`${isa} dwconv ${label(w)} vs scalar`, got, mk.dwconv('scalar', w, x, wt, bias, act, p0, p1), tol);
    });
  });

  it('maxpool: same geometries; padding never wins the max (exact)', () => {
    for (const w of windows) {
      const C = w.channels;
      const x = randomArray(w.inH * w.inW * C, 5).map((v) => v - 10);  // all negative: a padded 0 would show
      const got = mk.maxpool(isa, w, x);
      const ref = new Float32Array(got.length);
      for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) {
        const t = taps(w, oy, ox);
        for (let ch = 0; ch < C; ch++) ref[(oy * w.outW + ox) * C + ch] = t.reduce((m, [, ti]) => Math.max(m, x[ti * C + ch]), -Infinity);
      }
      expectClose(`${isa} maxpool ${label(w)} vs JS`, got, ref, () => 0);
      if (isa !== 'scalar') expectClose(`${isa} maxpool ${label(w)} vs scalar`, got, mk.maxpool('scalar', w, x), () => 0);
    }
  });

  it('globalAvgpool: pixels x odd channel counts', () => {
    for (const pixels of [1, 7, 49, 300]) for (const C of [...Array.from({ length: 33 }, (_, i) => i + 1), 64, 100, 130]) {
      const x = randomArray(pixels * C, 3);
      const got = mk.globalAvgpool(isa, pixels, C, x);
      const ref = new Float64Array(C), mag = new Float64Array(C);
      for (let p = 0; p < pixels; p++) for (let ch = 0; ch < C; ch++) {
        ref[ch] += x[p * C + ch] / pixels;
        mag[ch] += Math.abs(x[p * C + ch]) / pixels;
      }
      const tol = (i: number) => 1e-5 * mag[i] + 1e-7;
      expectClose(`${isa} gap pixels=${pixels} C=${C} vs JS`, got, ref, tol);
      if (isa !== 'scalar') expectClose(`${isa} gap pixels=${pixels} C=${C} vs scalar`, got, mk.globalAvgpool('scalar', pixels, C, x), tol);
    }
  });

  const lengths = [0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000];

  it('vbinary: every op x mode, lengths around the vector width (exact: IEEE ops)', () => {
    const ops: Record<string, (a: number, b: number) => number> = { add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b };
    for (const n of lengths) for (const [op, f] of Object.entries(ops)) for (const mode of ['vv', 'vs', 'sv']) {
      const a = randomArray(mode === 'sv' ? 1 : n, 10), b = randomArray(mode === 'vs' ? 1 : n, 10);
      const got = mk.vbinary(isa, op, mode, n, a, b);
      const ref = Float32Array.from({ length: n }, (_, i) => f(a[mode === 'sv' ? 0 : i], b[mode === 'vs' ? 0 : i]));
      expectClose(`${isa} vbinary ${op} ${mode} n=${n} vs JS`, got, ref, () => 0);
      if (isa !== 'scalar') expectClose(`${isa} vbinary ${op} ${mode} n=${n} vs scalar`, got, mk.vbinary('scalar', op, mode, n, a, b), () => 0);
    }
  });

  it('vactivation: every kind, lengths around the vector width, wide input range', () => {
    for (const n of lengths) for (const [act, p0, p1] of ACTS) {
      const x = randomArray(n, n > 100 ? 100 : 8);
      const got = mk.vactivation(isa, act, p0, p1, x);
      const ref = Array.from(x, (v) => actRef(act, p0, p1, v));
      // Relative, plus a term for the float32 rounding of x-dependent sums that cancel near 0
      // (hardsigmoid at x = -beta/alpha, hardswish at x = -3).
      const tol = (i: number) => 1e-5 * Math.abs(ref[i]) + 1e-6 * (1 + x[i] * x[i]) * (act.startsWith('hard') ? 1 : 0) + 1e-30;
      expectClose(`${isa} ${act} n=${n} vs JS`, got, ref, tol);
      if (isa !== 'scalar') expectClose(`${isa} ${act} n=${n} vs scalar`, got, mk.vactivation('scalar', act, p0, p1, x), tol);
    }
  });

  it('sigmoid (vector exp) stays within 1e-6 relative over [-80, 80]', () => {
    const x = Float32Array.from({ length: 16001 }, (_, i) => -80 + i * 0.01);
    const got = mk.vactivation(isa, 'sigmoid', 0, 0, x);
    let worst = 0;
    x.forEach((v, i) => { const r = 1 / (1 + Math.exp(-v)); worst = Math.max(worst, Math.abs(got[i] - r) / r); });
    expect(worst).toBeLessThan(1e-6);
  });

  it('softmax: rows x lengths around the vector width, large logits', () => {
    for (const rows of [1, 3]) for (const n of lengths.filter((l) => l > 0)) {
      const x = randomArray(rows * n, 30);
      const got = mk.softmax(isa, rows, n, x);
      const ref = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        const row = x.subarray(r * n, (r + 1) * n);
        const mx = Math.max(...row);
        const e = Array.from(row, (v) => Math.exp(v - mx));
        const s = e.reduce((a, b) => a + b, 0);
        e.forEach((v, i) => { ref[r * n + i] = v / s; });
      }
      const tol = (i: number) => 1e-5 * Math.abs(ref[i]) + 1e-30;
      expectClose(`${isa} softmax ${rows}x${n} vs JS`, got, ref, tol);
      if (isa !== 'scalar') expectClose(`${isa} softmax ${rows}x${n} vs scalar`, got, mk.softmax('scalar', rows, n, x), tol);
    }
  });
});

describe('microkernels: SIMD coverage', () => {
  it('runs at least one SIMD ISA on x86-64 machines with AVX2', () => {
    if (process.platform === 'linux' && process.arch === 'x64' && readFileSync('/proc/cpuinfo', 'utf8').includes(' avx2')) expect(SIMD.length).toBeGreaterThan(0);
  });
});
