import { asDataError, openByteStream } from './open-byte-stream.js';

/**
 * True when the first non-whitespace character of the (possibly gzipped) file, after an
 * optional BOM, is `{` — i.e. the file is JSON Lines whatever its extension (OCNLI's
 * `.json`, the CNSD triplets' `.txt`). Reads only the first chunk.
 */
export async function sniffJsonLines(file: string): Promise<boolean> {
  const stream = await openByteStream(file);
  try {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
      while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
      if (i < bytes.length) return bytes[i] === 0x7b;
    }
    return false;
  } catch (error) {
    throw asDataError(file, error);
  } finally {
    stream.destroy();
  }
}
