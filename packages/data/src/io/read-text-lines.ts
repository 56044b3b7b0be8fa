import { asDataError, openByteStream } from './open-byte-stream.js';
import { DEFAULT_MAX_LINE_BYTES, LineDecoder } from './line-decoder.js';
import type { LineSink } from './line-sink.js';

/** One physical line of a text file; `line` is 1-based. */
export interface TextLine {
  line: number;
  text: string;
}

/**
 * Streams the lines of a (possibly gzipped) UTF-8 text file in constant memory: BOM dropped,
 * CRLF/LF handled, invalid UTF-8 and bare-CR lines reported through `sink`, blank lines
 * reported through `sink.blank` and not yielded.
 */
export async function* readTextLines(
  file: string,
  sink: LineSink,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<TextLine> {
  const decoder = new LineDecoder(file, maxLineBytes);
  let line = 0;
  function* split(text: string): Generator<TextLine> {
    let start = 0;
    while (start < text.length) {
      const end = text.indexOf('\n', start);
      // LineDecoder output always ends with '\n'.
      let lineText = text.slice(start, end);
      start = end + 1;
      line++;
      sink.seen?.(line);
      const issue = decoder.take(line);
      if (issue !== undefined) {
        sink.report(line, issue.code, issue.reason);
        continue;
      }
      if (lineText.endsWith('\r')) lineText = lineText.slice(0, -1);
      if (lineText.trim() === '') {
        sink.blank(line);
        continue;
      }
      yield { line, text: lineText };
    }
  }
  const stream = await openByteStream(file);
  try {
    for await (const chunk of stream) {
      let text: string;
      try {
        text = decoder.write(chunk as Buffer);
      } catch (error) {
        throw asDataError(file, error);
      }
      yield* split(text);
    }
  } catch (error) {
    throw asDataError(file, error);
  } finally {
    stream.destroy();
  }
  yield* split(decoder.end());
}
