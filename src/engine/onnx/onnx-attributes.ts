// ONNX node attributes made and read by the graph rewrites (the blocked-layout pass and its fusion).
import { AttributeType, type AttributeMessage, type NodeMessage } from './onnx-proto';

export function int(name: string, value: number): AttributeMessage {
  return { name, type: AttributeType.INT, i: value };
}

export function ints(name: string, values: readonly number[]): AttributeMessage {
  return { name, type: AttributeType.INTS, ints: [...values] };
}

export function str(name: string, value: string): AttributeMessage {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

export function intAttr(node: NodeMessage, name: string): number | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a?.i === undefined ? undefined : Number(a.i);
}

export function intsAttr(node: NodeMessage, name: string): number[] | undefined {
  const a = node.attribute.find((x) => x.name === name);
  return a?.ints === undefined ? undefined : a.ints.map(Number);
}

export function floatAttr(node: NodeMessage, name: string): number | undefined {
  return node.attribute.find((x) => x.name === name)?.f;
}
