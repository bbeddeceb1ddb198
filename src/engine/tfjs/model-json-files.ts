import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { FileReadError, READ_LIMITS, readFileBounded, readTextBounded } from '../../core/workspace/read-bounded';
import { kerasTopologyProblem } from '../../core/frontends/keras/check-topology';
import { UnsupportedModelError } from './unsupported-model-error';

export interface ModelJson {
  readonly modelTopology?: object;
  readonly weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  readonly format?: string;
}

/** Bytes all weight files of one model may add up to. */
export const MAX_WEIGHT_BYTES = READ_LIMITS.weights;

function refused(modelJson: string, error: unknown): UnsupportedModelError {
  if (error instanceof FileReadError)
    return new UnsupportedModelError(error.file === modelJson ? error.message : `${modelJson}: ${error.message}`);
  return new UnsupportedModelError(`cannot read ${modelJson}: ${(error as Error).message}`);
}

/**
 * A TF.js model.json, read bounded, parsed, and with a topology TF.js can rebuild without looping
 * (core/frontends/keras/check-topology.ts). Everything that loads a model.json goes through here.
 */
export function readModelJson(modelJson: string): ModelJson {
  let json: ModelJson;
  try {
    json = JSON.parse(
      readTextBounded(modelJson, { maxBytes: READ_LIMITS.modelJson, what: 'TF.js model.json' }),
    ) as ModelJson;
  } catch (error) {
    throw refused(modelJson, error);
  }
  if (typeof json !== 'object' || json === null)
    throw new UnsupportedModelError(`${modelJson} is not a TF.js layers model (not a JSON object)`);
  const problem = json.modelTopology ? kerasTopologyProblem(json.modelTopology) : undefined;
  if (problem) throw new UnsupportedModelError(`${modelJson}: ${problem}; it is not loaded`);
  return json;
}

/**
 * The weight files a manifest names, concatenated. Each path must be relative and lead to a
 * regular file inside the model.json's folder (`../../etc/passwd`, `/proc/self/environ` and links
 * out of the folder are refused), and all of them together are bounded.
 */
export function readWeightFiles(
  modelJson: string,
  manifest: NonNullable<ModelJson['weightsManifest']>,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  if (!Array.isArray(manifest)) throw new UnsupportedModelError(`${modelJson}: weightsManifest is not a list`);
  const dir = path.dirname(path.resolve(modelJson));
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  let total = 0;
  for (const group of manifest) {
    if (typeof group !== 'object' || group === null || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new UnsupportedModelError(`${modelJson}: a weightsManifest group has no paths and weights lists`);
    }
    for (const p of group.paths) {
      if (
        typeof p !== 'string' ||
        p === '' ||
        path.isAbsolute(p) ||
        path.win32.isAbsolute(p) ||
        p.split(/[\\/]/).includes('..')
      ) {
        throw new UnsupportedModelError(
          `${modelJson}: weight file ${JSON.stringify(p)} is not a path inside the ` +
            `model's folder; weight files must sit beside model.json or below it`,
        );
      }
      let bytes: Buffer;
      try {
        bytes = readFileBounded(path.join(dir, p), {
          maxBytes: MAX_WEIGHT_BYTES - total,
          root: dir,
          what: 'weight file',
        });
      } catch (error) {
        if (error instanceof FileReadError && error.reason === 'missing')
          throw new UnsupportedModelError(`${modelJson} names weight file ${p}, which is missing`);
        if (error instanceof FileReadError && error.reason === 'too-large') {
          throw new UnsupportedModelError(
            `${modelJson}: its weight files add up to more than ` +
              `${MAX_WEIGHT_BYTES / 2 ** 30} GiB (at ${p}); they are not read`,
          );
        }
        throw refused(modelJson, error);
      }
      total += bytes.length;
      buffers.push(bytes);
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  return { specs, data: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer };
}
