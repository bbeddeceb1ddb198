/**
 * A PyTorch model file the engine cannot build (ZeroPad2d has no engine kernel) with a factory, so
 * the editor offers only "Evaluate robustness (runs your PyTorch)": shared by the unit and e2e tests.
 */
export const PADDED_NET_PY = `import torch.nn as nn


class Padded(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3, stride=2), nn.ReLU(), nn.ZeroPad2d(1),
                                  nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(4 * width, 10))

    def forward(self, x):
        return self.body(x)


def padded_net():
    return Padded(4)
`;
