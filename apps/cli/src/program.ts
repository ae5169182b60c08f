// The `goldcrest` command line: commander wiring only; each command lives in commands/.
import { Command, CommanderError, Option } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { ISAS } from '@goldcrest/runtime-native';
import { FORMATS, collect, parseCount } from './args.js';
import { benchCommand } from './commands/bench.js';
import { convertCommand } from './commands/convert.js';
import { inspectCommand } from './commands/inspect.js';
import { runCommand } from './commands/run.js';
import { registerTrainCommand } from './commands/train.js';
import { exitCodeOf, formatError } from './errors.js';
import { type Io, consoleIo } from './io.js';

const SHAPE_HELP = 'pin an input shape, e.g. x=1,3,224,224 (repeatable)';

const isaOption = () => new Option('--isa <isa>', 'force the microkernel ISA (default: the best this CPU supports)').choices(ISAS);

export function buildProgram(io: Io): Command {
  const program = new Command('goldcrest')
    .description('Goldcrest: convert, inspect, run and benchmark models on the native CPU runtime')
    .version(pkg.version, '-V, --version')
    .option('--verbose', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s.replace(/\n$/, '')),
      writeErr: (s) => io.err(s.replace(/\n$/, '')),
      // commander's own usage errors (unknown option, missing argument...) in our format.
      outputError: (s, write) => write(`error [E_ARGUMENT]: ${s.replace(/^error: /, '').trim()}\n`),
    });

  program
    .command('convert')
    .description('convert an ONNX/TFLite/Caffe/TF model into a Goldcrest .gcm file (optimized)')
    .argument('[model]', 'source model file')
    .option('-o, --output <file>', 'output .gcm file (written atomically)')
    .addOption(new Option('--format <format>', 'source format (default: detected)').choices(FORMATS))
    .option('--weights <file>', 'separate weights file (Caffe .caffemodel)')
    .option('--input-shape <name=dims>', SHAPE_HELP, collect)
    .addOption(new Option('--optimize <level>', 'optimizer passes').choices(['general', 'none']).default(undefined))
    .option('--dequantize', 'TFLite: run a quantized int8/uint8 model in float32 (weights dequantized, activations kept on their int grid)')
    .option('--keep-fp16', 'TFLite: keep fp16 weights as float16 instead of folding them to float32')
    // MindSpore Lite converter_lite spellings, so its users can switch without relearning.
    .addOption(new Option('--fmk <fmk>', 'converter_lite: ONNX|TFLITE|CAFFE|TF'))
    .addOption(new Option('--modelFile <file>', 'converter_lite: source model'))
    .addOption(new Option('--outputFile <file>', 'converter_lite: output (.gcm appended when it has no extension)'))
    .addOption(new Option('--weightFile <file>', 'converter_lite: Caffe weights'))
    .addOption(new Option('--inputShape <spec>', 'converter_lite: "name:1,3,224,224;name2:..."').argParser(collect))
    .action(async (model, opts) => { await convertCommand(model, opts, io); });

  program
    .command('run')
    .description('run a model on .npy inputs and write each output as <output-dir>/<name>.npy')
    .argument('<model>', '.gcm, .onnx or .tflite (converted on the fly)')
    .option('--input <name=file.npy>', 'an input tensor (repeatable); numbers inline for small inputs: sr=16000', collect)
    .option('--output-dir <dir>', 'directory for the outputs (created if missing)')
    .option('--threads <n>', 'worker threads', parseCount('--threads'))
    .addOption(isaOption())
    .action(async (model, opts) => { await runCommand(model, opts, io); });

  program
    .command('bench')
    .description('time a model on seeded random inputs: load time, latency median/min/p90, peak RSS')
    .argument('<model>', '.gcm, .onnx or .tflite')
    .option('--threads <n>', 'worker threads', parseCount('--threads'))
    .addOption(isaOption())
    .option('--loops <n>', 'timed runs (default 100)', parseCount('--loops'))
    .option('--warmup <n>', 'untimed runs first (default 10)', parseCount('--warmup', 0))
    .option('--input-shape <name=dims>', SHAPE_HELP, collect)
    .option('--input <name=file.npy>', 'use this tensor instead of random data (repeatable); numbers inline for small inputs: sr=16000', collect)
    .option('--seed <n>', 'random seed (default 1)', parseCount('--seed', 0))
    .option('--json', 'print one JSON object')
    .option('--profile', 'also print time per op type (share, GFLOP/s for conv/matmul) and the slowest nodes')
    .action(async (model, opts) => { await benchCommand(model, opts, io); });

  program
    .command('inspect')
    .description('inputs, outputs, op histogram, parameters and MACs of a model')
    .argument('<model>', '.gcm, or a source model (shows what the optimizer did)')
    .option('--input-shape <name=dims>', SHAPE_HELP, collect)
    .option('--json', 'print one JSON object')
    .action(async (model, opts) => { await inspectCommand(model, opts, io); });

  registerTrainCommand(program, io);
  return program;
}

/** Runs the CLI on `argv` (without the node and script entries) and returns the exit code. */
export async function main(argv: readonly string[], io: Io = consoleIo): Promise<number> {
  const verbose = argv.includes('--verbose');
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help / --version end here too (exit code 0); real usage errors were already printed.
      return e.exitCode === 0 ? 0 : 2;
    }
    io.err(formatError(e, verbose));
    return exitCodeOf(e);
  }
}
