"""Fine-tuning: a run of an entry model that starts from a PyTorch file (train --init-weights),
loaded by the worker's loader (torch.load(weights_only=True), wrappers, 'module.' prefixes)."""
import json
import os
import shutil
import tempfile
import unittest

from support import HAS_TORCH, make_run, needs_torch, read_json

if HAS_TORCH:
    import torch
    from robustness_lens_trainer.__main__ import main
    from robustness_lens_trainer.data import read_data_file
    from robustness_lens_trainer.models import ModelError, build_entry, build_model


@needs_torch
class InitWeightsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='rl-init-weights-')

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def fine_tuning_run(self, name, saved, entry='small()', **overrides):
        """A run folder whose model starts from `saved`, written where a user keeps it (outside the folder)."""
        run = os.path.join(self.dir, name)
        make_run(run, entry=entry, **overrides)
        given = os.path.join(self.dir, f'{name}-weights.pt')
        torch.save(saved, given)
        config_file = os.path.join(run, 'config.json')
        config = read_json(config_file)
        config['torch']['model']['init'] = given  # absolute, as the CLI writes it
        with open(config_file, 'w', encoding='utf-8') as f:
            json.dump(config, f)
        return run

    def test_the_run_starts_from_the_given_weights(self):
        make_run(os.path.join(self.dir, 'source'))
        torch.manual_seed(123)
        model = build_entry(f'{self.dir}/source/model.py:small()', None)
        # Nudged off any fresh initialisation, and saved as a DataParallel training script would.
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.05)
        given = {k: v.clone() for k, v in model.state_dict().items()}
        wrapped = {'epoch': 7, 'state_dict': {f'module.{k}': v for k, v in given.items()}}
        # A learning rate of 0: the weights after one epoch are exactly the ones the run started from.
        run = self.fine_tuning_run('tuned', wrapped, epochs=1, learningRate=0.0, weightDecay=0.0, momentum=0.0)
        fresh = torch.load(os.path.join(run, 'init.pt'))
        self.assertFalse(all(torch.equal(fresh[k], given[k]) for k in given),
                         'the given weights are not the fresh ones')
        self.assertEqual(main(['--run', run]), 0)
        saved = torch.load(os.path.join(run, 'checkpoint.pt'))['model']
        self.assertEqual(sorted(saved), sorted(given))
        for k, v in given.items():
            self.assertTrue(torch.equal(saved[k], v), k)
        # The first epoch's clean accuracy is the given weights' own accuracy on the held-out images.
        _, splits = read_data_file(os.path.join(run, 'data.rlds'))
        x, y = splits['eval']
        model.eval()
        with torch.no_grad():
            predicted = model(torch.from_numpy(x).permute(0, 3, 1, 2)).argmax(1)
            expected = float((predicted == torch.from_numpy(y)).float().mean())
        history = read_json(os.path.join(run, 'result.json'))['history']
        self.assertAlmostEqual(history[0]['cleanAccuracy'], expected, places=9)

    def test_weights_that_do_not_fit_give_one_message_and_no_traceback(self):
        make_run(os.path.join(self.dir, 'other'), entry='small(classes=3)')
        torch.manual_seed(0)
        other = build_entry(f'{self.dir}/other/model.py:small(classes=3)', None).state_dict()
        other['extra.weight'] = torch.zeros(2)
        del other['0.bias']
        run = self.fine_tuning_run('misfit', {'model': other})
        spec = read_json(os.path.join(run, 'config.json'))['torch']['model']
        with self.assertRaises(ModelError) as caught:
            build_model(spec, run)
        message = str(caught.exception)
        for part in ('does not fit the model', 'missing: 0.bias', 'unexpected: extra.weight',
                     'wrongly shaped: 3.weight, 3.bias'):
            self.assertIn(part, message)
        self.assertEqual(main(['--run', run]), 2)
        with open(os.path.join(run, 'events.jsonl'), encoding='utf-8') as f:
            events = [json.loads(line) for line in f]
        self.assertEqual(events[-1]['type'], 'error')
        self.assertIn('does not fit the model', events[-1]['message'])
        self.assertFalse(os.path.exists(os.path.join(run, 'checkpoint.pt')))

    def test_a_pickle_that_is_not_plain_tensors_is_refused(self):
        run = self.fine_tuning_run('pickled', {'state_dict': {'0.weight': torch.zeros(1)}, 'hook': os.getcwd})
        spec = read_json(os.path.join(run, 'config.json'))['torch']['model']
        with self.assertRaises(ModelError) as caught:
            build_model(spec, run)
        self.assertIn('cannot be read as plain tensors', str(caught.exception))


if __name__ == '__main__':
    unittest.main()
