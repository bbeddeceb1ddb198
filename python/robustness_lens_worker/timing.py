"""Where the worker's time goes, per operation (RL_WORKER_TIMING=1): waiting for and reading each
request, computing the answer, writing it. Printed on stderr when the worker ends, so a slow
evaluation can be told apart into the model's own time and the protocol's."""
import os
import time


class OpTimes:
    @classmethod
    def from_env(cls):
        return cls() if os.environ.get('RL_WORKER_TIMING') else NoTimes()

    def __init__(self):
        self.ops = {}
        self.op = None
        self.mark = time.perf_counter()

    def _lap(self):
        now = time.perf_counter()
        spent, self.mark = now - self.mark, now
        return spent

    def wait(self):
        self._lap()

    def read(self, op):
        self.op = str(op)
        self._row()[1] += self._lap()

    def computed(self):
        self._row()[2] += self._lap()

    def written(self):
        row = self._row()
        row[3] += self._lap()
        row[0] += 1

    def _row(self):
        return self.ops.setdefault(self.op, [0, 0.0, 0.0, 0.0])

    def summary(self):
        """{op: {calls, wait_read_ms, compute_ms, write_ms}} per call, for answered calls."""
        return {op: {'calls': n, 'wait_read_ms': 1e3 * r / n, 'compute_ms': 1e3 * c / n, 'write_ms': 1e3 * w / n}
                for op, (n, r, c, w) in self.ops.items() if n}

    def report(self, stream):
        # RL_WORKER_TIMING=1 reports on stderr; any other value is a file the report is added to
        # (the engine keeps only the tail of a worker's stderr, for its error messages).
        target = os.environ.get('RL_WORKER_TIMING', '1')
        if target != '1':
            with open(target, 'a', encoding='utf-8') as f:
                self._write(f)
            return
        self._write(stream)

    def _write(self, stream):
        for op, row in sorted(self.summary().items()):
            stream.write(f'robustness_lens_worker timing: {op}: {row["calls"]} calls, per call '
                         f'{row["wait_read_ms"]:.2f} ms waiting and reading, {row["compute_ms"]:.2f} ms computing, '
                         f'{row["write_ms"]:.2f} ms writing\n')
        stream.flush()


class NoTimes:
    def wait(self):
        pass

    def read(self, op):
        pass

    def computed(self):
        pass

    def written(self):
        pass

    def report(self, stream):
        pass
