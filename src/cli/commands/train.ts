import { parseArgs } from 'node:util';
import { executeTrain } from '../../engine/run/execute-train';
import type { RunListener, RunSummary } from '../../engine/run/run-messages';
import type { TrainConfig, TrainMethod } from '../../engine/train/train-config';
import type { ScheduleKind } from '../../engine/train/schedule';
import { UsageError, type CommandIO } from '../io';
import { positiveIntegerOption } from '../options';
import { formatDuration, pct, progressPrinter } from '../progress-printer';
import { choiceOption, epsOption, normOption, numberOption, trainBackendOption } from '../run-options';
import { isTorchRun, TORCH_OPTIONS, TORCH_USAGE, trainOnTorch } from './train-torch';

export const TRAIN_USAGE = `Usage: robustness-lens train MODEL [options]
       robustness-lens train --resume RUN_FOLDER

Trains a model file (architecture spec, RobArch config, PyTorch or Keras file whose model
the engine can build) adversarially, checkpointing every epoch under
.robustness-lens/runs/<id>/. Ctrl-C stops within a second and keeps every finished epoch.

Options:
  --data D           mnist (the bundled digits, default), or a folder of MNIST IDX files,
                     CIFAR-10/100 binary batches, or one sub-folder of images per class
  --method M         pgd (Madry et al., default), fast (FGSM with random start, Wong et al.),
                     trades (Zhang et al.) or standard
  --eps E            radius, e.g. 0.3 or 8/255 (default 0.3 for 1-channel data, else 8/255)
  --norm N           Linf (default) or L2
  --epochs N         default 10
  --batch-size N     default 128
  --attack-steps N   inner PGD / TRADES steps (default 10)
  --step-size S      inner step (default 2.5 eps / steps; 1.25 eps for fast)
  --lr R             maximum learning rate (default 0.1)
  --schedule S       cosine (default), step, cyclic or constant
  --momentum M       default 0.9
  --weight-decay W   default 5e-4 (never on norms and biases)
  --eps-ramp N       grow eps linearly over the first N epochs (default 0)
  --trades-beta B    default 6
  --train-samples N  train on the first N training images only (class-balanced)
  --eval-samples N   test images for the per-epoch clean / FGSM / PGD accuracy (default 500)
  --seed N           default 0
  --model NAME       which model, when the file defines several
  --backend B        auto (default), tfjs-node-gpu, tfjs-node, wasm, cpu, onnxruntime
                     (ONNX Runtime on the CPU; needs the optional onnxruntime-node) or torch
                     (the user's PyTorch; MODEL may also be an entry FILE.py:factory(args))
  --workspace DIR    where .robustness-lens/runs/ goes (default: the current folder)
  --resume RUN       continue the run in that folder from its last finished epoch
  --init-weights W   start from PyTorch weights (fine-tuning): a torch.save state dict (.pt,
                     .pth) or .safetensors, matched by PyTorch parameter names
  --json             print the result as JSON
  -h, --help         show this help${TORCH_USAGE}`;

