import { mkdir, open, appendFile } from 'node:fs/promises';
import { join } from 'node:path';

/** One CSV field, quoted only when needed (Python csv.QUOTE_MINIMAL). */
function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/**
 * Appends one row to `dir/file`, writing `headers` first when the file does not exist yet.
 * Creates `dir`. The header check and the first write are one exclusive create (`wx`), and each
 * later row is a single append, so concurrent writers neither duplicate the header nor interleave
 * within a row.
 *
 * @param eol `\r\n` as Python's csv.writer, or `\n` as sentence-transformers' IR evaluator
 */
export async function appendCsvRow(
  dir: string,
  file: string,
  headers: readonly string[],
  row: readonly string[],
  eol: '\r\n' | '\n',
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, file);
  const line = row.map(csvField).join(',') + eol;
  try {
    const handle = await open(path, 'wx');
    try {
      await handle.writeFile(headers.map(csvField).join(',') + eol + line, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    await appendFile(path, line, 'utf8');
  }
  return path;
}

/** Appends `record` as one JSON line to `dir/file` (creating both). NaN is written as null. */
export async function appendJsonLine(dir: string, file: string, record: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, file);
  await appendFile(path, JSON.stringify(record) + '\n', 'utf8');
  return path;
}
