"""A Python client of the worker protocol: the GPU check (scripts/device/gpu-check.sh, on a machine
with no Node) and the Python tests drive the worker exactly as the TypeScript back end does."""
import os
import subprocess
import sys

from .frames import read_frame, write_frame

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WorkerError(Exception):
    pass


class WorkerClient:
    def __init__(self, python=sys.executable, env=None, stderr=None):
        """env: the worker's environment (default this process's); stderr: where its stderr goes."""
        self.proc = subprocess.Popen([python, '-m', 'robustness_lens_worker'], cwd=PYTHON_DIR, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
        self.next_id = 0

    def call(self, op, arrays=(), **header):
        self.next_id += 1
        write_frame(self.proc.stdin, {'op': op, 'id': self.next_id, **header}, list(arrays))
        answer = read_frame(self.proc.stdout)
        if answer is None:
            raise WorkerError(f'the worker exited (code {self.proc.wait()}) without answering {op}')
        head, out = answer
        if not head.get('ok'):
            raise WorkerError(head.get('error'))
        return head, out

    def close(self):
        try:
            self.call('quit')
        except (WorkerError, BrokenPipeError):
            pass
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
