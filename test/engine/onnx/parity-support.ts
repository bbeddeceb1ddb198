/**
 * What the onnxruntime parity tests share: models read from spec text, tfjs classifiers on the
 * `cpu` back end with non-trivial weights, and the error measure.
 */
import assert from 'node:assert/strict';
import { ensurePythonParser, networksOf, readModelFile, type Network } from '../../../src/core';
import type { ModelState } from '../../../src/engine/model/classifier';
import { TfjsClassifier } from '../../../src/engine/tfjs/tfjs-classifier';
import type { InputNormalization } from '../../../src/engine/tfjs/normalize-input';
import { randomValues, relativeError } from '../tfjs/backend-compare';
import { repoPath } from '../../helpers/paths';

export { randomValues, relativeError };

export async function networkFromText(file: string, text: string, numClasses: number): Promise<Network> {
  if (file.endsWith('.py')) await ensurePythonParser(repoPath('dist-test'));
  const read = readModelFile(file, text, { numClasses });
  const [network] = networksOf(read);
  assert.ok(network, `${file} did not read: ${read.diagnostics.map((d) => d.message).join('; ')}`);
  return network;
}

/**
 * A tfjs model whose BatchNorm statistics, affine parameters, biases and activation parameters
 * are moved away from their initial values (ones, zeros), so folding and every parameter count.
 */
export async function perturbedTfjsModel(
  network: Network,
  size: number,
  numClasses: number,
  normalization: InputNormalization | undefined,
  seed: number,
): Promise<{ model: TfjsClassifier; state: ModelState }> {
  const shape = { height: size, width: size, channels: network.inputChannels };
  const model = new TfjsClassifier(network, {
    inputShape: shape,
    numClasses,
    seed,
    ...(normalization ? { normalization } : {}),
  });
  const original = await model.getState();
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  let k = seed;
  for (const [name, entry] of original.tensors) {
    const noise = randomValues(entry.data.length, ++k);
    let data = entry.data;
    if (name.endsWith('running_var')) data = Float32Array.from(noise, (u) => 1 + 0.5 * u);
    else if (name.endsWith('running_mean')) data = Float32Array.from(noise, (u) => 0.2 * u);
    else if (entry.shape.length === 1) data = Float32Array.from(entry.data, (v, i) => v + 0.1 * (noise[i] as number));
    tensors.set(name, { shape: entry.shape, data });
  }
  const state = { tensors };
  await model.setState(state);
  return { model, state };
}
