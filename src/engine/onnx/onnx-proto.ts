import * as protobuf from 'protobufjs';

/**
 * The part of ONNX's `onnx.proto` (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) our
 * graphs use, with the official field numbers, so the bytes we write are ONNX models any runtime
 * reads. Written as a protobufjs reflection descriptor rather than generated code: it is small, and
 * it keeps a code generator out of the build.
 */
const DESCRIPTOR: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
        ModelProto: {
          fields: {
            irVersion: { type: 'int64', id: 1 },
            producerName: { type: 'string', id: 2 },
            producerVersion: { type: 'string', id: 3 },
            graph: { type: 'GraphProto', id: 7 },
            opsetImport: { rule: 'repeated', type: 'OperatorSetIdProto', id: 8 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: 'repeated', type: 'NodeProto', id: 1 },
            name: { type: 'string', id: 2 },
            initializer: { rule: 'repeated', type: 'TensorProto', id: 5 },
            input: { rule: 'repeated', type: 'ValueInfoProto', id: 11 },
            output: { rule: 'repeated', type: 'ValueInfoProto', id: 12 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: 'repeated', type: 'string', id: 1 },
            output: { rule: 'repeated', type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            opType: { type: 'string', id: 4 },
            attribute: { rule: 'repeated', type: 'AttributeProto', id: 5 },
            domain: { type: 'string', id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: { rule: 'repeated', type: 'float', id: 7 },
            ints: { rule: 'repeated', type: 'int64', id: 8 },
            type: { type: 'int32', id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: 'repeated', type: 'int64', id: 1 },
            dataType: { type: 'int32', id: 2 },
            name: { type: 'string', id: 8 },
            rawData: { type: 'bytes', id: 9 },
          },
        },
        ValueInfoProto: { fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 } } },
        TypeProto: { fields: { tensorType: { type: 'TensorTypeProto', id: 1 } } },
        TensorTypeProto: { fields: { elemType: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: 'repeated', type: 'Dimension', id: 1 } } },
        Dimension: { fields: { dimValue: { type: 'int64', id: 1 } } },
      },
    },
  },
};

/** TensorProto.DataType values we write. */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values we write. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

export interface TensorMessage {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: DataTypeCode;
  readonly rawData: Uint8Array;
}

export interface AttributeMessage {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly t?: TensorMessage;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

export interface NodeMessage {
  readonly name: string;
  readonly opType: string;
  /** '' for ONNX's own operators. */
  readonly domain?: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly AttributeMessage[];
}

export interface ValueInfoMessage {
  readonly name: string;
  readonly type: {
    readonly tensorType: {
      readonly elemType: DataTypeCode;
      readonly shape: { readonly dim: readonly { readonly dimValue: number }[] };
    };
  };
}

export interface ModelMessage {
  readonly irVersion: number;
  readonly producerName: string;
  readonly opsetImport: readonly { readonly domain: string; readonly version: number }[];
  readonly graph: {
    readonly name: string;
    readonly node: readonly NodeMessage[];
    readonly initializer: readonly TensorMessage[];
    readonly input: readonly ValueInfoMessage[];
    readonly output: readonly ValueInfoMessage[];
  };
}

let modelType: protobuf.Type | undefined;

function model(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(DESCRIPTOR).lookupType('onnx.ModelProto');
  return modelType;
}

/** The serialised ModelProto. */
export function encodeModel(message: ModelMessage): Uint8Array {
  // protobufjs types messages as plain records; ours match the descriptor above field for field.
  return model()
    .encode(message as unknown as Record<string, unknown>)
    .finish();
}

/** The nodes of a serialised model (ours), in order: for checks of what an emitter wrote. */
export function decodeNodes(bytes: Uint8Array): NodeMessage[] {
  const decoded = model().toObject(model().decode(bytes), { defaults: true }) as { graph?: { node?: NodeMessage[] } };
  return decoded.graph?.node ?? [];
}
