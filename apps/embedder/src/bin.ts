#!/usr/bin/env node
/**
 * sbert-embedder: turns errors into exit codes and nothing else.
 * 0 success; 2 usage, configuration, input or data errors (the message names the option, file
 * or line); 1 anything else.
 */
import { SbertError } from '@sbert/core';
import { main } from './cli.js';

const USER_ERRORS = new Set(['E_USAGE', 'E_CONFIG', 'E_DATA', 'E_INPUT']);

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof SbertError) {
    process.stderr.write(`sbert-embedder: ${error.message}\n`);
    process.exitCode = USER_ERRORS.has(error.code) ? 2 : 1;
  } else {
    process.stderr.write(`sbert-embedder: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  }
}
