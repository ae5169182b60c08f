// Loads the node-addon-api addon (build/Release/goldcrest.node, built by `pnpm install`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoldcrestError, type ErrorCode } from '@goldcrest/core-ir';

export interface NativeSession {
  run(feeds: ArrayBufferView[]): Promise<ArrayBuffer[]>;
  release(): void;
  updateConstant(tensor: number, data: ArrayBufferView): void;
  readonly isa: string | undefined;
  readonly threads: number | undefined;
  readonly arenaBytes: number | undefined;
  /** Per-node ms of the last run (sessions created with profile: true). */
  readonly profile: Float64Array | undefined;
}

export interface NativeAddon {
  Session: new (plan: object, options: { isa?: string; threads?: number; profile?: boolean }) => NativeSession;
  supportedIsas(): string[];
  cpuFeatures(): Record<string, boolean>;
}

let cached: NativeAddon | undefined;

/** The addon, loaded once. Throws E_RUNTIME saying how to build it when it is missing. */
export function nativeAddon(): NativeAddon {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  // src/ (tests, from source) and dist/ (built package) both sit one level below the package root.
  const candidates = [join(here, '..', 'build', 'Release', 'goldcrest.node'), join(here, '..', '..', 'build', 'Release', 'goldcrest.node')];
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new GoldcrestError('E_RUNTIME', `the native addon is not built (looked for ${candidates[0]}); run \`pnpm install\` at the repo root or \`pnpm --filter @goldcrest/runtime-native build:native\` (needs g++, make, python3)`);
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeAddon;
  return cached;
}

const CODES = new Set<ErrorCode>(['E_MODEL_FORMAT', 'E_UNSUPPORTED_OP', 'E_SHAPE', 'E_DTYPE', 'E_FEED', 'E_GRAPH', 'E_ATTR', 'E_IO', 'E_ARGUMENT', 'E_RUNTIME', 'E_INTERNAL']);

/** Turns an error thrown by the addon (an Error with a `code`) into a GoldcrestError. */
export function fromNative(e: unknown): GoldcrestError {
  if (e instanceof GoldcrestError) return e;
  const err = e as { code?: string; message?: string };
  const code = CODES.has(err?.code as ErrorCode) ? (err.code as ErrorCode) : 'E_RUNTIME';
  return new GoldcrestError(code, err?.message ?? String(e), { cause: e });
}

/** Calls into the addon, converting its errors. */
export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromNative(e);
  }
}

/** ISAs usable on this machine and build, e.g. ['scalar', 'avx2', 'avx512']. */
export function supportedIsas(): string[] {
  return nativeAddon().supportedIsas();
}
