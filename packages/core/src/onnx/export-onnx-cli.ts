/**
 * The `sbert-export-onnx` command line (bin/export-onnx.ts is a thin wrapper around it).
 */
import path from 'node:path';
import { InputError, SbertError } from '../errors.js';
import { SentenceTransformer } from '../sentence-transformer.js';
import { exportOnnx, onnxFileName, type ExportOnnxOptions } from './export-onnx.js';

export const EXPORT_ONNX_USAGE = `usage: sbert-export-onnx <modelDir> [outDir] [--quantize int8] [--per-tensor] [--reduce-range]

Writes a sentence-transformers model (any model @sbert/core loads) as one ONNX graph with the
outputs last_hidden_state and sentence_embedding.
  <modelDir>         the model directory
  [outDir]           where the .onnx file goes (default: <modelDir>/onnx, the layout
                     SentenceTransformer.load(dir, { backend: 'onnx' }) reads)
  --quantize int8    dynamic int8 quantisation of the encoder's MatMul weights
                     (file model_qint8.onnx instead of model.onnx)
  --per-tensor       one int8 scale per weight matrix (default: one per output channel)
  --reduce-range     7-bit weights (for AVX2 / AVX-512 CPUs without VNNI)
`;

/** Runs the command; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function exportOnnxCli(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void } = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }): Promise<number> {
  const positional: string[] = [];
  const options: ExportOnnxOptions = {};
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === '-h' || arg === '--help') {
        io.out(EXPORT_ONNX_USAGE);
        return 0;
      } else if (arg === '--quantize') {
        const v = argv[++i];
        if (v !== 'int8') throw new InputError(`--quantize: expected int8, got ${v === undefined ? 'nothing' : `'${v}'`}`);
        options.quantize = 'int8';
      } else if (arg === '--per-tensor') options.perChannel = false;
      else if (arg === '--reduce-range') options.reduceRange = true;
      else if (arg.startsWith('-')) throw new InputError(`unknown option ${arg}`);
      else positional.push(arg);
    }
    if (positional.length < 1 || positional.length > 2) throw new InputError(`expected <modelDir> [outDir], got ${positional.length} argument(s)`);
    if (options.quantize !== 'int8' && (options.perChannel === false || options.reduceRange)) throw new InputError('--per-tensor and --reduce-range need --quantize int8');
    const [modelDir, outDir] = positional as [string, string | undefined];
    const model = await SentenceTransformer.load(modelDir);
    try {
      const target = outDir === undefined ? modelDir : path.join(outDir, onnxFileName(options));
      const file = await exportOnnx(model, target, options);
      io.out(`${file}: ${model.modules.map((m) => m.type.split('.').pop()).join(' → ')}, sentence_embedding dimension ${model.getSentenceEmbeddingDimension()}${options.quantize ? ', int8' : ''}\n`);
    } finally {
      model.dispose();
    }
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      io.err(`sbert-export-onnx: ${error.message}\n\n${EXPORT_ONNX_USAGE}`);
      return 2;
    }
    if (error instanceof SbertError) {
      io.err(`sbert-export-onnx: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
