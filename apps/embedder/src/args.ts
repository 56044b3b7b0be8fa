/**
 * Command-line parsing on node:util parseArgs: one option table per command gives both the
 * parser configuration and the `--help` text, and typed getters turn strings into checked values.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help as `--name VALUE`. */
  value?: string;
  description: string;
  default?: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: OptionTable;
  /** Extra help paragraphs. */
  notes?: string;
}

export const HELP_OPTION: OptionTable = { help: { type: 'boolean', short: 'h', description: 'Show this help.' } };

export function helpText(spec: CommandSpec): string {
  const rows = Object.entries({ ...spec.options, ...HELP_OPTION }).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const def = o.default !== undefined ? ` (default: ${o.default})` : '';
    return [flag, `${o.description}${def}`] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:', ...rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`)];
  if (spec.notes) lines.push('', spec.notes);
  return `${lines.join('\n')}\n`;
}

export class ParsedOptions {
  constructor(
    readonly command: string,
    private readonly values: Record<string, string | boolean | undefined>,
    private readonly spec: OptionTable,
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name] ?? this.spec[name]?.default;
    return typeof v === 'string' ? v : undefined;
  }

  required(name: string): string {
    const v = this.string(name);
    if (v === undefined || v === '') throw new UsageError(`${this.command}: --${name} is required (see \`sbert-embedder ${this.command} --help\`)`);
    return v;
  }

  int(name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
      throw new UsageError(`${this.command}: --${name} must be an integer ${range}, got '${raw}'`);
    }
    return n;
  }

  number(name: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${this.command}: --${name} must be a number, got '${raw}'`);
    return n;
  }

  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    if (!choices.includes(raw as T)) throw new UsageError(`${this.command}: --${name} must be one of ${choices.join(', ')}, got '${raw}'`);
    return raw as T;
  }
}

/** Parses `argv` for one command; returns undefined when `--help` was asked for. */
export function parseCommand(spec: CommandSpec, argv: readonly string[]): ParsedOptions | undefined {
  const table = { ...spec.options, ...HELP_OPTION };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(table)) options[name] = o.short ? { type: o.type, short: o.short } : { type: o.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError(`${spec.name}: ${(error as Error).message} (see \`sbert-embedder ${spec.name} --help\`)`);
  }
  if (values['help']) return undefined;
  return new ParsedOptions(spec.name, values, table);
}
