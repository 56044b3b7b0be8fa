/**
 * GraphBuilder: collects ONNX nodes, initializers, inputs and outputs, and serialises them as an
 * ONNX ModelProto (onnx.proto, IR version 8, the default opset 17).
 *
 * Field numbers used (onnx/onnx.proto):
 * - ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7,
 *   opset_import 8, metadata_props 14. OperatorSetIdProto: domain 1, version 2.
 * - GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.
 * - NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7.
 * - AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20
 *   (FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7).
 * - TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian).
 * - ValueInfoProto: name 1, type 2. TypeProto: tensor_type 1. TypeProto.Tensor: elem_type 1,
 *   shape 2. TensorShapeProto: dim 1. Dimension: dim_value 1, dim_param 2.
 * - StringStringEntryProto: key 1, value 2.
 */
import { ProtoWriter } from './proto.js';

/** TensorProto.DataType values. */
export const ONNX_TYPE = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type OnnxType = (typeof ONNX_TYPE)[keyof typeof ONNX_TYPE];

/** A dimension: a fixed size or a symbolic name (`batch`, `sequence`). */
export type Dim = number | string;

/** Attribute values, tagged with their ONNX type. */
export type AttrValue = { i: number } | { f: number } | { s: string } | { ints: readonly number[] } | { floats: readonly number[] } | { t: TensorValue };

/** A tensor value (initializer or attribute). */
export interface TensorValue {
  type: OnnxType;
  dims: readonly number[];
  data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;
}

interface NodeEntry {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attrs: Record<string, AttrValue>;
  domain: string;
}

interface ValueInfo {
  name: string;
  type: OnnxType;
  dims: readonly Dim[];
}

export interface ModelInfo {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Written as ModelProto.metadata_props. */
  metadata?: Record<string, string>;
}

function tensorBytes(t: TensorValue): Uint8Array {
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function tensorProto(name: string, t: TensorValue): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.type);
  if (name) w.string(8, name);
  // raw_data is little-endian; typed arrays are in the platform's order (little-endian on
  // every platform Node supports).
  w.bytes(9, tensorBytes(t));
  return w;
}

function valueInfoProto(v: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().int(1, v.type).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  return new ProtoWriter().string(1, v.name).message(2, type);
}

function attributeProto(name: string, value: AttrValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if ('i' in value) w.int(3, value.i).int(20, 2);
  else if ('f' in value) w.float(2, value.f).int(20, 1);
  else if ('s' in value) w.string(4, value.s).int(20, 3);
  else if ('t' in value) w.message(5, tensorProto('', value.t)).int(20, 4);
  else if ('ints' in value) {
    for (const v of value.ints) w.int(8, v);
    w.int(20, 7);
  } else {
    for (const v of value.floats) w.float(7, v);
    w.int(20, 6);
  }
  return w;
}

/**
 * Builds an ONNX graph node by node. Value names are generated (`<scope>/<Op>_<n>`), small
 * constants are shared, and `toBytes()` writes the ModelProto.
 */
export class GraphBuilder {
  private readonly nodes: NodeEntry[] = [];
  private readonly initializers = new Map<string, TensorValue>();
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;
  private readonly opsets = new Map<string, number>();
  /** Prefix of generated names (e.g. `encoder.layer.0`). */
  scope = '';

  constructor(readonly opset = 17) {
    this.opsets.set('', opset);
  }

  private fresh(op: string): string {
    return `${this.scope ? `/${this.scope}` : ''}/${op}_${this.counter++}`;
  }

  input(name: string, type: OnnxType, dims: readonly Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: OnnxType, dims: readonly Dim[]): void {
    this.outputs.push({ name, type, dims });
  }

