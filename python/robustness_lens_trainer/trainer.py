"""Adversarial training on PyTorch, one process or many (DistributedDataParallel), with the
engine's semantics (src/engine/train/train-loop.ts): the same data order and random starts from
the seed, epoch and step; `batchSize` is the global batch, split into contiguous shards over the
ranks, and each rank's loss is scaled so that DDP's average of gradients is the gradient of the
global batch's mean loss (uneven last batches included)."""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from . import attacks
from .checkpoint import load_checkpoint, save_checkpoint
from .distributed import all_sum, barrier, broadcast_buffers
from .rng import Random, mix, shuffled_order
from .schedule import catastrophic_overfitting, eps_at, inner_step_size, learning_rate_at


class Objective(torch.nn.Module):
    """Both TRADES passes inside one forward, so DDP sees one forward per backward.

    The engine's TRADES step moves BatchNorm's running statistics once, by the adversarial pass
    (its graph computes both updates from the old values and the last one wins); PyTorch would
    move them twice. The natural pass's update is undone so the statistics, and with them every
    evaluation, follow the engine's."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x, x_adv=None):
        if x_adv is None:
            return self.model(x), None
        buffers = [b for m in self.model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                   for b in (m.running_mean, m.running_var, m.num_batches_tracked) if b is not None]
        saved = [b.detach().clone() for b in buffers]
        natural = self.model(x)
        # Through .data: BatchNorm's backward keeps the buffers as saved inputs, and a tracked
        # in-place write would invalidate the natural pass's graph.
        for b, old in zip(buffers, saved):
            b.data.copy_(old)
        return natural, self.model(x_adv)


def param_groups(model, weight_decay):
    # Decay only on conv and linear weights (more than one dimension), never on norms, biases
    # or learned activation parameters, as the engine's SGD does.
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() > 1]
    rest = [p for p in model.parameters() if p.requires_grad and p.dim() <= 1]
    return [{'params': decay, 'weight_decay': weight_decay}, {'params': rest, 'weight_decay': 0.0}]


class Cancelled(Exception):
    pass


def train(model, data, config, world, run, events, amp=False, stop=lambda: False):
    """Returns (status, history, message)."""
    device = world.device
    model.to(device)
    objective = Objective(model)
    if world.distributed:
        wrapped = torch.nn.parallel.DistributedDataParallel(
            objective, device_ids=[device.index] if device.type == 'cuda' else None)
    else:
        wrapped = objective
    momentum = config['momentum']
    optimizer = torch.optim.SGD(param_groups(model, config['weightDecay']), lr=config['learningRate'],
                                momentum=momentum, nesterov=bool(config.get('nesterov')) and momentum > 0)
    scaler = torch.cuda.amp.GradScaler(enabled=amp and device.type == 'cuda')
    history, start_epoch = [], 0
    saved = load_checkpoint(run.checkpoint_path, config)
    if saved is not None:
        model.load_state_dict(saved['model'])
        optimizer.load_state_dict(saved['optimizer'])
        if saved.get('scaler'):
            scaler.load_state_dict(saved['scaler'])
        history = list(saved['run']['history'])
        start_epoch = int(saved['run']['epochsDone'])
    (train_x, train_y), (eval_x, eval_y) = data['train'], data['eval']
    n = len(train_y)
    batch = config['batchSize']
    steps = math.ceil(n / batch)
    epochs = config['epochs']
    norm = config['threat']['norm']
    started, images_done = time.time(), 0
    for epoch in range(start_epoch, epochs):
        epoch_start = time.time()
        torch.manual_seed(mix(config['seed'], epoch, world.rank))
        order = shuffled_order(n, mix(config['seed'], epoch, 0x5EED))
        eps = eps_at(config, epoch)
        inner = inner_step_size(config, eps)
        loss_sum = correct_sum = seen = 0.0
        lr = 0.0
        for step in range(steps):
            if stop():
                raise Cancelled(epoch)
            idx = order[step * batch:min(n, (step + 1) * batch)]
            mine = np.array_split(np.arange(len(idx)), world.size)[world.rank]
            x = torch.from_numpy(train_x[idx]).permute(0, 3, 1, 2).to(device)
            y = torch.from_numpy(train_y[idx]).to(device)
            random = Random(mix(config['seed'], epoch, step))
            sl = slice(int(mine[0]), int(mine[-1]) + 1) if len(mine) else slice(0, 0)
            x_in, x_adv = adversarial(model, x, y, sl, config, norm, eps, inner, random)
            lr = learning_rate_at(config['schedule'], config['learningRate'], epochs, epoch + step / steps)
            for group in optimizer.param_groups:
                group['lr'] = lr
            model.train()
            with torch.autocast(device_type=device.type, enabled=amp and device.type == 'cuda'):
                logits, logits_adv = wrapped(x_in, x_adv)
                local = F.cross_entropy(logits.float(), y[sl], reduction='sum')
                if logits_adv is not None:
                    p = F.softmax(logits.float(), 1)
                    kl = (p * (F.log_softmax(logits.float(), 1) - F.log_softmax(logits_adv.float(), 1))).sum()
                    local = local + config['tradesBeta'] * kl
            if len(mine) == 0:
                local = local + sum(p.sum() * 0 for p in model.parameters())
            # DDP averages gradients over ranks; scaled so the average is that of the global mean.
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(local * world.size / len(idx)).backward()
            step_loss, step_correct = all_sum(world, [float(local.detach()), float((logits.argmax(1) == y[sl]).sum())])
            if not math.isfinite(step_loss):
                last = ('no epoch finished, so there is no checkpoint' if epoch == 0
                        else f'the checkpoint of epoch {epoch} is kept')
                return 'diverged', history, (f'the training loss became {step_loss / len(idx)} at epoch {epoch + 1}, '
                                             f'step {step + 1} (learning rate {lr:.3g}); {last}. '
                                             'Lower the learning rate or check the data.')
            scaler.step(optimizer)
            scaler.update()
            loss_sum += step_loss
            correct_sum += step_correct
            seen += len(idx)
            images_done += len(idx)
            rate = images_done / max(time.time() - started, 1e-3)
            remaining = (epochs - epoch - 1) * n + (n - seen)
            detail = {'epoch': epoch + 1, 'epochs': epochs, 'step': step + 1, 'steps': steps,
                      'loss': step_loss / len(idx), 'imagesPerSecond': rate, 'etaSeconds': remaining / rate}
            events.progress({'type': 'progress', 'phase': f'epoch {epoch + 1}/{epochs}',
                             'done': epoch * steps + step + 1, 'total': epochs * steps,
                             'etaSeconds': detail['etaSeconds'], 'imagesPerSecond': rate, 'detail': detail},
                            step + 1 == steps)
        broadcast_buffers(world, model)
        clean, fgsm, pgd = evaluate(model, eval_x, eval_y, config, world, mix(config['seed'], epoch, 0xE7A1))
        metrics = {'epoch': epoch + 1, 'trainLoss': loss_sum / max(1, seen),
                   'trainAccuracy': correct_sum / max(1, seen), 'learningRate': lr, 'eps': eps,
                   'cleanAccuracy': clean, 'fgsmAccuracy': fgsm, 'pgdAccuracy': pgd,
                   'seconds': time.time() - epoch_start}
        history.append(metrics)
        if world.main:
            save_checkpoint(run.checkpoint_path, model, optimizer, scaler, config, history, epoch + 1)
            events.emit({'type': 'checkpoint', 'file': run.checkpoint_path, 'epoch': epoch + 1})
            events.emit({'type': 'metric', 'epoch': metrics})
        barrier(world)
        if config['method'] != 'standard' and eps == config['threat']['eps']:
            message = catastrophic_overfitting(history)
            if message:
                return 'catastrophic-overfitting', history, message
    return 'completed', history, None


def adversarial(model, x, y, sl, config, norm, eps, inner, random):
    """(inputs of the loss, adversarial inputs for TRADES or None) for this rank's rows `sl` of the
    global batch: every rank draws the whole batch's random starts (cheap) and attacks only its
    own rows, so the starts, and with them the examples, do not depend on the number of ranks."""
    method = config['method']
    if method == 'standard':
        return x[sl], None
    model.eval()
    if method in ('pgd', 'fast'):
        start = attacks.random_start(x, norm, eps, random)[sl]
        steps = config['attackSteps'] if method == 'pgd' else 1
        return attacks.pgd_examples(model, x[sl], y[sl], norm, eps, steps, inner, start), None
    if method == 'trades':
        start = attacks.trades_start(x, norm, eps, random)[sl]
        return x[sl], attacks.trades_examples(model, x[sl], norm, eps, config['attackSteps'], inner, start)
    raise ValueError(f'unknown method {method}')


def evaluate(model, x_all, y_all, config, world, seed):
    """Clean, FGSM and PGD accuracy at the full eps on the held-out images; the batches are dealt
    round-robin over the ranks and the counts summed, each batch seeded by its start as the engine does."""
    model.eval()
    norm, eps = config['threat']['norm'], config['threat']['eps']
    size = min(config['batchSize'], 256)
    counts = [0.0, 0.0, 0.0]
    for j, start in enumerate(range(0, len(y_all), size)):
        if j % world.size != world.rank:
            continue
        x = torch.from_numpy(x_all[start:start + size]).permute(0, 3, 1, 2).to(world.device)
        y = torch.from_numpy(y_all[start:start + size]).to(world.device)
        with torch.no_grad():
            counts[0] += float((model(x).argmax(1) == y).sum())
        counts[1] += float(attacks.fgsm_robust(model, x, y, norm, eps).sum())
        counts[2] += float(attacks.pgd_robust(model, x, y, norm, eps, config['evalPgdSteps'], seed + start).sum())
    total = all_sum(world, counts)
    n = max(1, len(y_all))
    return total[0] / n, total[1] / n, total[2] / n
