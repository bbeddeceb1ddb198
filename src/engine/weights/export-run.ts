import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InputShape } from '../model/classifier';
import { readNetwork } from '../run/model-plan';
import type { InputNormalization } from '../tfjs/normalize-input';
import { readCheckpoint } from '../train/checkpoint';
import { writeFileAtomic } from '../util/atomic-write';
import { torchStateDict } from './load-weights';
import { writeSafetensors } from './safetensors';
import { torchStateDictFile } from './torch-writer';
import { WeightsFileError } from './weights-error';

export type ExportFormat = 'pt' | 'safetensors';

export interface ExportedWeights {
  readonly file: string;
  readonly tensors: number;
  readonly model: string;
}

interface SavedRunConfig {
  readonly kind?: string;
  readonly model?: {
    readonly file?: string;
    readonly name?: string;
    readonly inputShape?: InputShape;
    readonly normalization?: InputNormalization | null;
  };
}

/**
 * A training run's last checkpoint as a PyTorch state dict of the IR model (python/ir_model.py's
 * names and layouts, the input normalisation as its `mean`/`std` buffers), written atomically:
 * `IrModel(json).load_state_dict(torch.load(file), strict=True)` accepts it.
 */
export async function exportRun(runDir: string, format: ExportFormat, out?: string): Promise<ExportedWeights> {
  const dir = path.resolve(runDir);
  const configFile = path.join(dir, 'config.json');
  let config: SavedRunConfig;
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as SavedRunConfig;
  } catch (error) {
    throw new WeightsFileError(
      `${runDir} is not a training run folder: ${configFile} is missing or damaged (${(error as Error).message})`,
    );
  }
  const model = config.model;
  if (config.kind !== 'train' || !model?.file || !model.name || !model.inputShape) {
    throw new WeightsFileError(`${configFile} does not describe a training run's model (file, name, input shape)`);
  }
  const network = await readNetwork(model.file, model.name);
  const { state } = readCheckpoint(path.join(dir, 'checkpoint.rlck'));
  const tensors = torchStateDict(network, model.inputShape, state, model.normalization ?? undefined);
  const file = path.resolve(out ?? path.join(dir, `weights.${format}`));
  const bytes =
    format === 'pt' ? torchStateDictFile(tensors) : writeSafetensors(tensors, { format: 'pt', model: network.name });
  writeFileAtomic(file, bytes);
  return { file, tensors: tensors.size, model: network.name };
}
