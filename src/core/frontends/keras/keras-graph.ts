import type { SourceRange } from '../../ir/source';

/**
 * A Keras model as a layer graph, whatever it came from (a TF.js model.json, Keras Python code):
 * each layer with its class, config, inputs and, where known, its weights' shapes.
 */
export interface KerasWeight {
  readonly name: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
}

export interface KerasLayerNode {
  readonly name: string;
  readonly className: string;
  readonly config: Readonly<Record<string, unknown>>;
  /** Names of the layers whose outputs this layer takes, in order. */
  readonly inbound: readonly string[];
  /** The layer's weights when the file lists them (TF.js weights manifest). */
  readonly weights?: readonly KerasWeight[];
  readonly source?: SourceRange;
}

export interface KerasGraph {
  readonly name: string;
  readonly layers: readonly KerasLayerNode[];
  /** Input shape without the batch axis, channels last (Keras' default). */
  readonly inputShape?: readonly (number | null)[];
  readonly source?: SourceRange;
}

export function configNumber(config: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = config[key];
  return typeof value === 'number' ? value : undefined;
}

export function configPair(config: Readonly<Record<string, unknown>>, key: string, fallback: number): [number, number] {
  const value = config[key];
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number'))
    return [value[0] as number, value[1] as number];
  return [fallback, fallback];
}
