// Files: atomic writes and .gcm load/save. Node-only (the rest of core-ir is environment-free).
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GoldcrestError } from './errors.js';
import { deserializeGraph, serializeGraph } from './gcm/index.js';
import type { Graph } from './graph.js';

// The package index re-exports this module, so the in-memory .gcm API is exported from here too.
export * from './gcm/index.js';

const tempPathFor = (path: string) => join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

function ioError(action: string, path: string, e: unknown): GoldcrestError {
  const err = e as NodeJS.ErrnoException;
  const reason = err?.code === 'ENOENT' ? 'no such file or directory' : err?.code === 'EACCES' ? 'permission denied' : String(err?.message ?? e);
  return new GoldcrestError('E_IO', `cannot ${action} '${path}': ${reason}`, { cause: e });
}

function checkBytes(path: string, bytes: unknown): void {
  if (typeof bytes !== 'string' && !(bytes instanceof Uint8Array)) {
    throw new GoldcrestError('E_ARGUMENT', `cannot write '${path}': data must be a Uint8Array or a string, got ${bytes === null ? 'null' : typeof bytes}`);
  }
}

/** Best effort: makes the rename itself durable. Not supported everywhere (e.g. Windows). */
function fsyncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* directory fsync is an optimisation of durability, not of correctness */ }
}

/**
 * Writes `bytes` to `path` atomically: a temp file in the same directory, fsync, rename over
 * `path`. Readers see the old file or the new one, never a partial one; if the write fails
 * the old file is untouched. Throws E_IO naming the path.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  checkBytes(path, bytes);
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw ioError('write', path, e);
  }
  fsyncDirSync(dirname(path));
}

/** Synchronous writeFileAtomic (same guarantees). */
export function writeFileAtomicSync(path: string, bytes: Uint8Array | string): void {
  checkBytes(path, bytes);
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw ioError('write', path, e);
  }
  fsyncDirSync(dirname(path));
}

/** Serializes `graph` and writes it atomically to `path`. */
export async function saveGcm(path: string, graph: Graph): Promise<void> {
  await writeFileAtomic(path, serializeGraph(graph));
}

/** Prefixes the path to E_MODEL_FORMAT messages so the user knows which file is bad. */
function decodeFile(path: string, bytes: Uint8Array): Graph {
  try {
    return deserializeGraph(bytes);
  } catch (e) {
    if (e instanceof GoldcrestError && e.code === 'E_MODEL_FORMAT') throw new GoldcrestError('E_MODEL_FORMAT', `${path}: ${e.message}`, { cause: e.cause ?? e });
    throw e;
  }
}

/**
 * Reads and decodes a .gcm file. E_IO (with the path) when it cannot be read, E_MODEL_FORMAT
 * when it is not a valid .gcm model. Weights view the file's bytes (no copy).
 */
export async function loadGcm(path: string): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw ioError('read model', path, e);
  }
  return decodeFile(path, bytes);
}

/** Synchronous loadGcm. */
export function loadGcmSync(path: string): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw ioError('read model', path, e);
  }
  return decodeFile(path, bytes);
}

/** Synchronous saveGcm. */
export function saveGcmSync(path: string, graph: Graph): void {
  writeFileAtomicSync(path, serializeGraph(graph));
}
