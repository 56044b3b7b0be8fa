/**
 * Kernel fixes for `@tensorflow/tfjs-backend-wasm` 4.x in Node, measured in
 * shared/notes/tfjs-wasm-in-node.md. They are registered by `backend.ts` only; nothing else
 * in the code asks which backend runs.
 *
 * 1. `UnsortedSegmentSum` is missing on wasm, and the gradient of `tf.gather` (the embedding
 *    lookup) needs it. wasm's own `ScatterNd` sums duplicate indices into a zeroed output,
 *    which is exactly an unsorted segment sum over axis 0.
 * 2. `BatchMatMul` / `_FusedMatMul` with `transposeA`/`transposeB` fall into a naive loop
 *    (0.7-2.6 GFLOP/s instead of ~25). Every matMul gradient has a transposed operand. We
 *    materialise the transpose with the fast `Transpose` kernel and call the fast path.
 * 3. `BatchMatMul` with a batch dimension > 1 (attention) also takes the naive loop. We run
 *    one XNNPACK call per batch slice through zero-copy tensor views into the heap.
 * 4. `Sum` over the leading axes (every bias and LayerNorm gradient: Σ over the rows of a
 *    (rows, features) gradient) transposes the whole input first and reduces it with scalar
 *    code (10 ms for 1024 × 1536); a row-by-row pass over the heap takes a third of that.
 * 5. `Identity` (the engine clones every tensor it saves for the backward pass) copies the data
 *    on wasm; a MiniLM training step made ~1,400 such copies. Tensors are immutable, so it now
 *    shares the data and counts a reference, as the cpu backend and wasm's own Reshape do.
 * 6. `GatherV2` computes every output element's source through strided index arithmetic
 *    (~50 ns per element) and does not check the indices. Gathering rows (axis 0) is a copy of
 *    contiguous rows; this kernel copies them within the heap, checks every index and names the
 *    first bad one. The encoder gathers rows to pack and unpack the real tokens of a batch.
 */
import * as tf from '@tensorflow/tfjs';

// The wasm backend's internals that the fixes need. They are not part of its public types.
interface WasmTensorData {
  id: number;
  memoryOffset: number;
}
interface WasmModule {
  HEAPF32: Float32Array;
  cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}
interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): WasmTensorData | undefined };
  dataIdNextNumber: number;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}
type KernelArgs = {
  inputs: Record<string, tf.TensorInfo>;
  backend: WasmBackend;
  attrs: Record<string, unknown>;
};

const FIXED = Symbol.for('@sbert/core/wasm-kernel-fix');

/** The names of the fixes, as `backend.ts` reports them. */
export const WASM_FIXES = ['unsorted-segment-sum', 'matmul-transpose', 'batched-matmul', 'sum-leading-axes', 'identity-no-copy', 'gather-rows'] as const;

function kernel(name: string): tf.KernelConfig {
  const k = tf.getKernel(name, 'wasm');
  if (!k) throw new Error(`@sbert/core: the wasm backend has no '${name}' kernel to build on`);
  return k;
}

function isFixed(name: string): boolean {
  const k = tf.getKernel(name, 'wasm') as (tf.KernelConfig & { [FIXED]?: true }) | undefined;
  return k?.[FIXED] === true;
}

function register(config: tf.KernelConfig): void {
  tf.unregisterKernel(config.kernelName, 'wasm');
  tf.registerKernel({ ...config, [FIXED]: true } as tf.KernelConfig);
}

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
/** Permutation that swaps the last two axes. */
const swapLast = (rank: number): number[] => [...Array(rank - 2).keys(), rank - 1, rank - 2];

function registerUnsortedSegmentSum(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  const scatter = kernel('ScatterNd');
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as unknown as KernelArgs;
      const x = inputs['x']!;
      const segmentIds = inputs['segmentIds']!;
      const numSegments = attrs['numSegments'] as number;
      if (segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0]) {
        throw new Error('UnsortedSegmentSum (wasm): only 1-D segment ids over axis 0 are supported');
      }
      // ScatterNd wants indices of shape [N, 1]: a zero-copy view of the same data.
      const indices = { dataId: segmentIds.dataId, shape: [segmentIds.shape[0]!, 1], dtype: 'int32' };
      return scatter.kernelFunc({
        inputs: { indices, updates: x } as unknown as tf.NamedTensorInfoMap,
        backend: backend as unknown as tf.KernelBackend,
        attrs: { shape: [numSegments, ...x.shape.slice(1)] },
      });
    },
  });
}

