/**
 * A tiny hand-written ONNX `ModelProto` encoder for test models (no Python `onnx` package is
 * available here). It writes only the protobuf fields ONNX Runtime needs: IR version, one
 * opset, and a graph of nodes with int attributes, initializer-free.
 *
 * Field numbers follow `onnx/onnx.proto` (ModelProto, GraphProto, NodeProto, AttributeProto,
 * ValueInfoProto, TypeProto, TensorShapeProto).
 */

/** ONNX `TensorProto.DataType` element types. */
export const ELEM = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;

/** A dimension: a fixed size, or a symbolic name (dynamic). */
export type Dim = number | string;

/** One graph input or output. */
export interface ValueInfo {
  name: string;
  elemType: number;
  shape: Dim[];
}

/** One graph node; `attributes` holds int attributes only (e.g. Cast's `to`). */
export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, number>;
}

/** A whole model. */
export interface GraphSpec {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeSpec[];
  opset?: number;
}

class Writer {
  private readonly parts: number[] = [];

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.parts.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.parts.push(Number(v));
    return this;
  }

  tag(field: number, wireType: number): this {
    return this.varint((field << 3) | wireType);
  }

  int(field: number, value: number): this {
    return this.tag(field, 0).varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    for (const byte of value) this.parts.push(byte);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function valueInfo(w: Writer, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.elemType);
      tensor.message(2, (shape) => {
        for (const dim of info.shape) {
          shape.message(1, (d) => (typeof dim === 'number' ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

/**
 * Encodes a model as ONNX protobuf bytes (IR version 8, default opset 17).
 *
 * @example
 * const bytes = buildModel({ inputs: [{ name: 'x', elemType: ELEM.FLOAT, shape: ['n'] }], outputs: [{ name: 'y', elemType: ELEM.FLOAT, shape: ['n'] }], nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }] });
 */
export function buildModel(spec: GraphSpec): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, 'infer-runtime-onnx-tests'); // producer_name
  w.message(7, (graph) => {
    spec.nodes.forEach((node, index) => {
      graph.message(1, (n) => {
        for (const input of node.inputs) n.string(1, input);
        for (const output of node.outputs) n.string(2, output);
        n.string(3, `${node.op.toLowerCase()}_${index}`);
        n.string(4, node.op);
        for (const [name, value] of Object.entries(node.attributes ?? {})) {
          n.message(5, (a) => a.string(1, name).int(3, value).int(20, 2)); // type INT
        }
      });
    });
    graph.string(2, 'test_graph');
    for (const input of spec.inputs) graph.message(11, (v) => valueInfo(v, input));
    for (const output of spec.outputs) graph.message(12, (v) => valueInfo(v, output));
  });
  w.message(8, (opset) => opset.string(1, '').int(2, spec.opset ?? 17));
  return w.finish();
}

/**
 * An Identity model `x -> y` for one element type and shape.
 *
 * @example
 * const bytes = identityModel(ELEM.INT64, ['batch', 2]);
 */
export function identityModel(elemType: number, shape: Dim[]): Uint8Array {
  return buildModel({
    inputs: [{ name: 'x', elemType, shape }],
    outputs: [{ name: 'y', elemType, shape }],
    nodes: [{ op: 'Identity', inputs: ['x'], outputs: ['y'] }],
  });
}
