import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { type DType, GoldcrestError, type Graph, Tensor, type Value, decodeNpy, encodeNpy, feedError, floatToHalfBits, isStatic, numel, writeFileAtomicSync } from '@goldcrest/core-ir';
import { type InputSpec, parseInputFiles, sanitizeName } from '../args.js';
import { UsageError } from '../errors.js';
import type { Io } from '../io.js';
import type { Isa } from '@goldcrest/runtime-native';
import { readInputFile } from '../model.js';
import { defaultThreads, openModel } from '../session.js';
import { fmtShape } from '../stats.js';

export interface RunFlags {
  input?: string[];
  outputDir?: string;
  threads?: number;
  /** Force a microkernel ISA (default: the best this CPU supports). */
  isa?: Isa;
}

export interface RunResult {
  /** output name -> file written */
  files: Record<string, string>;
  outputs: Record<string, Tensor>;
  loadMs: number;
  runMs: number;
}

/** First few values of a tensor, for the console. */
export function preview(t: Tensor, max = 8): string {
  const n = Math.min(max, t.size);
  const txt: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = (t.data as ArrayLike<number | bigint | string>)[i];
    // float16 is stored as raw IEEE bits: show them as such rather than as misleading integers.
    if (t.type === 'float16') txt.push(`0x${(v as number).toString(16).padStart(4, '0')}`);
    else if (t.type === 'float32' || t.type === 'float64') txt.push(String(Number((v as number).toPrecision(6))));
    else txt.push(typeof v === 'string' ? JSON.stringify(v) : String(v));
  }
  return `[${txt.join(', ')}${t.size > n ? `, ... (${t.size} values)` : ''}]`;
}

export async function runCommand(model: string, flags: RunFlags, io: Io): Promise<RunResult> {
  if (!flags.outputDir) throw new UsageError('missing --output-dir <dir> (where each output is written as <name>.npy)');
  const specs = parseInputFiles(flags.input);
  if (specs.length === 0) throw new UsageError('no inputs: add --input <name>=<file.npy> for each model input');
  const tensors = specs.map((s) => ({ ...s, tensor: s.values ? undefined : decodeFeed(s.path) }));

  // Shapes of the given arrays pin the model's input shapes when it has to be converted first.
  const named = tensors.filter((t): t is typeof t & { tensor: Tensor } => t.name !== undefined && t.tensor !== undefined);
  const inputShapes = Object.fromEntries(named.map((t) => [t.name!, [...t.tensor.dims]]));
  const threads = flags.threads ?? defaultThreads();
  const { graph, session, loadMs } = await openModel(model, threads, inputShapes, flags.isa);
  try {
    const feeds: Record<string, Tensor> = {};
    for (const t of tensors) {
      let name = t.name;
      if (name === undefined) {
        if (graph.inputs.length !== 1) {
          throw new UsageError(`--input ${t.path} has no name, but the model has ${graph.inputs.length} inputs (${graph.inputs.map((v) => v.name).join(', ')}): use --input <name>=${t.path}`);
        }
        name = graph.inputs[0].name;
      }
      const input = modelInput(graph, name, t.path);
      if (name in feeds) throw new UsageError(`input '${name}' given twice`);
      const tensor = t.tensor ?? inlineFeed({ ...t, values: t.values! }, input);
      if (input.dtype !== tensor.type) {
        throw feedError(`--input ${name}=${t.path}: the model expects ${input.dtype} but the file holds ${tensor.type}; convert it (e.g. np.save(path, a.astype(np.${input.dtype === 'bool' ? 'bool_' : input.dtype})))`);
      }
      const dims = tensor.dims;
      if (input.shape && (input.shape.length !== dims.length || input.shape.some((d, i) => typeof d === 'number' && d !== dims[i]))) {
        throw feedError(`--input ${name}=${t.path}: the model expects shape ${fmtShape(input.shape)} but the file holds ${fmtShape(tensor.dims)}`);
      }
      feeds[name] = tensor;
    }
    const missing = graph.inputs.filter((v) => !(v.name in feeds)).map((v) => v.name);
    if (missing.length) throw feedError(`no --input for model input${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}: add --input ${missing[0]}=<file.npy>`);

    const t0 = performance.now();
    const outputs = await session.run(feeds);
    const runMs = performance.now() - t0;

    const dir = resolve(flags.outputDir);
    mkdirSync(dir, { recursive: true });
    const files: Record<string, string> = {};
    const used = new Set<string>();
    io.out(`ran ${model} (${threads} thread${threads > 1 ? 's' : ''}): load ${loadMs.toFixed(1)} ms, run ${runMs.toFixed(2)} ms`);
    for (const name of session.outputNames) {
      const t = outputs[name];
      if (!t) throw new GoldcrestError('E_RUNTIME', `the runtime returned no value for output '${name}'`);
      // Two names may sanitize to the same file name: keep both by numbering the later one.
      let base = sanitizeName(name);
      for (let k = 2; used.has(base); k++) base = `${sanitizeName(name)}_${k}`;
      used.add(base);
      const file = join(dir, `${base}.npy`);
      writeFileAtomicSync(file, encodeNpy(t)); // temp file + rename: never a partial .npy
      files[name] = file;
      io.out(`  ${name} ${t.type} ${fmtShape(t.dims)} -> ${join(flags.outputDir, `${base}.npy`)}`);
      io.out(`    ${preview(t)}`);
    }
    return { files, outputs, loadMs, runMs };
  } finally {
    await session.release();
  }
}

