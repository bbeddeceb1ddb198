"""Learning-rate schedules, the eps ramp and the catastrophic-overfitting test, as the engine
defines them (src/engine/train/schedule.ts, train-loop.ts, overfitting.ts)."""
import math


def learning_rate_at(kind, lr, epochs, epoch):
    t = min(1.0, max(0.0, epoch / max(epochs, 1e-9)))
    if kind == 'constant':
        return lr
    if kind == 'cosine':
        return 0.5 * lr * (1 + math.cos(math.pi * t))
    if kind == 'step':
        return lr if t < 0.5 else lr / 10 if t < 0.75 else lr / 100
    if kind == 'cyclic':
        return lr * (t / 0.4) if t < 0.4 else lr * max(0.0, (1 - t) / 0.6)
    raise ValueError(f'unknown schedule {kind}')


def eps_at(config, epoch):
    eps = config['threat']['eps']
    ramp = config.get('epsRampEpochs', 0)
    return eps * min(1.0, (epoch + 1) / ramp) if ramp > 0 else eps


def inner_step_size(config, eps):
    if config.get('attackStepSize') is not None:
        return config['attackStepSize']
    return 1.25 * eps if config['method'] == 'fast' else 2.5 * eps / max(1, config['attackSteps'])


def catastrophic_overfitting(history):
    """Wong, Rice and Kolter (2020): PGD accuracy collapses while FGSM accuracy stays high."""
    if len(history) < 2:
        return None
    latest = history[-1]
    best = max(h['pgdAccuracy'] for h in history[:-1])
    if best >= 0.1 and latest['pgdAccuracy'] < 0.5 * best and latest['fgsmAccuracy'] - latest['pgdAccuracy'] > 0.3:
        return (f'PGD accuracy fell from {100 * best:.1f}% to {100 * latest["pgdAccuracy"]:.1f}% '
                f'while FGSM accuracy is {100 * latest["fgsmAccuracy"]:.1f}%: '
                'catastrophic overfitting (Wong et al., 2020). Use PGD training, '
                'a smaller FGSM step, or stop at the previous epoch.')
    return None
