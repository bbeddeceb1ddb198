import type { Network } from '../../ir/network';
import type { ReadResult } from '../read-result';
import { Abort } from '../pytorch/interpreter';
import { readPythonProgram, requiredParameters } from '../pytorch/python-program';
import { kerasGraphToNetwork } from './graph-to-network';

/** A Python file that builds a Keras model (tf.keras or Keras 3). */
export function looksLikeKeras(text: string): boolean {
  return /^\s*(import\s+(tensorflow|keras)\b|from\s+(tensorflow|keras)(\.|\s+import)\b)/m.test(text);
}

/**
 * Reads Keras Python statically: the functional API (`keras.Input`, layers called on tensors,
 * `keras.Model(inputs, outputs)`) and `keras.Sequential`, at module level or in argument-free
 * builder functions. Counts follow Keras: BatchNormalization's moving statistics are
 * non-trainable weights in its total.
 */
export function readKeras(file: string, text: string): ReadResult {
  return readPythonProgram(file, text, ({ interpreter, map, diagnostics, origin, diagnostic }) => {
    const networks: Network[] = [];
    for (const [name, value] of interpreter.globals.vars) {
      try {
        let model = value.kind === 'kerasModel' ? value : undefined;
        if (
          !model &&
          value.kind === 'function' &&
          value.fn.scope === interpreter.globals &&
          requiredParameters(value.fn.node, false) === 0 &&
          /\breturn\b/.test(value.fn.node.childForFieldName('body')?.text ?? '')
        ) {
          interpreter.beginEntry();
          const result = interpreter.invoke(value.fn, undefined, [], new Map(), { tracing: false });
          if (result.kind === 'kerasModel') model = result;
        }
        if (!model) continue;
        const graph =
          model.graph.name === 'model' || model.graph.name === 'sequential' ? { ...model.graph, name } : model.graph;
        networks.push(kerasGraphToNetwork(graph, file, 'keras'));
      } catch (e) {
        if (!(e instanceof Abort)) throw e;
        diagnostics.push(
          diagnostic(
            value.kind === 'function' ? map.range(value.fn.node.childForFieldName('name') ?? value.fn.node) : origin,
            'RL107',
            `${name}: ${e.message}`,
          ),
        );
      }
    }
    if (networks.length === 0 && diagnostics.length === 0) {
      diagnostics.push(
        diagnostic(
          origin,
          'RL108',
          'no Keras model found: expected keras.Model(...) or keras.Sequential(...) at ' +
            'module level or returned by an argument-free function',
          'info',
        ),
      );
    }
    return { network: networks[0], networks, diagnostics };
  });
}
