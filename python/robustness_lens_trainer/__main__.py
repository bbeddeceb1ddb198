"""Entry point: `python3 -m robustness_lens_trainer --run RUN_FOLDER [--device cpu|cuda] [--amp]`,
alone or under torchrun. Reads RUN_FOLDER/config.json (written by the CLI: "config" is the
engine's TrainConfig, "torch" names the model and the data file), resumes from
RUN_FOLDER/checkpoint.pt when there is one, and writes environment.json, events.jsonl,
checkpoint.pt / checkpoint.json every epoch and result.json (rank 0)."""
import argparse
import json
import os
import platform
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # python/ holds ir_model.py


class RunPaths:
    def __init__(self, run_dir):
        self.dir = run_dir
        self.checkpoint_path = os.path.join(run_dir, 'checkpoint.pt')


def main(argv=None):
    parser = argparse.ArgumentParser(prog='robustness_lens_trainer')
    parser.add_argument('--run', required=True)
    parser.add_argument('--device', choices=['auto', 'cpu', 'cuda'], default='auto')
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--sync-batch-norm', action='store_true')
    args = parser.parse_args(argv)
    # The attack steps allocate and free the same large activations as the worker's gradient calls.
    from robustness_lens_worker.allocator import keep_freed_memory
    keep_freed_memory()
    from .distributed import init_world
    from .events import EventLog
    from .trainer import Cancelled

    run_dir = os.path.abspath(args.run)
    with open(os.path.join(run_dir, 'config.json'), encoding='utf-8') as f:
        saved = json.load(f)
    world = init_world(None if args.device == 'auto' else args.device)
    events = EventLog(run_dir, world.main)
    run = RunPaths(run_dir)
    stopping = {'flag': False}

    def on_term(signum, frame):
        # scancel, torchrun and Ctrl-C: stop now; every finished epoch is already on disk.
        stopping['flag'] = True
        raise Cancelled(-1)
    previous = {s: signal.signal(s, on_term) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        return _run(args, run_dir, saved, world, events, run, stopping)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _run(args, run_dir, saved, world, events, run, stopping):
    import torch
    from .atomic import write_json_atomic
    from .data import read_data_file
    from .distributed import shutdown
    from .models import ModelError, build_model
    from .trainer import Cancelled, train
    config, spec = saved['config'], saved['torch']
    run_id = os.path.basename(run_dir)

    torch.manual_seed(config['seed'])
    threads = os.environ.get('ROBUSTNESS_LENS_THREADS')
    if threads:
        torch.set_num_threads(int(threads))
    header, splits = read_data_file(os.path.join(run_dir, spec['dataFile']))
    try:
        model = build_model(spec['model'], run_dir)
    except ModelError as error:
        # A model or weights file that does not fit is the user's to fix: one line, no traceback.
        if world.main:
            events.emit({'type': 'error', 'message': str(error)})
        print(f'robustness_lens_trainer: {error}', file=sys.stderr)
        shutdown(world)
        return 2
    if args.sync_batch_norm and world.distributed and world.device.type == 'cuda':
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    amp = args.amp and world.device.type == 'cuda'
    process_group = ('nccl' if world.device.type == 'cuda' and world.distributed
                     else 'gloo' if world.distributed else 'no process group')
    notes = [f'{world.size} process(es), {process_group}']
    if args.amp and not amp:
        notes.append('--amp asked for, but mixed precision runs on GPUs only: float32 on the CPU')
    if world.distributed and any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()) \
            and not (args.sync_batch_norm and world.device.type == 'cuda'):
        notes.append('BatchNorm uses each process\'s shard for its batch statistics '
                     '(SyncBatchNorm needs GPUs and --sync-batch-norm)')
    device_name = (torch.cuda.get_device_name(world.device) if world.device.type == 'cuda'
                   else platform.processor() or 'cpu')
    if world.main:
        write_json_atomic(os.path.join(run_dir, 'environment.json'), {
            'backend': 'pytorch', 'device': f'{world.device.type} ({device_name})', 'notes': notes,
            'python': sys.version.split()[0], 'torch': torch.__version__, 'worldSize': world.size,
            'platform': f'{sys.platform}-{platform.machine()}', 'cpu': platform.processor() or 'unknown',
            'cores': os.cpu_count(), 'startedAt': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
            'slurmJobId': os.environ.get('SLURM_JOB_ID')})
        events.emit({'type': 'started', 'runId': run_id, 'runDir': run_dir, 'backend': 'pytorch',
                     'device': f'{world.device.type} x{world.size}', 'notes': notes})
    history = []
    try:
        status, history, message = train(model, splits, config, world, run, events, amp=amp,
                                         stop=lambda: stopping['flag'])
    except Cancelled:
        status, message = 'cancelled', ('stopped by a signal; every finished epoch is saved in checkpoint.pt '
                                        'and --resume continues from there')
        history = _saved_history(run.checkpoint_path)
    except Exception as error:  # noqa: reported in the run folder, then re-raised for the exit code
        if world.main:
            events.emit({'type': 'error', 'message': f'{type(error).__name__}: {error}'})
        traceback.print_exc()
        shutdown(world)
        return 1
    if world.main:
        summary = {'runId': run_id, 'runDir': run_dir, 'kind': 'train', 'status': status, 'history': history}
        if message:
            summary['message'] = message
        write_json_atomic(os.path.join(run_dir, 'result.json'), summary)
        events.emit({'type': 'result', 'result': summary})
    if status != 'cancelled':
        shutdown(world)
    return {'completed': 0, 'cancelled': 143}.get(status, 1)


def _saved_history(path):
    try:
        with open(os.path.splitext(path)[0] + '.json', encoding='utf-8') as f:
            return json.load(f)['history']
    except (OSError, ValueError, KeyError):
        return []


if __name__ == '__main__':
    sys.exit(main())
