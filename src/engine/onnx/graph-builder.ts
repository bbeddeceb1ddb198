import {
  AttributeType,
  DataType,
  encodeModel,
  type AttributeMessage,
  type NodeMessage,
  type TensorMessage,
  type ValueInfoMessage,
} from './onnx-proto';

export type Shape = readonly number[];

/** A float attribute (a bare number is written as an integer). */
export interface FloatAttr {
  readonly float: number;
}

/** A list of floats (a bare number list is written as integers). */
export interface FloatsAttr {
  readonly floats: readonly number[];
}

export type Attr = number | readonly number[] | string | FloatAttr | FloatsAttr;

/** The opset our graphs are written against: every op we emit has its current form there. */
export const OPSET = 17;
/** IR version 8 is the one that goes with opset 17. */
const IR_VERSION = 8;

export function float(value: number): FloatAttr {
  return { float: value };
}

/**
 * Builds one ONNX graph with static shapes. Every value's shape is tracked here, so emitters can
 * derive attributes (pads, reshape targets) from their inputs without running shape inference.
 */
export class GraphBuilder {
  private readonly nodes: NodeMessage[] = [];
  private readonly initializers: TensorMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
  private readonly shapes = new Map<string, Shape>();
  private readonly intConstants = new Map<string, string>();
  private readonly scalarConstants = new Map<number, string>();
  /** Operator domains other than ONNX's own that some node uses (ORT's contrib ops). */
  private readonly domains = new Set<string>();
  private counter = 0;

  shape(name: string): Shape {
    const s = this.shapes.get(name);
    if (!s) throw new Error(`the graph has no value ${name}`);
    return s;
  }

  input(name: string, shape: Shape, elemType: 'float' | 'int64' = 'float'): string {
    this.claim(name, shape);
    this.inputs.push(valueInfo(name, shape, elemType === 'float' ? DataType.FLOAT : DataType.INT64));
    return name;
  }

  /** Marks `value` as a graph output under `name` (through an Identity when the names differ). */
  output(value: string, name = value): void {
    const source = value === name ? value : this.node('Identity', [value], this.shape(value), {}, name);
    this.outputs.push(valueInfo(source, this.shape(source), DataType.FLOAT));
  }

  /** A float32 initializer; weights kept constant let ORT pre-pack them. */
  constant(data: Float32Array, shape: Shape, hint = 'c'): string {
    if (data.length !== size(shape))
      throw new Error(`constant ${hint}: ${data.length} values for shape [${shape.join(', ')}]`);
    const name = this.fresh(hint);
    this.claim(name, shape);
    const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push({ name, dims: [...shape], dataType: DataType.FLOAT, rawData: bytes });
    return name;
  }

  /** A 0-d float constant, shared by every use of the same value. */
  scalar(value: number): string {
    const cached = this.scalarConstants.get(value);
    if (cached) return cached;
    const name = this.constant(Float32Array.of(value), [], 'k');
    this.scalarConstants.set(value, name);
    return name;
  }

  /** A 1-d int64 constant (shapes, axes, pads), shared by every use of the same values. */
  ints(values: readonly number[]): string {
    const key = values.join(',');
    const cached = this.intConstants.get(key);
    if (cached) return cached;
    const name = this.fresh('i');
    this.claim(name, [values.length]);
    const data = BigInt64Array.from(values, (v) => BigInt(v));
    this.initializers.push({
      name,
      dims: [values.length],
      dataType: DataType.INT64,
      rawData: new Uint8Array(data.buffer),
    });
    this.intConstants.set(key, name);
    return name;
  }

  /** Appends a node with one output of the given shape and returns the output's name. */
  node(
    op: string,
    inputs: readonly string[],
    shape: Shape,
    attrs: Readonly<Record<string, Attr>> = {},
    name?: string,
  ): string {
    const [out] = this.nodeMulti(op, inputs, [shape], attrs, name ? [name] : undefined);
    return out as string;
  }

