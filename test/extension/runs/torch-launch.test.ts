import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseEngineRequest } from '../../../src/engine/protocol';
import { sbatchScript } from '../../../src/engine/torch/slurm';
import { trainRequest } from '../../../src/extension/runs/run-request';
import {
  checkName,
  checkTime,
  describeLaunch,
  torchLaunchOptions,
  torchSettingsFrom,
  torchTrainPrompt,
  type SettingGetter,
} from '../../../src/extension/runs/torch-launch';

/** Settings as VS Code hands them over: whatever the person wrote, keyed below robustnessLens. */
function getter(values: Record<string, unknown>): SettingGetter {
  return <T>(key: string, fallback: T): T => (key in values ? (values[key] as T) : fallback);
}

describe('PyTorch launch options from the settings and the prompts', () => {
  it('defaults: python3, 2 processes, device auto, no Slurm options', () => {
    const settings = torchSettingsFrom(getter({}));
    assert.deepEqual(settings, {
      python: 'python3',
      processes: 2,
      device: 'auto',
      slurm: { partition: '', gpusPerNode: 0, time: '', account: '', nodes: 1 },
    });
    const torchrun = torchLaunchOptions('torchrun', settings);
    assert.ok(torchrun.ok);
    assert.deepEqual(torchrun.value, {
      launch: {
        python: 'python3',
        nnodes: 1,
        nprocPerNode: 2,
        device: 'auto',
        amp: false,
        syncBatchNorm: false,
        maxRestarts: 0,
      },
    });
  });

  it('hand-written settings of the wrong type or range fall back to the defaults', () => {
    const settings = torchSettingsFrom(
      getter({
        'python.path': '  /usr/bin/python3 ',
        'torch.processes': 0,
        'torch.device': 'tpu',
        'slurm.gpusPerNode': 1.5,
        'slurm.partition': 42,
        'slurm.nodes': -1,
        'slurm.time': ' 4:00:00 ',
      }),
    );
    assert.equal(settings.python, '/usr/bin/python3');
    assert.equal(settings.processes, 2);
    assert.equal(settings.device, 'auto');
    assert.deepEqual(settings.slurm, { partition: '', gpusPerNode: 0, time: '4:00:00', account: '', nodes: 1 });
  });

  it('torchrun: the typed process count wins over the setting', () => {
    const settings = torchSettingsFrom(getter({ 'torch.processes': 4, 'python.path': '/usr/bin/python3' }));
    const typed = torchLaunchOptions('torchrun', settings, { processes: ' 3 ' });
    assert.ok(typed.ok);
    assert.equal(typed.value.launch.nprocPerNode, 3);
    assert.equal(typed.value.launch.python, '/usr/bin/python3');
    assert.equal(typed.value.slurm, undefined);
    const bad = torchLaunchOptions('torchrun', settings, { processes: 'two' });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /"two": a whole number of processes/);
  });

  it('Slurm: one process per GPU on the GPUs asked for; without GPUs, the CPU process count on the CPU', () => {
    const settings = torchSettingsFrom(
      getter({
        'slurm.partition': 'gpu',
        'slurm.gpusPerNode': 4,
        'slurm.time': '1-12:00:00',
        'slurm.account': 'robust',
        'slurm.nodes': 2,
      }),
    );
    const gpus = torchLaunchOptions('slurm', settings, {
      partition: 'gpu',
      gpusPerNode: '4',
      time: '1-12:00:00',
      account: 'robust',
    });
    assert.ok(gpus.ok);
    assert.deepEqual(gpus.value.slurm, { partition: 'gpu', gpusPerNode: 4, time: '1-12:00:00', account: 'robust' });
    assert.equal(gpus.value.launch.nprocPerNode, 4);
    assert.equal(gpus.value.launch.nnodes, 2);
    assert.equal(gpus.value.launch.device, 'auto');
    // Empty answers drop the option: sbatch then takes the cluster's defaults.
    const cpu = torchLaunchOptions('slurm', settings, { partition: '', gpusPerNode: '0', time: '', account: '' });
    assert.ok(cpu.ok);
    assert.deepEqual(cpu.value.slurm, {});
    assert.equal(cpu.value.launch.nprocPerNode, 2);
    assert.equal(cpu.value.launch.device, 'cpu');
  });

  it('the options become the batch script the CLI writes', () => {
    const options = torchLaunchOptions('slurm', torchSettingsFrom(getter({})), {
      partition: 'debug',
      gpusPerNode: '2',
      time: '90',
      account: 'lab-1',
    });
    assert.ok(options.ok);
    const script = sbatchScript('/shared/ws/.robustness-lens/runs/r1', options.value.launch, options.value.slurm ?? {});
    for (const line of [
      '#SBATCH --partition=debug',
      '#SBATCH --gpus-per-node=2',
      '#SBATCH --time=90',
      '#SBATCH --account=lab-1',
      '#SBATCH --cpus-per-task=2',
    ]) {
      assert.ok(script.includes(line), `${line} in:\n${script}`);
    }
  });

  it('refuses answers that are no Slurm time or name, each named', () => {
    const options = torchLaunchOptions('slurm', torchSettingsFrom(getter({})), {
      partition: 'gpu; rm -rf ~',
      time: 'tomorrow',
      gpusPerNode: '-1',
    });
    assert.equal(options.ok, false);
    const error = options.ok ? '' : options.error;
    assert.match(error, /"gpu; rm -rf ~": a partition name/);
    assert.match(error, /"tomorrow": a Slurm time limit/);
    assert.match(error, /"-1": a whole number of GPUs/);
    for (const ok of ['', '30', '30:00', '4:00:00', '2-0', '1-12', '1-12:30', '1-12:30:00'])
      assert.equal(checkTime(ok), undefined, ok);
    for (const bad of ['4h', '1-', ':30', '1:2:3:4']) assert.notEqual(checkTime(bad), undefined, bad);
    assert.equal(checkName('account')('ml_lab.2-a'), undefined);
    assert.notEqual(checkName('account')('$(id)'), undefined);
  });

  it('says where it runs, and the confirmation names the Python it runs', () => {
    const settings = torchSettingsFrom(getter({ 'python.path': '/usr/bin/python3' }));
    const torchrun = torchLaunchOptions('torchrun', settings);
    assert.ok(torchrun.ok);
    assert.equal(describeLaunch(torchrun.value.launch), 'torchrun, 2 processes');
    const slurm = torchLaunchOptions('slurm', settings, { partition: 'gpu', gpusPerNode: '1', time: '60' });
    assert.ok(slurm.ok);
    assert.equal(
      describeLaunch(slurm.value.launch, slurm.value.slurm),
      'Slurm, 1 process (1 GPU per node), partition gpu, time 60',
    );
    const prompt = torchTrainPrompt('net.py', slurm.value.launch, slurm.value.slurm);
    assert.match(
      prompt,
      /^Train net\.py with PyTorch \(Slurm, .*\)\? This submits a Slurm job that runs \/usr\/bin\/python3 with PyTorch/,
    );
  });
});

