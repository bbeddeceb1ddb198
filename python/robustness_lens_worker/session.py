"""What the worker holds between requests: the model, its device and its optimiser, and the
operations of the protocol (logits, input gradients, a training step, state)."""
import os
import platform

import numpy as np
import torch

from . import model_source
from .objectives import per_sample, training_loss

MOMENTUM = 'momentum:'


def as_tensor(a):
    """A tensor over a frame's array without copying it when it is writable and aligned (frames
    read by frames.read_frame are); else over a copy."""
    if not (a.flags.writeable and a.flags.aligned):
        a = np.array(a)
    return torch.from_numpy(a)


class RequestError(Exception):
    """A request the worker refuses; the answer says why and the worker goes on."""


def pick_device(name):
    if name in (None, '', 'auto'):
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise RequestError(f'unknown device {name!r}: {error}') from error
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            raise RequestError(f'device {name}: this PyTorch ({torch.__version__}) sees no CUDA GPU')
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RequestError(f'device {name}: only {torch.cuda.device_count()} CUDA GPU(s) are visible')
    elif device.type != 'cpu':
        raise RequestError(f'device {name}: cpu, cuda or cuda:N')
    return device


def device_name(device):
    if device.type == 'cuda':
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f'CUDA GPU {index}: {torch.cuda.get_device_name(index)} (PyTorch {torch.__version__})'
    threads = torch.get_num_threads()
    return f'CPU ({platform.machine()}, PyTorch {torch.__version__}, {threads} thread{"" if threads == 1 else "s"})'


def param_groups(model):
    # Weight decay only on weights of rank > 1: norms, biases and activation parameters get none,
    # as the engine's SGD (src/engine/tfjs/sgd.ts) and the trainer (trainer.py) apply it.
    params = [p for p in model.parameters() if p.requires_grad]
    return [{'params': [p for p in params if p.dim() > 1], 'decays': True},
            {'params': [p for p in params if p.dim() <= 1], 'decays': False}]


