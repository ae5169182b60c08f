// Loading a model given on the command line: .gcm directly, anything else through the converter.
import { accessSync, constants, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { convert } from '@goldcrest/converter';
import { type Graph, GoldcrestError, loadGcm } from '@goldcrest/core-ir';
import type { ModelFormat } from './args.js';

export interface LoadOptions {
  format?: ModelFormat;
  inputShapes?: Record<string, number[]>;
  /** Run the converter's optimizer passes (default true). */
  optimize?: boolean;
  /** Caffe weights (.caffemodel) next to a .prototxt. */
  weights?: string;
}

export interface LoadedModel {
  graph: Graph;
  /** 'gcm' or the source format the converter handled. */
  format: string;
  /** Wall time of reading (and converting) the model. */
  ms: number;
}

export const isGcmPath = (path: string) => extname(path).toLowerCase() === '.gcm';

/** Reads a whole file, turning fs errors into E_IO naming the file and what it was for. */
export function readInputFile(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new GoldcrestError('E_IO', `cannot read ${what} '${path}': ${reason}`, { cause: e });
  }
}

/** A clear E_IO for a missing or unreadable file, before a reader turns it into something vaguer. */
export function checkReadable(path: string, what: string): void {
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new GoldcrestError('E_IO', `cannot read ${what} '${path}': ${reason}`, { cause: e });
  }
}

export async function loadModel(path: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const t0 = performance.now();
  if (isGcmPath(path) && !opts.format) {
    checkReadable(path, 'model');
    const graph = await loadGcm(path);
    return { graph, format: 'gcm', ms: performance.now() - t0 };
  }
  checkReadable(path, 'model');
  if (opts.weights) checkReadable(opts.weights, 'weights file');
  const graph = await convert(path, {
    format: opts.format,
    inputShapes: opts.inputShapes && Object.keys(opts.inputShapes).length ? opts.inputShapes : undefined,
    optimize: opts.optimize ?? true,
    ...(opts.weights ? { weights: opts.weights } : {}),
  } as Parameters<typeof convert>[1]);
  return { graph, format: opts.format ?? String(graph.metadata.sourceFormat ?? graph.metadata.format ?? extname(path).slice(1)), ms: performance.now() - t0 };
}
