import * as path from 'node:path';
import { autoAttackVersion } from '../attacks/autoattack-versions';
import { attackByName } from '../attacks/autoattack';
import { take } from '../data/dataset';
import { DatasetError } from '../data/dataset-error';
import { openDataset } from '../data/open-dataset';
import { networkJson } from '../pytorch/network-json';
import { TorchClassifier, type TorchModelSource } from '../torch-backend/torch-classifier';
import { attackDataset } from './attack-loop';
import type { EvalRunOptions } from './execute-eval';
import { normalizationFor, readNetwork } from './model-plan';
import type { RunListener, RunSummary } from './run-messages';
import { describeEnvironment, RunDirectory } from './run-store';
import { workerReadsWeightsFile, type TorchEvalSource } from './torch-eval-source';
import { askedNormalizationNote } from './input-normalization';

export type TorchEvalOptions = Omit<EvalRunOptions, 'backend' | 'torch'> & TorchEvalSource;

/**
 * An evaluation on the user's own PyTorch (the torch back end): their nn.Module, or a network of
 * the IR rebuilt as torch.nn, with a torch.save checkpoint, attacked by the engine's attacks
 * through the worker. The caller has made sure running the user's code was allowed.
 */
export async function executeTorchEval(
  options: TorchEvalOptions,
  listener: RunListener,
  isCancelled: () => boolean,
): Promise<RunSummary> {
  if (!options.entry && !options.modelFile) throw new Error('give a model file or --entry FILE.py:factory(...)');
  if (options.weights && !workerReadsWeightsFile(options.weights)) {
    throw new Error(
      `${options.weights}: the torch back end reads torch.save files (.pt, .pth, .ckpt) and .safetensors; ` +
        'evaluate a training run of the engine with --backend onnxruntime, or export it with `robustness-lens export`',
    );
  }
  const run = RunDirectory.create(options.workspace, 'eval');
  const split = openDataset(options.data);
  const data = take(split.test, options.samples);
  if (data.n === 0) throw new DatasetError(`${options.data} has no test images to evaluate`, options.data);
  let source: TorchModelSource;
  let name: string;
  if (options.entry) {
    source = { kind: 'entry', entry: options.entry, baseDir: path.resolve(options.baseDir ?? options.workspace) };
    name = options.entry;
  } else {
    const network = await readNetwork(options.modelFile as string, options.modelName);
    // A checkpoint carries its own normalisation or none (input-normalization.ts); --normalize goes before the model.
    const norm = options.normalize || options.weights ? undefined : normalizationFor(split.test);
    source = { kind: 'ir', network: networkJson(network), ...(norm ? { mean: norm.mean, std: norm.std } : {}) };
    name = network.name;
  }
  const model = await TorchClassifier.create({
    python: options.python,
    source,
    inputShape: data.shape,
    seed: options.seed,
    cwd: options.workspace,
    ...(options.weights ? { weights: path.resolve(options.weights) } : {}),
    ...(options.normalize ? { normalize: options.normalize } : {}),
    ...(options.device ? { device: options.device } : {}),
  });
  try {
    if (model.numClasses !== data.numClasses) {
      throw new Error(`${name} outputs ${model.numClasses} classes but ${options.data} has ${data.numClasses}`);
    }
    const notes = [
      `attacks run on the model in PyTorch ${model.info.torchVersion} (${options.python}), device ${model.info.device}`,
    ];
    if (options.weights)
      notes.push(
        `PyTorch weights from ${options.weights}${model.info.notes.length ? ` (${model.info.notes.join('; ')})` : ''}`,
      );
    else if (options.entry && options.untrained)
      notes.push(`untrained: the initial weights ${options.entry} returned, as chosen for this run`);
    else if (options.entry) notes.push(`no --weights given: the weights are those ${options.entry} returned`);
    else notes.push('no --weights given: the model has its random initial weights');
    if (options.normalize) notes.push(askedNormalizationNote(options.normalize));
    listener({
      type: 'started',
      runId: run.id,
      runDir: run.dir,
      backend: 'torch',
      device: model.info.deviceName,
      notes,
    });
    const attacks = options.version
      ? autoAttackVersion(options.version).attacks
      : options.attacks.map((a) => attackByName(a, options.pgdSteps));
    run.writeJson('config.json', {
      kind: 'eval',
      backend: 'torch',
      model: {
        file: options.modelFile ? path.resolve(options.modelFile) : null,
        entry: options.entry ?? null,
        name,
        params: model.paramCount(),
        weights: options.weights ? path.resolve(options.weights) : null,
        normalization: options.normalize ?? null,
      },
      data: options.data,
      threat: options.threat,
      attacks: attacks.map((a) => a.name),
      version: options.version ?? null,
      samples: data.n,
      seed: options.seed,
    });
    run.writeJson('environment.json', {
      ...describeEnvironment('torch', model.info.deviceName, notes),
      torch: model.info.torchVersion,
      torchDevice: model.info.device,
      python: options.python,
    });
    // An entry's factory may load trained weights itself: untrained only when the person said its weights are initial.
    const untrained = !options.weights && (!options.entry || options.untrained === true);
    const { status, evaluation } = await attackDataset(
      model,
      data,
      {
        threat: options.threat,
        attacks,
        batchSize: options.batchSize,
        seed: options.seed,
        untrained,
        weightsSource: options.weights ?? options.entry ?? options.modelFile ?? name,
      },
      listener,
      isCancelled,
    );
    const summary: RunSummary = {
      runId: run.id,
      runDir: run.dir,
      kind: 'eval',
      status,
      evaluation,
      ...(status === 'cancelled'
        ? { message: `cancelled after ${evaluation.samples} of ${data.n} images; the figures cover those` }
        : {}),
    };
    run.writeJson('result.json', {
      ...summary,
      backend: { name: 'torch', device: model.info.deviceName, torch: model.info.torchVersion },
    });
    return summary;
  } finally {
    await model.dispose();
  }
}
