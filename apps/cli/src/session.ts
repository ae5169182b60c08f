// Creating a runtime session for a model path, shared by run and bench.
import { availableParallelism } from 'node:os';
import { type Graph, type Tensor } from '@goldcrest/core-ir';
import { InferenceSession } from '@goldcrest/runtime-native';
import { isGcmPath, loadModel } from './model.js';

export const defaultThreads = () => Math.max(1, Math.min(availableParallelism(), 4));

export interface OpenedModel {
  graph: Graph;
  session: InferenceSession;
  /** Reading/converting the model plus creating the session (weights packed, plan built). */
  loadMs: number;
}

/**
 * A .gcm goes to the runtime by path (the way an application would load it); other formats are
 * converted first, with `inputShapes` pinning symbolic dims.
 */
export async function openModel(path: string, threads: number, inputShapes: Record<string, number[]>): Promise<OpenedModel> {
  const t0 = performance.now();
  const { graph } = await loadModel(path, { inputShapes });
  const session = await InferenceSession.create(isGcmPath(path) ? path : graph, { threads });
  return { graph, session, loadMs: performance.now() - t0 };
}

export type Feeds = Record<string, Tensor>;
