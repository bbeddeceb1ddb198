"""RobArch-S (Peng et al., 2023) in plain PyTorch: ResNet-50's budget with the 18 guidelines applied.

D-5-8-13-1, widths 288-576-1120-2160, grouped 3x3 convs with 2 groups, a 96-channel 7x7 stem
without max-pool, SE with ReLU inside, SiLU in the blocks and no norm after the first conv.
"""
import torch
from torch import nn
from torchvision.ops import SqueezeExcitation

DEPTHS = [5, 8, 13, 1]
WIDTHS = [288, 576, 1120, 2160]
GROUPS = 2
BOTTLENECK = 0.25
SE_RATIO = 0.25


class RobArchBlock(nn.Module):
    def __init__(self, width_in: int, width_out: int, stride: int) -> None:
        super().__init__()
        inner = round(width_out * BOTTLENECK)
        self.conv_a = nn.Conv2d(width_in, inner, 1, bias=False)
        self.act_a = nn.SiLU()
        self.conv_b = nn.Conv2d(inner, inner, 3, stride=stride, padding=1, groups=GROUPS, bias=False)
        self.bn_b = nn.BatchNorm2d(inner)
        self.act_b = nn.SiLU()
        # The squeeze width follows the block's input width (RegNet style).
        self.se = SqueezeExcitation(inner, round(SE_RATIO * width_in), activation=nn.ReLU)
        self.conv_c = nn.Conv2d(inner, width_out, 1, bias=False)
        self.bn_c = nn.BatchNorm2d(width_out)
        self.proj = None
        if stride != 1 or width_in != width_out:
            self.proj = nn.Sequential(
                nn.Conv2d(width_in, width_out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(width_out),
            )
        self.act_out = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act_a(self.conv_a(x))
        out = self.act_b(self.bn_b(self.conv_b(out)))
        out = self.se(out)
        out = self.bn_c(self.conv_c(out))
        shortcut = x if self.proj is None else self.proj(x)
        return self.act_out(out + shortcut)


class RobArchS(nn.Module):
    def __init__(self, num_classes: int = 1000, stem_width: int = 96) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, stem_width, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(stem_width),
            nn.ReLU(inplace=True),
        )
        stages = []
        width_in = stem_width
        for depth, width in zip(DEPTHS, WIDTHS):
            blocks = [RobArchBlock(width_in if i == 0 else width, width, 2 if i == 0 else 1) for i in range(depth)]
            stages.append(nn.Sequential(*blocks))
            width_in = width
        self.stages = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(width_in, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))
