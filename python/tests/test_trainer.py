"""One-process runs of the trainer on tiny run folders: the run folder's files, resume after a
stop, divergence, refusal to resume with other settings, and every method."""
import json
import os
import shutil
import tempfile
import unittest

from support import HAS_TORCH, make_run, needs_torch, read_json

if HAS_TORCH:
    import torch
    from robustness_lens_trainer.__main__ import RunPaths, main
    from robustness_lens_trainer.checkpoint import CheckpointError
    from robustness_lens_trainer.data import read_data_file
    from robustness_lens_trainer.distributed import World
    from robustness_lens_trainer.events import EventLog
    from robustness_lens_trainer.models import build_model
    from robustness_lens_trainer.trainer import Cancelled, Objective, train


def direct(run_dir, stop=lambda: False):
    """trainer.train on a run folder without the entry point (so a test can stop it)."""
    saved = read_json(os.path.join(run_dir, 'config.json'))
    torch.manual_seed(saved['config']['seed'])
    _, splits = read_data_file(os.path.join(run_dir, 'data.rlds'))
    model = build_model(saved['torch']['model'], run_dir)
    world = World(0, 1, 0, torch.device('cpu'))
    return train(model, splits, saved['config'], world, RunPaths(run_dir), EventLog(run_dir, True), stop=stop)


@needs_torch
class TrainerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='rl-trainer-')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run_folder(self, name, **overrides):
        path = os.path.join(self.dir, name)
        make_run(path, **overrides)
        return path

    def test_a_run_fills_the_run_folder(self):
        run = self.run_folder('a')
        self.assertEqual(main(['--run', run]), 0)
        result = read_json(os.path.join(run, 'result.json'))
        self.assertEqual(result['status'], 'completed')
        self.assertEqual([h['epoch'] for h in result['history']], [1, 2])
        last = result['history'][-1]
        for key in ('cleanAccuracy', 'fgsmAccuracy', 'pgdAccuracy', 'trainAccuracy'):
            self.assertTrue(0 <= last[key] <= 1, key)
        # The tiny task is learnable: clean accuracy beats chance (1/4) after two epochs.
        self.assertGreater(last['cleanAccuracy'], 0.25)
        self.assertLessEqual(last['pgdAccuracy'], last['cleanAccuracy'] + 1e-9)
        saved = torch.load(os.path.join(run, 'checkpoint.pt'))
        self.assertEqual(saved['format'], 'robustness-lens-torch-checkpoint')
        self.assertEqual(saved['run']['epochsDone'], 2)
        self.assertEqual(saved['run']['history'], result['history'])
        with open(os.path.join(run, 'events.jsonl'), encoding='utf-8') as f:
            kinds = [json.loads(line)['type'] for line in f]
        self.assertEqual(kinds[0], 'started')
        self.assertEqual(kinds[-1], 'result')
        self.assertEqual(kinds.count('metric'), 2)
        self.assertFalse([f for f in os.listdir(run) if f.endswith('.tmp')])
        env = read_json(os.path.join(run, 'environment.json'))
        self.assertEqual(env['backend'], 'pytorch')

    def test_resume_after_a_stop_continues_exactly(self):
        whole = self.run_folder('whole', epochs=3)
        status, history, _ = direct(whole)
        self.assertEqual(status, 'completed')
        broken = self.run_folder('broken', epochs=3)
        # Stop in the middle of the second epoch, as a killed job would.
        calls = {'n': 0}

        def stop():
            calls['n'] += 1
            return calls['n'] > 3 + 1
        with self.assertRaises(Cancelled):
            direct(broken, stop)
        self.assertEqual(torch.load(os.path.join(broken, 'checkpoint.pt'))['run']['epochsDone'], 1)
        status, resumed, _ = direct(broken)
        self.assertEqual(status, 'completed')
        strip = [{k: v for k, v in h.items() if k != 'seconds'} for h in history]
        self.assertEqual([{k: v for k, v in h.items() if k != 'seconds'} for h in resumed], strip)
        a = torch.load(os.path.join(whole, 'checkpoint.pt'))['model']
        b = torch.load(os.path.join(broken, 'checkpoint.pt'))['model']
        for key in a:
            self.assertTrue(torch.equal(a[key], b[key]), key)

    def test_a_checkpoint_of_other_settings_is_refused(self):
        run = self.run_folder('c', epochs=1)
        direct(run)
        config_file = os.path.join(run, 'config.json')
        saved = read_json(config_file)
        saved['config']['learningRate'] = 0.2
        with open(config_file, 'w', encoding='utf-8') as f:
            json.dump(saved, f)
        with self.assertRaisesRegex(CheckpointError, 'learningRate'):
            direct(run)

    def test_a_diverging_run_stops_with_a_reason(self):
        run = self.run_folder('d', learningRate=1e38, epochs=1, method='standard')
        status, history, message = direct(run)
        self.assertEqual(status, 'diverged')
        self.assertEqual(history, [])
        self.assertIn('no checkpoint', message)

    def test_every_method_and_schedule_trains(self):
        for method, schedule, norm in (('fast', 'cyclic', 'Linf'), ('trades', 'step', 'L2'),
                                       ('standard', 'constant', 'Linf')):
            with self.subTest(method=method):
                eps = 0.1 if norm == 'Linf' else 0.5
                # TRADES with BatchNorm: its two passes and the statistics' single update.
                entry = 'small(batch_norm=True)' if method == 'trades' else 'small()'
                run = self.run_folder(method, entry=entry, method=method, schedule=schedule, epochs=1,
                                      threat={'norm': norm, 'eps': eps})
                status, history, _ = direct(run)
                self.assertEqual(status, 'completed')
                self.assertTrue(all(v == v for v in history[0].values()))

    def test_trades_moves_batch_norm_statistics_once_by_the_adversarial_pass(self):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))
        reference = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3))
        reference.load_state_dict(model.state_dict())
        x, x_adv = torch.rand(4, 1, 6, 6), torch.rand(4, 1, 6, 6) + 1
        natural, adversarial = Objective(model).train()(x, x_adv)
        (natural.sum() + adversarial.sum()).backward()  # the graph of both passes stays valid
        reference.train()(x_adv)
        for key, value in reference.state_dict().items():
            self.assertTrue(torch.equal(model.state_dict()[key], value), key)

    def test_eps_ramp_grows_eps(self):
        run = self.run_folder('ramp', epochs=2, epsRampEpochs=2)
        _, history, _ = direct(run)
        self.assertAlmostEqual(history[0]['eps'], 0.05)
        self.assertAlmostEqual(history[1]['eps'], 0.1)


if __name__ == '__main__':
    unittest.main()
