#!/usr/bin/env node
/**
 * sbert-export-onnx <modelDir> [outDir] [--quantize int8] [--per-tensor] [--reduce-range]
 * Writes the model as ONNX (see onnx/export-onnx.ts): `<modelDir>/onnx/model.onnx` by default
 * (`model_qint8.onnx` with --quantize int8), or `<outDir>/model.onnx` when outDir is given.
 * Exit codes: 0 ok, 1 the model could not be loaded or written, 2 bad arguments.
 */
import { exportOnnxCli } from '../onnx/export-onnx-cli.js';

process.exitCode = await exportOnnxCli(process.argv.slice(2));
