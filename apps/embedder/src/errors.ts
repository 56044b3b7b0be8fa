import { SbertError } from '@sbert/core';

/** The command line is wrong: unknown option, missing or malformed value. Exit code 2. */
export class UsageError extends SbertError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}
