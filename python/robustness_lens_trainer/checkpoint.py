"""<run>/checkpoint.pt: what this trainer writes after every epoch, atomically (temporary file,
fsync, rename), and reads back to resume. A torch.save (zip, pickle protocol 2) of one dict:

  "format": "robustness-lens-torch-checkpoint", "version": 1,
  "model": the model's state_dict (name -> tensor; PyTorch's own layouts, OIHW convs, [out, in]
           linear weights; BatchNorm running_mean / running_var / num_batches_tracked),
  "optimizer": torch.optim.SGD's state_dict (momentum buffers keyed by parameter index),
  "scaler": the AMP GradScaler's state_dict, or None,
  "run": {"epochsDone": int, "history": [EpochMetrics...], "config": TrainConfig} (plain JSON values).

Only tensors, dicts, lists, strings, numbers, booleans and None are pickled, so a restricted
unpickler (the TypeScript reader) can read it; the same "run" dict is also written beside it as
checkpoint.json for readers that do not open the pickle.
"""
import os

import torch

from .atomic import save_torch_atomic, write_json_atomic

FORMAT = 'robustness-lens-torch-checkpoint'
# The settings a resumed run must share with the checkpoint (the engine's configMismatch).
FIXED = ['method', 'batchSize', 'attackSteps', 'learningRate', 'schedule', 'momentum', 'weightDecay', 'seed',
         'epsRampEpochs', 'tradesBeta', 'trainSamples']


class CheckpointError(Exception):
    pass


def save_checkpoint(path, model, optimizer, scaler, config, history, epochs_done):
    run = {'epochsDone': epochs_done, 'history': history, 'config': config}
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    save_torch_atomic(path, {'format': FORMAT, 'version': 1, 'model': state, 'optimizer': optimizer.state_dict(),
                             'scaler': scaler.state_dict() if scaler.is_enabled() else None, 'run': run})
    write_json_atomic(os.path.splitext(path)[0] + '.json', run)


def load_checkpoint(path, config):
    """The saved dict, None when there is none; refuses one trained with other settings."""
    if not os.path.exists(path):
        return None
    try:
        saved = torch.load(path, map_location='cpu')
    except Exception as error:  # noqa: a damaged file must name itself, whatever torch raises
        raise CheckpointError(f'cannot read {path}: {error}') from error
    if not isinstance(saved, dict) or saved.get('format') != FORMAT:
        raise CheckpointError(f'{path} is not a Robustness Lens PyTorch checkpoint')
    old = saved['run']['config']
    for key in FIXED:
        if old.get(key) != config.get(key):
            raise CheckpointError(f'cannot resume: the checkpoint was trained with {key} = {old.get(key)!r}, '
                                  f'not {config.get(key)!r}')
    if old['threat'] != config['threat']:
        raise CheckpointError('cannot resume: the checkpoint was trained with '
                              f'eps {old["threat"]["eps"]} ({old["threat"]["norm"]})')
    return saved
