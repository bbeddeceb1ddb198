import { parseArgs } from 'node:util';
import { AUTOATTACK_STANDARD, type AttackName } from '../../engine/attacks/autoattack';
import { versionOption } from './eval-version';
import { warningLines } from './eval-warning-lines';
import { executeEval } from '../../engine/run/execute-eval';
import { executeTorchEval } from '../../engine/run/execute-torch-eval';
import { TORCH_EVAL_OPTIONS, TORCH_EVAL_USAGE, torchEvalValues } from './eval-torch';
import { UsageError, type CommandIO } from '../io';
import { positiveIntegerOption } from '../options';
import { formatDuration, pct, progressPrinter } from '../progress-printer';
import { epsOption, evalBackendOption, normOption, numberOption } from '../run-options';
import { defined } from './train';

export const EVAL_USAGE = `Usage: robustness-lens eval [MODEL] [options]

Clean and robust accuracy of a model under adversarial attacks on the first N test images.
With --weights RUN it evaluates the weights a 'train' run saved (the model file is taken
from the run); with --weights x.pt or x.safetensors, PyTorch weights of MODEL (read without
Python; nothing in the file is run); without, the model's random initial weights.

Options:
  --weights W        a training run folder (or its checkpoint.rlck), or a PyTorch state dict:
                     a torch.save file (.pt, .pth; a dict under state_dict, model, net ...,
                     'module.' prefixes removed) or .safetensors, by PyTorch parameter names
  --normalize N      mean/std put before the model, for a checkpoint trained on normalised
                     inputs that carries no mean/std buffers: mnist, cifar10, imagenet or
                     MEANS/STDS, e.g. 0.5,0.5,0.5/0.25,0.25,0.25. A PyTorch checkpoint gets
                     none by default, as in PyTorch; a model evaluated untrained gets the data
                     set's statistics
  --data D           mnist (bundled, default) or a folder of MNIST IDX files, CIFAR binary
                     batches, or one sub-folder of images per class
  --attacks A        autoattack (default: APGD-CE, APGD-T, FAB-T, Square, each on the points
                     still robust), or a comma-separated list of fgsm, pgd, apgd-ce, apgd-dlr,
                     apgd-t, fab-t, square
  --version V        AutoAttack's version instead of --attacks: standard (as the default),
                     plus (APGD-CE and APGD-DLR with 5 restarts, Square, APGD-T, FAB-T; its
                     untargeted FAB is not implemented yet) or rand (APGD-CE and APGD-DLR with
                     EOT over 20 samples, for randomised models)
  --eps E            radius, e.g. 0.3 or 8/255 (default 0.3 for 1-channel data, else 8/255)
  --norm N           Linf (default) or L2
  --n N              test images (default 1000)
  --batch-size N     default 100
  --pgd-steps N      steps of 'pgd' (default 20)
  --seed N           default 0
  --model NAME       which model, when the file defines several
  --backend B        auto (default), tfjs-node-gpu, tfjs-node, wasm, cpu, onnxruntime
                     (the optional onnxruntime-node package; CUDA when its CUDA 12 provider
                     is installed, else CPU) or torch (below). auto: onnxruntime on CUDA,
                     tfjs-node-gpu, onnxruntime on CPU, tfjs-node, wasm, cpu; the choice is
                     always printed
  --workspace DIR    where .robustness-lens/runs/ goes (default: the current folder)
  --json             print the result as JSON
  -h, --help         show this help${TORCH_EVAL_USAGE}`;

const ATTACKS: readonly AttackName[] = ['fgsm', 'pgd', 'apgd-ce', 'apgd-dlr', 'apgd-t', 'fab-t', 'square'];

export function attacksOption(text: string | undefined): AttackName[] {
  if (text === undefined || text === 'autoattack') return [...AUTOATTACK_STANDARD];
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const n of names)
    if (!(ATTACKS as readonly string[]).includes(n))
      throw new UsageError(`--attacks: unknown attack "${n}"; choose autoattack or from ${ATTACKS.join(', ')}`);
  if (names.length === 0) throw new UsageError('--attacks is empty');
  return names as AttackName[];
}

export async function runEval(argv: readonly string[], io: CommandIO, isCancelled: () => boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      weights: { type: 'string' },
      data: { type: 'string' },
      attacks: { type: 'string' },
      eps: { type: 'string' },
      norm: { type: 'string' },
      n: { type: 'string' },
      'batch-size': { type: 'string' },
      'pgd-steps': { type: 'string' },
      seed: { type: 'string' },
      model: { type: 'string' },
      backend: { type: 'string' },
      version: { type: 'string' },
      workspace: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      ...TORCH_EVAL_OPTIONS,
    },
  });
  if (values.help) {
    io.out(EVAL_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('eval takes one model file');
  const onTorch = values.backend === 'torch';
  const torch = torchEvalValues(values, onTorch);
  if (!positionals[0] && !values.weights && !torch.entry)
    throw new UsageError('give the model file to evaluate, or --weights RUN_FOLDER');
  const data = values.data ?? 'mnist';
  const print = progressPrinter(io, process.stderr.isTTY === true, (t) => process.stderr.write(t));
  const common = {
    ...defined('modelFile', positionals[0]),
    ...defined('modelName', values.model),
    ...defined('weights', values.weights),
    ...defined('version', versionOption(values.version, values.attacks)),
    ...defined('pgdSteps', positiveIntegerOption('pgd-steps', values['pgd-steps'])),
    data,
    workspace: values.workspace ?? process.cwd(),
    threat: { norm: normOption(values.norm), eps: epsOption(values.eps, data === 'mnist' ? 0.3 : 8 / 255) },
    attacks: attacksOption(values.attacks),
    samples: positiveIntegerOption('n', values.n) ?? 1000,
    batchSize: positiveIntegerOption('batch-size', values['batch-size']) ?? 100,
    seed: numberOption('seed', values.seed, 0, 2 ** 32 - 1) ?? 0,
  };
  const summary = onTorch
    ? await executeTorchEval({ ...common, ...torch }, print, isCancelled)
    : await executeEval(
        {
          ...common,
          ...defined('backend', evalBackendOption(values.backend)),
          ...defined('normalize', torch.normalize),
        },
        print,
        isCancelled,
      );
  print({ type: 'result', result: summary });
  const e = summary.evaluation;
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  else if (e) {
    const untrained = e.warnings?.some((w) => w.code === 'untrained-weights') ? ', UNTRAINED weights' : '';
    const threat = `${e.threat.norm} eps ${e.threat.eps.toFixed(4)}`;
    io.out(`${e.samples} images, ${threat}${untrained}${summary.message ? ` (${summary.message})` : ''}`);
    for (const line of warningLines(e.warnings ?? [])) io.out(line);
    io.out(`  clean accuracy        ${pct(e.cleanAccuracy)}`);
    for (const a of e.attacks)
      io.out(`  after ${a.name.padEnd(16)}${pct(a.robustAccuracy)}  (${formatDuration(a.seconds)})`);
    io.out(`  robust accuracy       ${pct(e.robustAccuracy)}`);
    io.out(`run folder: ${summary.runDir}`);
  }
  return summary.status === 'completed' ? 0 : 130;
}
