import { existsSync, promises as fs } from 'node:fs';
import { ConfigError } from '../errors.js';

export type JsonObject = Record<string, unknown>;

/** Reads a JSON object file; errors name the file and what was wrong. */
export async function readJsonFile(file: string): Promise<JsonObject> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `${file}: file not found` : `${file}: cannot read (${(error as Error).message})`, { file }, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ConfigError(`${file}: invalid JSON (${(error as Error).message})`, { file }, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${file}: expected a JSON object`, { file });
  }
  return value as JsonObject;
}

export async function readJsonFileIfExists(file: string): Promise<JsonObject | undefined> {
  return existsSync(file) ? readJsonFile(file) : undefined;
}
