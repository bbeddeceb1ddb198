"""The inner maximisations of adversarial training and the per-epoch evaluation attacks, on NCHW
tensors, following the engine (src/engine/train/inner-max.ts, src/engine/attacks/pgd.ts,
src/engine/attacks/geometry.ts). Random starts are drawn from the engine's generator in the
engine's NHWC order, so they are the engine's starts; the attacks run the model in eval mode."""
import numpy as np
import torch
import torch.nn.functional as F

from .rng import Random


def project(x_adv, x, norm, eps):
    if norm == 'Linf':
        return torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    delta = x_adv - x
    n = delta.flatten(1).norm(dim=1)
    scale = torch.where(n > eps, eps / (n + 1e-12), torch.ones_like(n))
    return (x + delta * scale.view(-1, *([1] * (x.dim() - 1)))).clamp(0, 1)


def ascend(x, grad, norm, step):
    if norm == 'Linf':
        return x + step * grad.sign()
    n = grad.flatten(1).norm(dim=1).view(-1, *([1] * (x.dim() - 1)))
    return x + step * grad / (n + 1e-12)


def _nchw(values, like):
    n, c, h, w = like.shape
    t = torch.from_numpy(values.astype(np.float32).reshape(n, h, w, c)).permute(0, 3, 1, 2)
    return t.to(like.device)


def random_start(x, norm, eps, random):
    """A random point of the eps-ball around x (the engine's randomStart), clipped into [0, 1]."""
    count = x.numel()
    if norm == 'Linf':
        return project(x + _nchw(random.uniform_array(-eps, eps, count), x), x, norm, eps)
    d = count // x.shape[0]
    rows = []
    for _ in range(x.shape[0]):
        g = random.normal_array(d)
        radius = eps * random.next() / (np.sqrt(np.sum(g * g)) + 1e-12)
        rows.append(g * radius)
    return project(x + _nchw(np.concatenate(rows), x), x, norm, eps)


def _input_grad(model, x, loss_fn):
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        losses = loss_fn(logits)
        grad, = torch.autograd.grad(losses.sum(), x)
    return grad.detach(), logits.detach(), losses.detach()


def pgd_examples(model, x, labels, norm, eps, steps, step, start):
    """Madry et al. (2018): last iterate of PGD on the cross-entropy from `start` (random_start's)."""
    x_adv = start
    for _ in range(steps):
        grad, _, _ = _input_grad(model, x_adv, lambda z: F.cross_entropy(z, labels, reduction='none'))
        x_adv = project(ascend(x_adv, grad, norm, step), x, norm, eps)
    return x_adv.detach()


def trades_start(x, norm, eps, random):
    """TRADES's start: x plus N(0, 0.001^2) noise, projected."""
    return project(x + 0.001 * _nchw(random.normal_array(x.numel()), x), x, norm, eps)


def trades_examples(model, x, norm, eps, steps, step, start):
    """Zhang et al. (2019): from `start`, ascend KL(p(x) || p(x_adv))."""
    with torch.no_grad():
        reference = F.softmax(model(x), dim=1)
    x_adv = start

    def kl(z):
        return (reference * (torch.log(reference.clamp_min(1e-30)) - F.log_softmax(z, dim=1))).sum(1)
    for _ in range(steps):
        grad, _, _ = _input_grad(model, x_adv, kl)
        x_adv = project(ascend(x_adv, grad, norm, step), x, norm, eps)
    return x_adv.detach()


def fgsm_robust(model, x, labels, norm, eps):
    """One step of size eps from the clean image; a sample wrong when clean stays broken."""
    grad, logits, _ = _input_grad(model, x, lambda z: F.cross_entropy(z, labels, reduction='none'))
    x_adv = project(ascend(x, grad, norm, eps), x, norm, eps)
    with torch.no_grad():
        robust = model(x_adv).argmax(1) == labels
    return robust & (logits.argmax(1) == labels)


def pgd_robust(model, x, labels, norm, eps, steps, seed):
    """The engine's evaluation PGD (one restart, random start, step 2.5 eps / steps): a sample is
    broken when any iterate, the start and the last included, is misclassified."""
    random = Random(seed)
    step = 2.5 * eps / max(1, steps)
    x_adv = random_start(x, norm, eps, random)
    robust = torch.ones_like(labels, dtype=torch.bool)
    for _ in range(steps):
        grad, logits, _ = _input_grad(model, x_adv, lambda z: F.cross_entropy(z, labels, reduction='none'))
        robust &= logits.argmax(1) == labels
        x_adv = project(ascend(x_adv, grad, norm, step), x, norm, eps)
    with torch.no_grad():
        robust &= model(x_adv).argmax(1) == labels
    return robust
