import type { OnnxNode } from './node.js';

/**
 * One ONNX operator (default domain) as the frontend understands it. The tables in ops/ hold one
 * entry per ONNX op type, so supporting a new op is one entry.
 */
export interface OnnxOpEntry {
  /**
   * The ONNX "since versions" of this op whose semantics `lower` implements. The op exists from
   * the first one on; `n.opset` tells `lower` which version a node follows.
   */
  versions: readonly number[];
  /** core-ir ops it lowers to (README table, `inspect`). */
  to: readonly string[];
  /** Limits worth knowing, in a few words (README table). */
  limits?: string;
  /** Adds the core-ir nodes computing this node's outputs (named as in the ONNX file). */
  lower(n: OnnxNode): void;
}

export type OnnxOpTable = Record<string, OnnxOpEntry>;

/** Highest default-domain opset the frontend implements. */
export const MAX_OPSET = 18;