/** Materialises transposed operands with the fast Transpose kernel. */
function untranspose(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: Record<string, unknown>,
): { a: tf.TensorInfo; b: tf.TensorInfo; temporaries: tf.TensorInfo[] } {
  const transpose = kernel('Transpose');
  const temporaries: tf.TensorInfo[] = [];
  const flip = (x: tf.TensorInfo): tf.TensorInfo => {
    const y = transpose.kernelFunc({
      inputs: { x },
      backend: backend as unknown as tf.KernelBackend,
      attrs: { perm: swapLast(x.shape.length) },
    }) as tf.TensorInfo;
    temporaries.push(y);
    return y;
  };
  return {
    a: attrs['transposeA'] ? flip(a) : a,
    b: attrs['transposeB'] ? flip(b) : b,
    temporaries,
  };
}

function patchFusedMatMul(): void {
  if (isFixed('_FusedMatMul')) return;
  const original = kernel('_FusedMatMul');
  register({
    ...original,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as unknown as KernelArgs;
      if (!attrs['transposeA'] && !attrs['transposeB']) return original.kernelFunc(args);
      const { a, b, temporaries } = untranspose(backend, inputs['a']!, inputs['b']!, attrs);
      const out = original.kernelFunc({
        inputs: { ...inputs, a, b } as unknown as tf.NamedTensorInfoMap,
        backend: backend as unknown as tf.KernelBackend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      });
      for (const t of temporaries) backend.disposeData(t.dataId);
      return out;
    },
  });
}

function patchBatchMatMul(): void {
  if (isFixed('BatchMatMul')) return;
  const original = kernel('BatchMatMul');
  let rawBatchMatMul: ((...args: unknown[]) => void) | undefined;
  register({
    ...original,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as unknown as KernelArgs;
      const { a, b, temporaries } = untranspose(backend, inputs['a']!, inputs['b']!, attrs);
      const ra = a.shape.length;
      const rb = b.shape.length;
      const batchA = size(a.shape.slice(0, -2));
      const batchB = size(b.shape.slice(0, -2));
      let out: tf.TensorInfo;
      if (batchA > 1 && batchA === batchB && ra === rb) {
        // One fast (batch 1, no transpose) XNNPACK product per slice, on views of the heap.
        rawBatchMatMul ??= backend.wasm.cwrap('BatchMatMul', null, [
          'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number',
        ]);
        const M = a.shape[ra - 2]!;
        const K = a.shape[ra - 1]!;
        const N = b.shape[rb - 1]!;
        out = backend.makeOutput([...a.shape.slice(0, -2), M, N], 'float32');
        const aOffset = backend.dataIdMap.get(a.dataId)!.memoryOffset;
        const bOffset = backend.dataIdMap.get(b.dataId)!.memoryOffset;
        const outOffset = backend.dataIdMap.get(out.dataId)!.memoryOffset;
        const aShape = new Uint8Array(new Int32Array([1, M, K]).buffer);
        const bShape = new Uint8Array(new Int32Array([1, K, N]).buffer);
        for (let i = 0; i < batchA; i++) {
          const ia = backend.dataIdNextNumber++;
          const ib = backend.dataIdNextNumber++;
          const io = backend.dataIdNextNumber++;
          backend.wasm.tfjs.registerTensor(ia, M * K, aOffset + i * M * K * 4);
          backend.wasm.tfjs.registerTensor(ib, K * N, bOffset + i * K * N * 4);
          backend.wasm.tfjs.registerTensor(io, M * N, outOffset + i * M * N * 4);
          rawBatchMatMul(ia, aShape, 3, ib, bShape, 3, 0, 0, io);
          // Frees the views (and the cached operator), not the memory they point into.
          backend.wasm.tfjs.disposeData(ia);
          backend.wasm.tfjs.disposeData(ib);
          backend.wasm.tfjs.disposeData(io);
        }
      } else {
        out = original.kernelFunc({
          inputs: { a, b } as unknown as tf.NamedTensorInfoMap,
          backend: backend as unknown as tf.KernelBackend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        }) as tf.TensorInfo;
      }
      for (const t of temporaries) backend.disposeData(t.dataId);
      return out;
    },
  });
}

