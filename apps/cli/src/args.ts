// Parsing of the option values shared by several commands. Errors are UsageErrors (exit code 2).
import { existsSync } from 'node:fs';
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

/** One `--input` spec: a .npy path, or numbers written inline (`sr=16000`, `k=3,3`). */
export interface InputSpec {
  name?: string;
  path: string;
  /** The numbers of an inline value (the text is numbers and no file of that name exists). */
  values?: number[];
}

const NUMBER = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?(?:inf|nan)`;
const INLINE_NUMBERS = new RegExp(`^\\s*(?:${NUMBER})(?:\\s*,\\s*(?:${NUMBER}))*\\s*$`, 'i');

/** Numbers written inline instead of a file name, or undefined when `text` is not a list of numbers. */
export function inlineNumbers(text: string): number[] | undefined {
  if (!INLINE_NUMBERS.test(text)) return undefined;
  return text.split(',').map((t) => {
    const v = t.trim().toLowerCase().replace(/^\+/, '');
    return v === 'inf' ? Infinity : v === '-inf' ? -Infinity : /nan$/.test(v) ? NaN : Number(v);
  });
}

/**
 * `--input name=file.npy` specs, or `name=1,2,3` numbers inline (a file of that name wins). A
 * spec without a name (just a path) is allowed when the model has one input.
 */
export function parseInputFiles(specs: readonly string[] | undefined, fileExists: (p: string) => boolean = existsSync): InputSpec[] {
  return (specs ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    if (eq === 0 || eq === spec.length - 1) throw new UsageError(`bad --input '${spec}': expected name=file.npy or name=<numbers>`);
    const out: InputSpec = eq < 0 ? { path: spec } : { name: spec.slice(0, eq), path: spec.slice(eq + 1) };
    const values = out.name !== undefined && !fileExists(out.path) ? inlineNumbers(out.path) : undefined;
    return values ? { ...out, values } : out;
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