describe('a PyTorch run request as the engine worker takes it', () => {
  const base = trainRequest({
    modelFile: '/ws/m.arch.yaml',
    workspace: '/ws',
    data: 'mnist',
    eps: 0.3,
    config: { epochs: 1 },
  });
  const withTorch = (torch: unknown): unknown => ({ id: 1, type: 'train', options: { ...base.options, torch } });

  it('accepts the launch the prompts built, torchrun and Slurm', () => {
    const settings = torchSettingsFrom(getter({}));
    const torchrun = torchLaunchOptions('torchrun', settings);
    const slurm = torchLaunchOptions('slurm', settings, {
      partition: 'gpu',
      gpusPerNode: '2',
      time: '1-00:00:00',
      account: 'a',
    });
    assert.ok(torchrun.ok && slurm.ok);
    assert.ok(parseEngineRequest(withTorch(torchrun.value)));
    assert.ok(parseEngineRequest(withTorch(slurm.value)));
  });

  it('refuses a launch another process could have forged: words a batch script would run, counts out of range', () => {
    const settings = torchSettingsFrom(getter({}));
    const ok = torchLaunchOptions('slurm', settings);
    assert.ok(ok.ok);
    const { launch } = ok.value;
    assert.equal(parseEngineRequest(withTorch({ launch, slurm: { partition: 'gpu\n#SBATCH --uid=0' } })), undefined);
    assert.equal(parseEngineRequest(withTorch({ launch, slurm: { time: '$(reboot)' } })), undefined);
    assert.equal(parseEngineRequest(withTorch({ launch: { ...launch, nprocPerNode: 0 } })), undefined);
    assert.equal(parseEngineRequest(withTorch({ launch: { ...launch, device: 'tpu' } })), undefined);
    assert.equal(parseEngineRequest(withTorch({ slurm: {} })), undefined);
  });
});
