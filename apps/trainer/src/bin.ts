#!/usr/bin/env node
import { SbertError } from '@sbert/core';
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    const code = (error as { code?: string }).code;
    if (error instanceof SbertError || code === 'E_USAGE') {
      process.stderr.write(`sbert-trainer: ${(error as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`sbert-trainer: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