/** The sorted, non-negative axes of a reduction attribute. */
function reductionAxes(axis: unknown, rank: number): number[] {
  const list = Array.isArray(axis) ? (axis as number[]) : [axis as number];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
}

function patchSum(): void {
  if (isFixed('Sum')) return;
  const original = kernel('Sum');
  register({
    ...original,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as unknown as KernelArgs;
      const x = inputs['x']!;
      const rank = x.shape.length;
      const axes = reductionAxes(attrs['axis'], rank);
      const leading = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
      const F = x.shape[rank - 1]!;
      const N = size(x.shape) / F;
      // Small reductions and other dtypes stay with the original kernel.
      if (!leading || x.dtype !== 'float32' || N < 64 || F === 0) return original.kernelFunc(args);
      // Row after row over the heap: sequential reads, a float64 accumulator per feature.
      const out = backend.makeOutput([F], 'float32');
      const heap = backend.wasm.HEAPF32;
      const xAt = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
      const outAt = backend.dataIdMap.get(out.dataId)!.memoryOffset / 4;
      const acc = new Float64Array(F);
      for (let n = 0; n < N; n++) {
        const row = xAt + n * F;
        for (let f = 0; f < F; f++) acc[f]! += heap[row + f]!;
      }
      for (let f = 0; f < F; f++) heap[outAt + f] = acc[f]!;
      const shape = attrs['keepDims'] ? [...Array(rank - 1).fill(1), F] : [F];
      return { dataId: out.dataId, shape, dtype: 'float32' };
    },
  });
}

function patchIdentity(): void {
  if (isFixed('Identity')) return;
  const original = kernel('Identity');
  register({
    ...original,
    kernelFunc: (args) => {
      const { inputs, backend } = args as unknown as KernelArgs;
      const x = inputs['x']!;
      if (x.dtype === 'string') return original.kernelFunc(args);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  });
}

function patchGather(): void {
  if (isFixed('GatherV2')) return;
  const original = kernel('GatherV2');
  register({
    ...original,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args as unknown as KernelArgs;
      const x = inputs['x']!;
      const indices = inputs['indices']!;
      const rank = x.shape.length;
      const axis = (attrs['axis'] as number) < 0 ? (attrs['axis'] as number) + rank : (attrs['axis'] as number);
      if (axis !== 0 || ((attrs['batchDims'] as number | undefined) ?? 0) !== 0 || rank === 0 || indices.dtype !== 'int32' || (x.dtype !== 'float32' && x.dtype !== 'int32')) {
        return original.kernelFunc(args);
      }
      const rows = x.shape[0]!;
      const inner = size(x.shape.slice(1));
      const heap = backend.wasm.HEAPF32; // int32 data copies bit for bit through the same heap
      const idxAt = backend.dataIdMap.get(indices.dataId)!.memoryOffset / 4;
      const count = size(indices.shape);
      const ids = new Int32Array(heap.buffer, idxAt * 4, count);
      for (let i = 0; i < count; i++) {
        const r = ids[i]!;
        if (r < 0 || r >= rows) throw new Error(`GatherV2: index ${r} at position ${i} is not in [0, ${rows - 1}]`);
      }
      const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], x.dtype);
      // makeOutput may grow the heap, which detaches the old views: take them again.
      const buf = backend.wasm.HEAPF32;
      const xAt = backend.dataIdMap.get(x.dataId)!.memoryOffset / 4;
      const outAt = backend.dataIdMap.get(out.dataId)!.memoryOffset / 4;
      const idx = new Int32Array(buf.buffer, idxAt * 4, count);
      for (let i = 0; i < count; i++) {
        const src = xAt + idx[i]! * inner;
        buf.copyWithin(outAt + i * inner, src, src + inner);
      }
      return out;
    },
  });
}

/** Registers every fix for the wasm backend. Idempotent. */
export function applyWasmKernelFixes(): readonly string[] {
  registerUnsortedSegmentSum();
  patchFusedMatMul();
  patchBatchMatMul();
  patchSum();
  patchIdentity();
  patchGather();
  return WASM_FIXES;
}