  /** A node of an operator domain other than ONNX's (version 1 of it), e.g. ORT's `com.microsoft.nchwc`. */
  domainNode(
    domain: string,
    op: string,
    inputs: readonly string[],
    shape: Shape,
    attrs: Readonly<Record<string, Attr>> = {},
  ): string {
    const [out] = this.nodeMulti(op, inputs, [shape], attrs, undefined, domain);
    return out as string;
  }

  nodeMulti(
    op: string,
    inputs: readonly string[],
    shapes: readonly Shape[],
    attrs: Readonly<Record<string, Attr>> = {},
    names?: readonly string[],
    domain = '',
  ): string[] {
    for (const i of inputs)
      if (i !== '' && !this.shapes.has(i)) throw new Error(`${op}: input ${i} is not in the graph`);
    const outputs = shapes.map((s, k) => {
      const name = names?.[k] ?? this.fresh(op);
      this.claim(name, s);
      return name;
    });
    if (domain !== '') this.domains.add(domain);
    this.nodes.push({
      name: this.fresh(`n_${op}`),
      opType: op,
      domain,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outputs;
  }

  /**
   * Removes and returns every node so far, in order, for a pass that rewrites the graph: it
   * appends the nodes it keeps with `append` and new ones with `node`/`domainNode`, which claim
   * fresh names as always.
   */
  takeNodes(): NodeMessage[] {
    return this.nodes.splice(0, this.nodes.length);
  }

  /**
   * Appends a node whose outputs are already values of the graph (one taken by `takeNodes`, or one that now produces
   * such a value).
   */
  append(node: NodeMessage): void {
    for (const o of node.output)
      if (!this.shapes.has(o)) throw new Error(`${node.opType}: output ${o} is not a value of the graph`);
    if (node.domain) this.domains.add(node.domain);
    this.nodes.push(node);
  }

  /** A new value name of the given shape, for a node built by hand (`append`). */
  freshValue(hint: string, shape: Shape): string {
    const name = this.fresh(hint);
    this.claim(name, shape);
    return name;
  }

  /** A new node name. */
  freshNodeName(op: string): string {
    return this.fresh(`n_${op}`);
  }

  /** The nodes so far, in order (read-only: for checks of what a pass made). */
  nodeList(): readonly NodeMessage[] {
    return this.nodes;
  }

  /** The names of the graph's outputs, in order. */
  outputNames(): string[] {
    return this.outputs.map((o) => o.name);
  }

  /** The values of a 1-d int64 constant made by `ints`, or undefined for any other value. */
  intsOf(name: string): number[] | undefined {
    for (const [key, value] of this.intConstants)
      if (value === name) return key === '' ? [] : key.split(',').map(Number);
    return undefined;
  }

  /** The values of a float32 initializer made by `constant` or `scalar`, or undefined for any other value. */
  floatsOf(name: string): Float32Array | undefined {
    const init = this.initializers.find((t) => t.name === name && t.dataType === DataType.FLOAT);
    if (!init) return undefined;
    return new Float32Array(
      init.rawData.buffer.slice(init.rawData.byteOffset, init.rawData.byteOffset + init.rawData.byteLength),
    );
  }

  toBytes(): Uint8Array {
    return encodeModel({
      irVersion: IR_VERSION,
      producerName: 'robustness-lens',
      opsetImport: [{ domain: '', version: OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))],
      graph: {
        name: 'robustness-lens',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  private fresh(hint: string): string {
    this.counter += 1;
    return `${hint}_${this.counter}`;
  }

  private claim(name: string, shape: Shape): void {
    if (this.shapes.has(name)) throw new Error(`the graph already has a value ${name}`);
    if (shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(`${name}: invalid shape [${shape.join(', ')}]`);
    this.shapes.set(name, [...shape]);
  }
}

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function valueInfo(
  name: string,
  shape: Shape,
  elemType: typeof DataType.FLOAT | typeof DataType.INT64,
): ValueInfoMessage {
  return { name, type: { tensorType: { elemType, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function attribute(name: string, value: Attr): AttributeMessage {
  if (typeof value === 'number') return { name, type: AttributeType.INT, i: value };
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: [...value.floats] };
  return { name, type: AttributeType.INTS, ints: [...value] };
}
