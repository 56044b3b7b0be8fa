#!/usr/bin/env node
/**
 * sbert-convert <input_dir> <output_dir> [--pooling mean|cls|...] [--max-seq-length n] [--force]
 * Writes a checkpoint as a clean sentence-transformers directory (see convert-checkpoint.ts).
 * Exit codes: 0 ok, 1 the checkpoint could not be loaded or written, 2 bad arguments.
 */
import { convertCli } from '../convert-checkpoint.js';

process.exitCode = await convertCli(process.argv.slice(2));
