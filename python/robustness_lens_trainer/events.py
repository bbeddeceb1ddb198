"""The run folder's event log, <run>/events.jsonl: one RunMessage (src/engine/run/run-messages.ts) per
line, appended by rank 0 and flushed, so the CLI and the editor follow a run they did not start
(a torchrun on this machine, a Slurm job on shared storage) by tailing one file."""
import json
import os
import time


class EventLog:
    def __init__(self, run_dir, enabled):
        self.path = os.path.join(run_dir, 'events.jsonl')
        self.enabled = enabled
        self.last_progress = 0.0

    def emit(self, message):
        if not self.enabled:
            return
        with open(self.path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(message) + '\n')
            f.flush()

    def progress(self, message, final):
        # Every step would be thousands of lines per epoch; twice a second is what a panel shows.
        now = time.monotonic()
        if final or now - self.last_progress >= 0.5:
            self.last_progress = now
            self.emit(message)
