"""python -m robustness_lens_worker: answers frames (frames.py) on stdin until "quit" or the end.

The user's code may print: file descriptor 1 is pointed at stderr before anything is imported from
it, and the frames go out through a private copy of the original stdout.

RL_WORKER_PROFILE=FILE writes a cProfile of the whole session to FILE when the worker ends, and
RL_WORKER_TIMING=1 prints, on stderr at the end (or adds to the file RL_WORKER_TIMING names), where
each operation's time went (reading the request, computing, writing the answer): the tools to see
what a call costs besides the model. The worker keeps the memory PyTorch frees (allocator.py;
RL_WORKER_MALLOC=default leaves glibc's settings alone)."""
import os
import sys
import traceback

# Linux pipes hold 64 KiB by default: a 1.5 MB batch of images then crosses in some 24 turns, each
# waiting for the other process to be scheduled, which a loaded machine makes slow. 1 MiB is the
# default ceiling an unprivileged process may ask for (/proc/sys/fs/pipe-max-size).
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031


def widen_pipe(fd):
    try:
        import fcntl
        with open('/proc/sys/fs/pipe-max-size') as f:
            size = min(PIPE_BYTES, int(f.read()))
        fcntl.fcntl(fd, getattr(fcntl, 'F_SETPIPE_SZ', F_SETPIPE_SZ), size)
    except (ImportError, OSError, ValueError):
        pass  # not a pipe, or not Linux: the frames still flow, in smaller turns


def main():
    from .allocator import keep_freed_memory
    keep_freed_memory()
    out = os.fdopen(os.dup(1), 'wb', buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    widen_pipe(0)
    widen_pipe(out.fileno())
    profile_to = os.environ.get('RL_WORKER_PROFILE')
    if profile_to:
        import cProfile
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            return serve(out)
        finally:
            profiler.disable()
            profiler.dump_stats(profile_to)
    return serve(out)


def serve(out):
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if here not in sys.path:
        sys.path.insert(0, here)  # ir_model.py sits beside this package
    from .session import Session
    from .timing import OpTimes
    session = Session()
    stdin = sys.stdin.buffer
    times = OpTimes.from_env()
    try:
        return answer_frames(session, stdin, out, times)
    finally:
        times.report(sys.stderr)


def answer_frames(session, stdin, out, times):
    from .frames import FrameError, read_frame, write_frame
    from .objectives import ObjectiveError
    from .session import RequestError, environment
    while True:
        times.wait()
        try:
            frame = read_frame(stdin)
        except FrameError as error:
            write_frame(out, {'ok': False, 'fatal': True, 'error': f'bad frame: {error}'})
            return 2
        if frame is None:
            return 0
        header, arrays = frame
        op = header.get('op')
        times.read(op)
        try:
            extra, result = {}, []
            if op == 'hello':
                extra = environment()
            elif op == 'load':
                extra = session.load(header)
            elif op == 'logits':
                result = session.logits(arrays)
            elif op == 'inputGradient':
                result = session.input_gradient(header, arrays)
            elif op == 'trainStep':
                extra, result = session.train_step(header, arrays)
            elif op == 'getState':
                result = session.get_state()
            elif op == 'setState':
                extra = session.set_state(header, arrays)
            elif op == 'quit':
                write_frame(out, {'ok': True, 'id': header.get('id')})
                return 0
            else:
                raise RequestError(f'unknown op {op!r}')
            times.computed()
            write_frame(out, {'ok': True, 'id': header.get('id'), **extra}, result)
            times.written()
        except (RequestError, ObjectiveError) as error:
            write_frame(out, {'ok': False, 'id': header.get('id'), 'error': str(error)})
        except Exception as error:  # the user's model may raise anything; the worker answers and goes on
            traceback.print_exc(file=sys.stderr)
            write_frame(out, {'ok': False, 'id': header.get('id'), 'error': f'{type(error).__name__} in {op}: {error}'})


if __name__ == '__main__':
    sys.exit(main())
