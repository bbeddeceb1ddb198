/**
 * Whether TF.js can rebuild a Keras topology, checked before it tries. tfjs-layers' functional
 * `fromConfig` queues each layer call until the calls it takes inputs from exist and loops over
 * the queue until it is empty; a call that can never be made (a cycle, a layer that is not in
 * the model, a node index no call creates) keeps the loop going forever, synchronously, so not
 * even Ctrl-C gets through. This replays that queue on the JSON alone (no tensors): when a pass
 * makes no progress, the calls left are named and nothing is handed to TF.js. The lint front end
 * reports the same problem, since such a file describes no model.
 */

/** Layers a model may have: the deepest published image classifiers have about a thousand. */
export const MAX_LAYERS = 20_000;
const MAX_NESTING = 32;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One inbound reference of a call: [layer name, node index, tensor index, kwargs]. */
interface Inbound {
  readonly layer: string;
  readonly node: number;
}

/** Why TF.js cannot rebuild `modelTopology` (with or without its `model_config` wrapper), or undefined when it can. */
export function kerasTopologyProblem(modelTopology: unknown): string | undefined {
  try {
    checkTopology(modelTopology);
    return undefined;
  } catch (error) {
    if (error instanceof TopologyProblem) return error.message;
    throw error;
  }
}

class TopologyProblem extends Error {}

function checkTopology(modelTopology: unknown): void {
  const model =
    isRecord(modelTopology) && isRecord(modelTopology.model_config) ? modelTopology.model_config : modelTopology;
  let layers = 0;
  const visit = (config: unknown, where: string, depth: number): void => {
    if (!isRecord(config)) return;
    if (depth > MAX_NESTING) throw new TopologyProblem(`models nested more than ${MAX_NESTING} deep (at ${where})`);
    const inner = config.config;
    const list = Array.isArray(inner)
      ? inner
      : isRecord(inner) && Array.isArray(inner.layers)
        ? inner.layers
        : undefined;
    if (!list) return;
    layers += list.length;
    if (layers > MAX_LAYERS)
      throw new TopologyProblem(`the model has more than ${MAX_LAYERS.toLocaleString('en-US')} layers`);
    if (config.class_name !== 'Sequential' && !Array.isArray(inner)) checkCalls(list, where);
    for (const layer of list) {
      if (isRecord(layer) && isContainer(layer))
        visit(layer, `${where} > ${String(layer.name ?? (layer.config as Json | undefined)?.name)}`, depth + 1);
    }
  };
  visit(model, 'the model', 0);
}

function isContainer(layer: Json): boolean {
  return layer.class_name === 'Sequential' || layer.class_name === 'Model' || layer.class_name === 'Functional';
}

function inboundOf(nodeData: unknown, layer: string): Inbound[] {
  if (!Array.isArray(nodeData)) throw new TopologyProblem(`layer ${layer} has an inbound node that is not a list`);
  return nodeData.map((entry) => {
    if (
      !Array.isArray(entry) ||
      typeof entry[0] !== 'string' ||
      !Number.isInteger(entry[1]) ||
      (entry[1] as number) < 0
    ) {
      throw new TopologyProblem(
        `layer ${layer} has an inbound reference ${JSON.stringify(entry)?.slice(0, 80)}; ` +
          `expected [layer name, node index, tensor index, {}]`,
      );
    }
    return { layer: entry[0], node: entry[1] as number };
  });
}

/**
 * Which calls of one functional model's layer list tfjs's queue can ever make. Whether its loop
 * ends does not depend on the order it visits calls in (making a call only adds to what others
 * can use), so this replays it with a work list rather than tfjs's repeated passes: linear in
 * the calls, where the passes are quadratic on a list written in reverse.
 */
