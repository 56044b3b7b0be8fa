// The bytes of a one-node ONNX model `C = MatMul(A, B)` with float32 A (m×k) and B (k×n), written
// directly in protobuf wire format (onnx.proto3 field numbers), so that the suite needs no
// `onnx` package to measure onnxruntime's matMul throughput.
//
// ModelProto: ir_version=1, producer_name=2, graph=7, opset_import=8
// OperatorSetIdProto: domain=1, version=2
// GraphProto: node=1, name=2, input=11, output=12
// NodeProto: input=1, output=2, name=3, op_type=4
// ValueInfoProto: name=1, type=2; TypeProto: tensor_type=1; TypeProto.Tensor: elem_type=1, shape=2
// TensorShapeProto: dim=1; Dimension: dim_value=1

function varint(value) {
  const out = [];
  let v = BigInt(value);
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const tag = (field, wire) => varint((field << 3) | wire);
const intField = (field, value) => [...tag(field, 0), ...varint(value)];
const bytesField = (field, bytes) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const strField = (field, s) => bytesField(field, [...Buffer.from(s, 'utf8')]);

function tensorValueInfo(name, dims) {
  const shape = dims.flatMap((d) => bytesField(1, intField(1, d)));
  const tensorType = [...intField(1, 1 /* FLOAT */), ...bytesField(2, shape)];
  return [...strField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/** Model bytes for MatMul of (m×k)·(k×n), opset 13, IR version 8. */
export function matMulModel(m, k, n) {
  const node = [...strField(1, 'A'), ...strField(1, 'B'), ...strField(2, 'C'), ...strField(3, 'matmul'), ...strField(4, 'MatMul')];
  const graph = [
    ...bytesField(1, node),
    ...strField(2, 'matmul'),
    ...bytesField(11, tensorValueInfo('A', [m, k])),
    ...bytesField(11, tensorValueInfo('B', [k, n])),
    ...bytesField(12, tensorValueInfo('C', [m, n])),
  ];
  const opset = [...strField(1, ''), ...intField(2, 13)];
  const model = [...intField(1, 8), ...strField(2, 'sbert-bench'), ...bytesField(7, graph), ...bytesField(8, opset)];
  return Uint8Array.from(model);
}