class Session:
    def __init__(self):
        self.model = None

    def load(self, header):
        shape = header.get('inputShape') or {}
        try:
            self.height, self.width, self.channels = (int(shape[k]) for k in ('height', 'width', 'channels'))
        except (KeyError, TypeError, ValueError) as error:
            raise RequestError('load needs inputShape {height, width, channels}') from error
        if header.get('threads'):
            torch.set_num_threads(int(header['threads']))
        if header.get('seed') is not None:
            torch.manual_seed(int(header['seed']))
        self.device = pick_device(header.get('device'))
        try:
            model = model_source.build(header.get('source'))
            notes = model_source.load_weights(model, header['weights']) if header.get('weights') else []
        except model_source.SourceError as error:
            raise RequestError(str(error)) from error
        self.model = model.to(self.device).float().eval()
        norm = header.get('normalize')
        self.mean = self.std = None
        if norm:
            mean, std = (torch.tensor(norm[k], dtype=torch.float32) for k in ('mean', 'std'))
            counts = (1, self.channels)
            if mean.numel() not in counts or std.numel() not in counts or bool((std <= 0).any()):
                raise RequestError(f'normalize: {self.channels} means and positive deviations (or one of each)')
            self.mean = mean.view(1, -1, 1, 1).to(self.device)
            self.std = std.view(1, -1, 1, 1).to(self.device)
        self.optimizer = None
        self.names = {p: n for n, p in self.model.named_parameters()}
        with torch.no_grad():
            probe = self.forward(torch.zeros(1, self.channels, self.height, self.width, device=self.device))
        if probe.dim() != 2:
            raise RequestError(f'the model returns shape {list(probe.shape)} for one image, not [1, classes]')
        self.classes = int(probe.shape[1])
        return {
            'device': str(self.device), 'deviceName': device_name(self.device), 'torch': torch.__version__,
            'numClasses': self.classes, 'paramCount': sum(p.numel() for p in self.model.parameters()), 'notes': notes,
        }

    def forward(self, x):
        if self.mean is not None:
            x = (x - self.mean) / self.std
        out = self.model(x)
        if not isinstance(out, torch.Tensor):
            raise RequestError(f'the model returned {type(out).__name__}, not a tensor of logits')
        return out

    def _model(self):
        if self.model is None:
            raise RequestError('no model is loaded')
        return self.model

    def images(self, arrays, name='x'):
        x = arrays.get(name)
        if x is None:
            raise RequestError(f'the request has no "{name}"')
        if x.ndim != 4 or tuple(x.shape[1:]) != (self.height, self.width, self.channels):
            expected = f'[n, {self.height}, {self.width}, {self.channels}]'
            raise RequestError(f'{name}: shape {list(x.shape)}, expected {expected}')
        # NHWC on the wire (the engine's layout), NCHW for PyTorch: one copy, the permutation.
        return as_tensor(x).to(self.device).permute(0, 3, 1, 2).contiguous()

    # The model is put in eval mode when loaded and after each training step, not on every call:
    # eval() walks every submodule, which a deep network pays thousands of times in one attack.
    def logits(self, arrays):
        self._model()
        with torch.no_grad():
            return [('logits', self.forward(self.images(arrays)).cpu().numpy())]

    def input_gradient(self, header, arrays):
        self._model()
        x = self.images(arrays).requires_grad_(True)
        logits = self.forward(x)
        ref = arrays.get('reference')
        loss = per_sample(header.get('objective'), logits, arrays.get('labels'), arrays.get('targets'),
                          None if ref is None else as_tensor(ref))
        grad, = torch.autograd.grad(loss.sum(), x)
        # Back to NHWC in one copy on the device, then written to the pipe from that memory.
        return [('loss', loss.detach().cpu().numpy()), ('grad', grad.permute(0, 2, 3, 1).contiguous().cpu().numpy()),
                ('logits', logits.detach().cpu().numpy())]

    def train_step(self, header, arrays):
        model = self._model()
        hyper = header.get('hyper') or {}
        try:
            lr, momentum, decay = (float(hyper[k]) for k in ('learningRate', 'momentum', 'weightDecay'))
            nesterov = bool(hyper['nesterov']) and momentum > 0
        except (KeyError, TypeError, ValueError) as error:
            raise RequestError('a training step needs hyper {learningRate, momentum, weightDecay, nesterov}') from error
        if self.optimizer is None:
            self.optimizer = torch.optim.SGD(param_groups(model), lr=lr)
        for group in self.optimizer.param_groups:
            group.update(lr=lr, momentum=momentum, nesterov=nesterov, dampening=0,
                         weight_decay=decay if group['decays'] else 0.0)
        labels = arrays.get('labels')
        if labels is None:
            raise RequestError('a training step needs "labels"')
        y = torch.from_numpy(np.array(labels, dtype=np.int64)).to(self.device)
        x = self.images(arrays)
        x_adv = self.images(arrays, 'xAdv') if header.get('objective') == 'trades' else None
        if y.numel() != x.shape[0] or (y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.classes)):
            raise RequestError(f'labels: {y.numel()} classes in 0..{self.classes - 1} expected for {x.shape[0]} images')
        model.train()
        try:
            self.optimizer.zero_grad(set_to_none=True)
            loss, natural = training_loss(header.get('objective'), self.forward, x, y, x_adv, header.get('beta'))
            loss.backward()
            self.optimizer.step()
        finally:
            model.eval()
        return {'loss': float(loss.detach())}, [('logits', natural.detach().cpu().numpy())]

    def get_state(self):
        model = self._model()
        out = [(k, v.detach().float().cpu().numpy()) for k, v in model.state_dict().items()]
        if self.optimizer is not None:
            for p, name in self.names.items():
                buf = self.optimizer.state.get(p, {}).get('momentum_buffer')
                if buf is not None:
                    out.append((MOMENTUM + name, buf.detach().float().cpu().numpy()))
        return out

    def set_state(self, header, arrays):
        model = self._model()
        own = model.state_dict()
        params = dict(model.named_parameters())
        missing = [k for k in own if k not in arrays]
        if missing and not header.get('partial'):
            raise RequestError(f'the state lacks {", ".join(missing[:8])}{" ..." if len(missing) > 8 else ""}')
        for name, a in arrays.items():
            target = own.get(name) if not name.startswith(MOMENTUM) else params.get(name[len(MOMENTUM):])
            if target is None:
                raise RequestError(f'the model has no {name}')
            if tuple(a.shape) != tuple(target.shape):
                raise RequestError(f'{name}: shape {list(a.shape)}, the model\'s {list(target.shape)}')
        with torch.no_grad():
            for name, a in arrays.items():
                if not name.startswith(MOMENTUM):
                    own[name].copy_(torch.from_numpy(np.array(a)).to(own[name].dtype))
        momentum = {k[len(MOMENTUM):]: a for k, a in arrays.items() if k.startswith(MOMENTUM)}
        if momentum or self.optimizer is not None:
            if self.optimizer is None:
                self.optimizer = torch.optim.SGD(param_groups(model), lr=0.0)
            self.optimizer.state.clear()
            for name, a in momentum.items():
                self.optimizer.state[params[name]] = {'momentum_buffer': torch.from_numpy(np.array(a)).to(self.device)}
        return {}


def environment():
    cuda = torch.cuda.is_available()
    return {'torch': torch.__version__, 'python': platform.python_version(), 'pid': os.getpid(), 'cuda': cuda,
            'gpus': [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if cuda else []}
