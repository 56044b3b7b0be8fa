/**
 * The command dispatcher: `sbert-embedder <command> [options]`. Commands return 0 on success;
 * errors propagate to bin.ts, which turns them into exit codes.
 */
import { createRequire } from 'node:module';
import { helpText, type CommandSpec } from './args.js';
import { UsageError } from './errors.js';
import { clusterCommand, clusterSpec } from './commands/cluster.js';
import type { CommandContext } from './commands/common.js';
import { embedCommand, embedSpec } from './commands/embed.js';
import { paraphrasesCommand, paraphrasesSpec } from './commands/paraphrases.js';
import { searchCommand, searchSpec } from './commands/search.js';
import { serveCommand, serveSpec } from './commands/serve.js';
import { similarityCommand, similaritySpec } from './commands/similarity.js';

interface Command {
  spec: CommandSpec;
  run: (argv: readonly string[], ctx: CommandContext) => Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  embed: { spec: embedSpec, run: embedCommand },
  similarity: { spec: similaritySpec, run: similarityCommand },
  search: { spec: searchSpec, run: searchCommand },
  cluster: { spec: clusterSpec, run: clusterCommand },
  paraphrases: { spec: paraphrasesSpec, run: paraphrasesCommand },
  serve: { spec: serveSpec, run: serveCommand },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length)) + 2;
  return [
    'Usage: sbert-embedder <command> [options]',
    '',
    'Embeddings, similarity and search with sentence-transformers models, from the command line and over HTTP.',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}${c.spec.summary}`),
    '',
    'Run `sbert-embedder <command> --help` for its options.',
    'Backends: --backend or SBERT_BACKEND (auto picks tfjs-node-gpu, tfjs-node, wasm, cpu in that order).',
    '',
  ].join('\n');
}

function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

/** Runs one command line; resolves to the exit code of a successful run. */
export async function main(argv: readonly string[], ctx: CommandContext = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    ctx.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command '${name}'; expected one of ${Object.keys(COMMANDS).join(', ')} (see \`sbert-embedder --help\`)`);
  const code = await command.run(rest, ctx);
  if (code === -1) {
    // The command saw --help.
    ctx.stdout.write(helpText(command.spec));
    return 0;
  }
  return code;
}
