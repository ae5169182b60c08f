// Parsing of the option values shared by several commands. Errors are UsageErrors (exit code 2).
import { UsageError } from './errors.js';

/** commander collector for repeatable options (`--input a=x.npy --input b=y.npy`). */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** A positive integer option, e.g. `--threads 2`. */
export function parseCount(flag: string, min = 1): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new UsageError(`${flag} expects an integer >= ${min}, got '${v}'`);
    }
    return n;
  };
}

/**
 * Input shapes from `--input-shape name=1,3,224,224` (repeatable) and MindSpore Lite's
 * `--inputShape "a:1,3,224,224;b:1,10"`. Both separators (= and :) are accepted in both forms.
 */
export function parseInputShapes(specs: readonly string[] | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs ?? []) {
    for (const part of spec.split(';').map((s) => s.trim()).filter(Boolean)) {
      // The name may itself contain ':' (TF tensor names such as 'input:0'), so split at the last separator.
      const at = Math.max(part.lastIndexOf('='), part.lastIndexOf(':'));
      const name = part.slice(0, at).trim();
      const dimsText = part.slice(at + 1).trim();
      if (at <= 0 || !/^\d+(\s*,\s*\d+)*$/.test(dimsText)) {
        throw new UsageError(`bad input shape '${part}': expected name=d0,d1,... with non-negative integer dims, e.g. x=1,3,224,224`);
      }
      if (name in out) throw new UsageError(`input shape for '${name}' given twice`);
      out[name] = dimsText.split(',').map((d) => Number(d.trim()));
    }
  }
  return out;
}

/** `--input name=file.npy` specs. A spec without a name (just a path) is allowed when the model has one input. */
export function parseInputFiles(specs: readonly string[] | undefined): { name?: string; path: string }[] {
  return (specs ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    if (eq === 0 || eq === spec.length - 1) throw new UsageError(`bad --input '${spec}': expected name=file.npy`);
    return eq < 0 ? { path: spec } : { name: spec.slice(0, eq), path: spec.slice(eq + 1) };
  });
}

/** File name of an output: every character outside [A-Za-z0-9_.-] becomes '_'. */
export const sanitizeName = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '_');

export type ModelFormat = 'onnx' | 'tflite' | 'caffe' | 'tf';
export const FORMATS: readonly ModelFormat[] = ['onnx', 'tflite', 'caffe', 'tf'];

/** MindSpore Lite converter_lite `--fmk` values -> our formats. */
export function formatOfFmk(fmk: string): ModelFormat {
  const f = ({ ONNX: 'onnx', TFLITE: 'tflite', CAFFE: 'caffe', TF: 'tf' } as const)[fmk.toUpperCase() as 'ONNX'];
  if (!f) throw new UsageError(`--fmk=${fmk} is not supported (supported: ONNX, TFLITE, CAFFE, TF)`);
  return f;
}