/** The model input an `--input name=...` spec names; E_FEED listing the inputs otherwise. */
export function modelInput(graph: Graph, name: string, path: string): Value {
  const input = graph.inputs.find((v) => v.name === name);
  if (!input) throw feedError(`--input ${name}=${path}: the model has no input '${name}' (inputs: ${graph.inputs.map((v) => v.name).join(', ')})`);
  return input;
}

/**
 * The tensor of an inline `--input name=<numbers>` for model input `input`: the input's dtype, and
 * its declared shape when that holds exactly these numbers (a scalar input takes one number; a
 * vector with a free length takes any count). Anything else asks for a .npy file.
 */
export function inlineFeed(spec: InputSpec & { values: number[] }, input: Value): Tensor {
  const { values } = spec;
  const what = `--input ${spec.name}=${spec.path}`;
  const shape = input.shape;
  let dims: number[];
  if (!shape) dims = values.length === 1 ? [] : [values.length];
  else if (isStatic(shape) && numel(shape as number[]) === values.length) dims = [...(shape as number[])];
  else if (shape.length === 1 && !isStatic(shape)) dims = [values.length];
  else throw feedError(`${what}: input '${input.name}' has shape ${fmtShape(shape)}, which ${values.length} inline number${values.length > 1 ? 's do' : ' does'} not fill; give a .npy file`);
  const dtype: DType = input.dtype;
  if (dtype === 'string') throw feedError(`${what}: input '${input.name}' holds strings; give a .npy file`);
  const float = dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
  const bad = values.find((v) => (dtype === 'bool' ? v !== 0 && v !== 1 : !float && !Number.isInteger(v)));
  if (bad !== undefined) throw feedError(`${what}: ${bad} is not a valid ${dtype} value for input '${input.name}'`);
  const data = dtype === 'float16' ? values.map(floatToHalfBits) : dtype === 'int64' || dtype === 'uint64' ? values.map((v) => BigInt(v)) : values;
  return new Tensor(dtype, data as never, dims);
}

export function decodeFeed(path: string): Tensor {
  const bytes = readInputFile(path, 'input');
  try {
    return decodeNpy(bytes);
  } catch (e) {
    if (e instanceof GoldcrestError) throw new GoldcrestError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
