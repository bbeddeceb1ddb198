"""python -m robustness_lens_worker: answers frames (frames.py) on stdin until "quit" or the end.

The user's code may print: file descriptor 1 is pointed at stderr before anything is imported from
it, and the frames go out through a private copy of the original stdout."""
import os
import sys
import traceback


def main():
    out = os.fdopen(os.dup(1), 'wb', buffering=0)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if here not in sys.path:
        sys.path.insert(0, here)  # ir_model.py sits beside this package
    from .frames import FrameError, read_frame, write_frame
    from .objectives import ObjectiveError
    from .session import RequestError, Session, environment
    session = Session()
    stdin = sys.stdin.buffer
    while True:
        try:
            frame = read_frame(stdin)
        except FrameError as error:
            write_frame(out, {'ok': False, 'fatal': True, 'error': f'bad frame: {error}'})
            return 2
        if frame is None:
            return 0
        header, arrays = frame
        op = header.get('op')
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
            write_frame(out, {'ok': True, 'id': header.get('id'), **extra}, result)
        except (RequestError, ObjectiveError) as error:
            write_frame(out, {'ok': False, 'id': header.get('id'), 'error': str(error)})
        except Exception as error:  # the user's model may raise anything; the worker answers and goes on
            traceback.print_exc(file=sys.stderr)
            write_frame(out, {'ok': False, 'id': header.get('id'), 'error': f'{type(error).__name__} in {op}: {error}'})


if __name__ == '__main__':
    sys.exit(main())
