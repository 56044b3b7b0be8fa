/**
 * The one place that chooses and probes the TensorFlow.js backend.
 *
 * Order with `backend: 'auto'` (the default): `@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node` (optional peer dependencies, used when installed), then the wasm
 * backend (a dependency, works everywhere), then the pure-JS cpu backend. The choice can be
 * forced with the `backend` option or the `SBERT_BACKEND` environment variable
 * (`node-gpu | node | wasm | cpu | auto`); the option wins over the variable.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from './errors.js';
import { applyWasmKernelFixes } from './wasm-kernels.js';

export type BackendChoice = 'auto' | 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'node-gpu', 'node', 'wasm', 'cpu'];
/** Environment variable that overrides the automatic choice. */
export const BACKEND_ENV = 'SBERT_BACKEND';

export interface BackendInfo {
  /** What runs: `node-gpu`, `node`, `wasm` or `cpu`. */
  choice: Exclude<BackendChoice, 'auto'>;
  /** The TF.js backend name (`tensorflow`, `wasm`, `cpu`). */
  tfBackend: string;
  /** Kernel fixes applied (wasm only). */
  fixes: readonly string[];
  /** Why earlier candidates were skipped, in order. */
  skipped: readonly string[];
}

export interface InitBackendOptions {
  /** Force a backend. Default: the `SBERT_BACKEND` variable, else `auto`. */
  backend?: BackendChoice;
}

const require = createRequire(import.meta.url);
let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;
let pendingChoice: BackendChoice | undefined;

function isInstalled(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function resolveChoice(option: BackendChoice | undefined): BackendChoice {
  const raw = option ?? process.env[BACKEND_ENV]?.trim() ?? 'auto';
  const choice = (raw === '' ? 'auto' : raw) as BackendChoice;
  if (!BACKEND_CHOICES.includes(choice)) {
    const where = option === undefined ? `environment variable ${BACKEND_ENV}` : 'option backend';
    throw new ConfigError(`${where} is '${raw}'; expected one of ${BACKEND_CHOICES.join(', ')}`, {
      field: option === undefined ? BACKEND_ENV : 'backend',
    });
  }
  return choice;
}

async function tryNode(pkg: string): Promise<string | undefined> {
  // tfjs-node registers the 'tensorflow' backend in the tfjs-core it shares with us.
  await import(pkg);
  if (!tf.findBackendFactory('tensorflow')) return `${pkg} loaded but registered no 'tensorflow' backend`;
  if (!(await tf.setBackend('tensorflow'))) return `${pkg}: the 'tensorflow' backend failed to initialise`;
  return undefined;
}

async function tryWasm(): Promise<string | undefined> {
  await import('@tensorflow/tfjs-backend-wasm');
  applyWasmKernelFixes();
  if (!(await tf.setBackend('wasm'))) return 'the wasm backend failed to initialise';
  return undefined;
}

async function select(choice: BackendChoice): Promise<BackendInfo> {
  const skipped: string[] = [];
  const candidates: Exclude<BackendChoice, 'auto'>[] =
    choice === 'auto' ? ['node-gpu', 'node', 'wasm', 'cpu'] : [choice];
  for (const candidate of candidates) {
    const forced = choice !== 'auto';
    let failure: string | undefined;
    try {
      if (candidate === 'node-gpu' || candidate === 'node') {
        const pkg = candidate === 'node-gpu' ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
        failure = isInstalled(pkg) ? await tryNode(pkg) : `${pkg} is not installed`;
      } else if (candidate === 'wasm') {
        failure = await tryWasm();
      } else if (!(await tf.setBackend('cpu'))) {
        failure = 'the cpu backend failed to initialise';
      }
    } catch (error) {
      failure = `${candidate}: ${(error as Error).message}`;
    }
    if (failure === undefined) {
      await tf.ready();
      return {
        choice: candidate,
        tfBackend: tf.getBackend(),
        fixes: candidate === 'wasm' ? applyWasmKernelFixes() : [],
        skipped,
      };
    }
    if (forced) throw new ConfigError(`backend '${candidate}' was requested but cannot run: ${failure}`, { field: 'backend' });
    skipped.push(failure);
  }
  throw new ConfigError(`no TensorFlow.js backend could start: ${skipped.join('; ')}`, { field: 'backend' });
}

/**
 * Selects and initialises the backend once per process (later calls with the same choice
 * return the same info; a different explicit choice switches backend).
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const choice = resolveChoice(options.backend);
  if (pending && (pendingChoice === choice || (choice === 'auto' && options.backend === undefined))) return pending;
  pendingChoice = choice;
  pending = select(choice).then(
    (info) => (current = info),
    (error: unknown) => {
      pending = undefined;
      throw error;
    },
  );
  return pending;
}

/** The backend chosen by `initBackend`, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