export async function runTrain(argv: readonly string[], io: CommandIO, isCancelled: () => boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      method: { type: 'string' },
      eps: { type: 'string' },
      norm: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      'attack-steps': { type: 'string' },
      'step-size': { type: 'string' },
      lr: { type: 'string' },
      schedule: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      'eps-ramp': { type: 'string' },
      'trades-beta': { type: 'string' },
      'train-samples': { type: 'string' },
      'eval-samples': { type: 'string' },
      seed: { type: 'string' },
      model: { type: 'string' },
      backend: { type: 'string' },
      workspace: { type: 'string' },
      resume: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...TORCH_OPTIONS,
      'init-weights': { type: 'string' },
    },
  });
  if (values.help) {
    io.out(TRAIN_USAGE);
    return 0;
  }
  const modelFile = positionals[0];
  if (!modelFile && !values.resume) throw new UsageError('give the model file to train (or --resume RUN_FOLDER)');
  if (positionals.length > 1) throw new UsageError('train takes one model file');
  if (values.resume && values['init-weights']) {
    throw new UsageError('--init-weights starts a new run; a resumed run continues from its own checkpoint');
  }
  const data = values.data ?? 'mnist';
  const defaultEps = data === 'mnist' ? 0.3 : 8 / 255;
  const config: Partial<TrainConfig> & Pick<TrainConfig, 'threat'> = {
    threat: { norm: normOption(values.norm), eps: epsOption(values.eps, defaultEps) },
    ...defined('method', choiceOption<TrainMethod>('method', values.method, ['pgd', 'fast', 'trades', 'standard'])),
    ...defined('epochs', positiveIntegerOption('epochs', values.epochs)),
    ...defined('batchSize', positiveIntegerOption('batch-size', values['batch-size'])),
    ...defined('attackSteps', positiveIntegerOption('attack-steps', values['attack-steps'])),
    ...defined('attackStepSize', numberOption('step-size', values['step-size'], 0, 1)),
    ...defined('learningRate', numberOption('lr', values.lr, 0, 10)),
    ...defined(
      'schedule',
      choiceOption<ScheduleKind>('schedule', values.schedule, ['cosine', 'step', 'cyclic', 'constant']),
    ),
    ...defined('momentum', numberOption('momentum', values.momentum, 0, 1)),
    ...defined('weightDecay', numberOption('weight-decay', values['weight-decay'], 0, 1)),
    ...defined('epsRampEpochs', numberOption('eps-ramp', values['eps-ramp'], 0)),
    ...defined('tradesBeta', numberOption('trades-beta', values['trades-beta'], 0)),
    ...defined('trainSamples', positiveIntegerOption('train-samples', values['train-samples'])),
    ...defined('evalSamples', positiveIntegerOption('eval-samples', values['eval-samples'])),
    ...defined('seed', numberOption('seed', values.seed, 0, 2 ** 32 - 1)),
  };
  const print = progressPrinter(io, process.stderr.isTTY === true, (t) => process.stderr.write(t));
  const torch = values.backend === 'torch' || (values.resume !== undefined && isTorchRun(values.resume));
  const torchOnly = Object.keys(TORCH_OPTIONS).filter((k) => values[k as keyof typeof TORCH_OPTIONS] !== undefined);
  if (!torch && torchOnly.length > 0) throw new UsageError(`--${torchOnly[0]} is an option of --backend torch`);
  if (torch) {
    const outcome = await trainOnTorch(
      {
        data,
        config,
        workspace: values.workspace ?? process.cwd(),
        values,
        ...(modelFile ? { model: modelFile } : {}),
        ...(values.model ? { modelName: values.model } : {}),
        ...(values.resume ? { resume: values.resume } : {}),
        ...defined('initWeights', values['init-weights']),
      },
      print,
      isCancelled,
    );
    if ('submitted' in outcome) {
      io.out(
        values.json
          ? JSON.stringify(outcome.submitted)
          : `submitted Slurm job ${outcome.submitted.jobId}\nrun folder: ${outcome.submitted.runDir}`,
      );
      return 0;
    }
    return report(outcome.summary, print, io, values.json === true);
  }
  const summary = await executeTrain(
    {
      modelFile: modelFile ?? '',
      data,
      config,
      workspace: values.workspace ?? process.cwd(),
      ...(values.model ? { modelName: values.model } : {}),
      ...defined('backend', trainBackendOption(values.backend)),
      ...(values.resume ? { resume: values.resume } : {}),
      ...defined('initWeights', values['init-weights']),
    },
    print,
    isCancelled,
  );
  return report(summary, print, io, values.json === true);
}

function report(summary: RunSummary, print: RunListener, io: CommandIO, json: boolean): number {
  print({ type: 'result', result: summary });
  if (json) io.out(JSON.stringify(summary, null, 2));
  else {
    const last = summary.history?.[summary.history.length - 1];
    io.out(`${summary.status}${summary.message ? `: ${summary.message}` : ''}`);
    if (last)
      io.out(
        `after ${last.epoch} epochs: clean ${pct(last.cleanAccuracy)}, FGSM ` +
          `${pct(last.fgsmAccuracy)}, PGD ${pct(last.pgdAccuracy)} at eps ` +
          `${last.eps.toFixed(4)}; ` +
          `${formatDuration(summary.history?.reduce((s, h) => s + h.seconds, 0) ?? 0)} in all`,
      );
    io.out(`run folder: ${summary.runDir}`);
  }
  return summary.status === 'completed' ? 0 : summary.status === 'cancelled' ? 130 : 1;
}

/** `{ key: value }` when value is defined, else nothing (exactOptionalPropertyTypes-friendly). */
export function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