  /** A named initializer (a weight). Returns its name. */
  initializer(name: string, type: OnnxType, dims: readonly number[], data: TensorValue['data']): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (data.length !== count) throw new RangeError(`initializer ${name}: ${data.length} values for dims [${dims.join(', ')}]`);
    if (this.initializers.has(name)) throw new RangeError(`initializer ${name} defined twice`);
    this.initializers.set(name, { type, dims, data });
    return name;
  }

  /** A small shared constant (a scalar when `dims` is [], else a 1-D tensor by default). */
  constant(type: OnnxType, values: readonly number[], dims: readonly number[] = values.length === 1 ? [] : [values.length]): string {
    const key = `${type}|${dims.join('x')}|${values.join(',')}`;
    const found = this.constants.get(key);
    if (found) return found;
    let data: TensorValue['data'];
    if (type === ONNX_TYPE.FLOAT) data = Float32Array.from(values);
    else if (type === ONNX_TYPE.INT64) data = BigInt64Array.from(values, (v) => BigInt(v));
    else if (type === ONNX_TYPE.INT32) data = Int32Array.from(values);
    else throw new RangeError(`constant of type ${type} is not supported`);
    const name = `const_${this.constants.size}`;
    this.initializer(name, type, dims, data);
    this.constants.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  f(value: number): string {
    return this.constant(ONNX_TYPE.FLOAT, [value], []);
  }

  /** An int64 constant: a scalar for a number, a 1-D tensor for an array. */
  i64(values: number | readonly number[]): string {
    return typeof values === 'number' ? this.constant(ONNX_TYPE.INT64, [values], []) : this.constant(ONNX_TYPE.INT64, values, [values.length]);
  }

  /** Adds a node with `outputs` results (generated names unless `names` is given). */
  nodeN(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outputs = 1, options: { names?: readonly string[]; domain?: string } = {}): string[] {
    const base = options.names ? '' : this.fresh(op);
    const outs = options.names ? [...options.names] : Array.from({ length: outputs }, (_, k) => (k === 0 ? base : `${base}:${k}`));
    const domain = options.domain ?? '';
    if (domain && !this.opsets.has(domain)) this.opsets.set(domain, 1);
    this.nodes.push({ op, inputs, outputs: outs, name: `${outs[0]}_node`, attrs, domain });
    return outs;
  }

  /** Adds a single-output node; returns the name of its output. */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, name?: string): string {
    return this.nodeN(op, inputs, attrs, 1, name === undefined ? {} : { names: [name] })[0]!;
  }

  /** Number of nodes so far (for tests and logs). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Op types in order (for tests). */
  opTypes(): string[] {
    return this.nodes.map((n) => n.op);
  }

  /** Serialises the graph as an ONNX ModelProto. */
  toBytes(info: ModelInfo = {}, graphName = 'main'): Uint8Array {
    const graph = new ProtoWriter();
    for (const n of this.nodes) {
      const w = new ProtoWriter();
      for (const i of n.inputs) w.string(1, i);
      for (const o of n.outputs) w.string(2, o);
      w.string(3, n.name).string(4, n.op);
      for (const [k, v] of Object.entries(n.attrs)) w.message(5, attributeProto(k, v));
      if (n.domain) w.string(7, n.domain);
      graph.message(1, w);
    }
    graph.string(2, graphName);
    for (const [name, t] of this.initializers) graph.message(5, tensorProto(name, t));
    if (info.docString) graph.string(10, info.docString);
    for (const v of this.inputs) graph.message(11, valueInfoProto(v));
    for (const v of this.outputs) graph.message(12, valueInfoProto(v));

    const model = new ProtoWriter().int(1, 8);
    if (info.producerName) model.string(2, info.producerName);
    if (info.producerVersion) model.string(3, info.producerVersion);
    if (info.docString) model.string(6, info.docString);
    model.message(7, graph);
    for (const [domain, version] of this.opsets) {
      const op = new ProtoWriter();
      if (domain) op.string(1, domain);
      model.message(8, op.int(2, version));
    }
    for (const [key, value] of Object.entries(info.metadata ?? {})) {
      model.message(14, new ProtoWriter().string(1, key).string(2, value));
    }
    return model.finish();
  }
}
