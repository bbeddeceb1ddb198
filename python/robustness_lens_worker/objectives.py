"""The five per-sample input objectives of src/engine/model/classifier.ts, in PyTorch, each the
value whose input gradient an attack ascends (the engine's ONNX graphs, objective-graph.ts, and
tfjs, objectives.ts, compute the same)."""
import numpy as np
import torch
import torch.nn.functional as F

# The offset in the DLR denominators, as the reference AutoAttack uses (Croce and Hein, 2020).
DLR_EPS = 1e-12
KINDS = ('ce', 'dlr', 'dlr-targeted', 'margin', 'kl')


class ObjectiveError(ValueError):
    pass


def _classes(name, values, n, k):
    if values is None:
        raise ObjectiveError(f'the objective needs "{name}"')
    v = torch.from_numpy(np.array(values, dtype=np.int64)).reshape(-1)
    if v.numel() != n:
        raise ObjectiveError(f'{name}: {v.numel()} values for {n} images')
    if n and (int(v.min()) < 0 or int(v.max()) >= k):
        raise ObjectiveError(f'{name}: a class outside 0..{k - 1}')
    return v


def _ranks(logits):
    # Largest first; a stable sort puts the lower index first on ties, as the engine's TopK does.
    return torch.sort(logits, dim=1, descending=True, stable=True)[1]


def per_sample(kind, logits, labels=None, targets=None, reference=None):
    """The objective per sample, shape [n], differentiable with respect to `logits`."""
    n, k = logits.shape
    device = logits.device
    if kind == 'ce':
        y = _classes('labels', labels, n, k).to(device)
        return F.cross_entropy(logits, y, reduction='none')
    if kind == 'margin':
        y = _classes('labels', labels, n, k).to(device)
        t = _classes('targets', targets, n, k).to(device)
        return logits.gather(1, t[:, None])[:, 0] - logits.gather(1, y[:, None])[:, 0]
    if kind == 'kl':
        if reference is None:
            raise ObjectiveError('the kl objective needs "reference"')
        r = torch.as_tensor(reference, dtype=logits.dtype).to(device)
        if r.numel() != n * k:
            raise ObjectiveError(f'expected {n} x {k} reference probabilities, got {r.numel()} values')
        r = r.reshape(n, k)
        return (r * (torch.log(r.clamp_min(1e-12)) - F.log_softmax(logits, dim=1))).sum(1)
    if kind in ('dlr', 'dlr-targeted'):
        if k < 4:
            raise ObjectiveError(f'the DLR losses need at least 4 classes; this model has {k}')
        y = _classes('labels', labels, n, k).to(device)
        ranks = _ranks(logits.detach())
        z = lambda idx: logits.gather(1, idx[:, None])[:, 0]  # noqa: E731
        if kind == 'dlr':
            # The best class other than the label (Croce and Hein, 2020, eq. 5).
            other = torch.where(ranks[:, 0] == y, ranks[:, 1], ranks[:, 0])
            numerator = z(y) - z(other)
            denominator = z(ranks[:, 0]) - z(ranks[:, 2])
        else:
            t = _classes('targets', targets, n, k).to(device)
            # Eq. 6: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2).
            numerator = z(y) - z(t)
            denominator = z(ranks[:, 0]) - (z(ranks[:, 2]) + z(ranks[:, 3])) * 0.5
        return -numerator / (denominator + DLR_EPS)
    raise ObjectiveError(f'unknown objective {kind!r}; one of {", ".join(KINDS)}')


def training_loss(kind, forward, x, labels, x_adv=None, beta=None):
    """(mean loss, natural logits): CE, or TRADES's CE + beta * KL(p(natural) || p(adversarial))
    (Zhang et al., 2019), the adversarial forward pass after the natural one, as the engine's is."""
    natural = forward(x)
    loss = F.cross_entropy(natural, labels)
    if kind == 'trades':
        if x_adv is None or beta is None:
            raise ObjectiveError('a TRADES step needs "xAdv" and "beta"')
        adversarial = forward(x_adv)
        p = F.softmax(natural, dim=1)
        kl = (p * (F.log_softmax(natural, dim=1) - F.log_softmax(adversarial, dim=1))).sum(1)
        loss = loss + beta * kl.mean()
    elif kind != 'ce':
        raise ObjectiveError(f'unknown training objective {kind!r}; ce or trades')
    return loss, natural