function checkCalls(list: readonly unknown[], where: string): void {
  // Calls made so far per layer: an InputLayer, and a nested model, start with one of their own.
  const made = new Map<string, number>();
  const pending: { layer: string; inputs: Inbound[] }[] = [];
  for (const [i, layer] of list.entries()) {
    if (!isRecord(layer)) throw new TopologyProblem(`layer ${i} of ${where} is not an object`);
    const name = layer.name;
    const configName = isRecord(layer.config) ? layer.config.name : undefined;
    if (typeof name !== 'string') throw new TopologyProblem(`layer ${i} of ${where} has no name`);
    if (configName !== undefined && configName !== name) {
      throw new TopologyProblem(
        `layer ${i} of ${where} is named ${name} but its config names it ${String(configName)}`,
      );
    }
    if (made.has(name)) throw new TopologyProblem(`${where} has two layers named ${name}`);
    made.set(name, layer.class_name === 'InputLayer' || isContainer(layer) ? 1 : 0);
    const nodes = layer.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) throw new TopologyProblem(`layer ${name}'s inbound_nodes is not a list`);
    for (const node of nodes) pending.push({ layer: name, inputs: inboundOf(node, name) });
  }
  // Calls waiting for one more call of a layer; woken (checked again) when that layer is called.
  const waiting = new Map<string, { layer: string; inputs: Inbound[] }[]>();
  const work = [...pending];
  for (let call = work.pop(); call !== undefined; call = work.pop()) {
    const unmet = call.inputs.find((input) => (made.get(input.layer) ?? 0) <= input.node);
    if (unmet) {
      const list = waiting.get(unmet.layer);
      if (list) list.push(call);
      else waiting.set(unmet.layer, [call]);
      continue;
    }
    if (call.inputs.length === 0) continue;
    made.set(call.layer, (made.get(call.layer) ?? 0) + 1);
    const woken = waiting.get(call.layer);
    if (woken) {
      waiting.delete(call.layer);
      work.push(...woken);
    }
  }
  if (waiting.size === 0) return;
  // In the file's order, so the message starts where a reader of the file would.
  const left = new Set([...waiting.values()].flat());
  const stuck = new Map<string, Inbound[][]>();
  for (const call of pending.filter((c) => left.has(c)))
    stuck.set(call.layer, [...(stuck.get(call.layer) ?? []), call.inputs]);
  throw new TopologyProblem(`${describeStuck(stuck, made, where)}; TF.js would loop forever loading it`);
}

function describeStuck(
  queue: ReadonlyMap<string, Inbound[][]>,
  made: ReadonlyMap<string, number>,
  where: string,
): string {
  const missing = [...queue.values()].flat(2).find((input) => !made.has(input.layer));
  if (missing) return `in ${where}, a layer takes its input from ${missing.layer}, which is not a layer of the model`;
  const cycle = findCycle(queue);
  if (cycle) return `in ${where}, the layers form a cycle (${cycle.join(' -> ')})`;
  const [name, calls] = [...queue][0] as [string, Inbound[][]];
  const input = (calls[0] ?? []).find((i) => (made.get(i.layer) ?? 0) <= i.node) as Inbound;
  return `in ${where}, layer ${name} takes call ${input.node} of ${input.layer}, which is never made`;
}

/** A cycle among the waiting calls (each layer to the layers it waits on), if there is one. */
function findCycle(queue: ReadonlyMap<string, Inbound[][]>): string[] | undefined {
  const edges = new Map([...queue].map(([name, calls]) => [name, [...new Set(calls.flat().map((i) => i.layer))]]));
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  // Iterative depth-first search: a hostile file can chain tens of thousands of layers.
  for (const start of edges.keys()) {
    if (state.has(start)) continue;
    const frames: { name: string; next: number }[] = [{ name: start, next: 0 }];
    state.set(start, 'open');
    stack.push(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { name: string; next: number };
      const targets = edges.get(frame.name) ?? [];
      if (frame.next >= targets.length) {
        state.set(frame.name, 'done');
        stack.pop();
        frames.pop();
        continue;
      }
      const target = targets[frame.next++] as string;
      if (state.get(target) === 'open') return [...stack.slice(stack.indexOf(target)), target];
      if (!state.has(target) && edges.has(target)) {
        state.set(target, 'open');
        stack.push(target);
        frames.push({ name: target, next: 0 });
      }
    }
  }
  return undefined;
}
