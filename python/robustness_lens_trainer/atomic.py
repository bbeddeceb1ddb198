"""Writes a reader never sees torn: a temporary file beside the target, fsync, rename."""
import json
import os


def write_bytes_atomic(path, data):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _sync_dir(path)


def write_json_atomic(path, value):
    write_bytes_atomic(path, (json.dumps(value, indent=2) + '\n').encode('utf-8'))


def save_torch_atomic(path, obj):
    import torch
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _sync_dir(path)


def _sync_dir(path):
    # The rename itself is durable only once the folder's entry is on disk (a killed job's node may go down).
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
