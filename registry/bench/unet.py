"""Small 2-D U-Nets with three different encoders, for the built-in ensemble recipe. Needs torch (imported here).

- ``vgg``: two 3x3 convolutions with batch norm and ReLU per stage;
- ``resnet``: a residual basic block per stage (two 3x3 convolutions and a 1x1 projection shortcut);
- ``mobilenet``: a depthwise-separable inverted-residual block per stage.

Every encoder has ``depth`` down-sampling stages (max-pooling); the decoder up-samples bilinearly, concatenates the
skip connection and applies two 3x3 convolutions; a 1x1 convolution gives the class scores.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

ENCODERS = ("vgg", "resnet", "mobilenet")


class VggBlock(nn.Sequential):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.skip = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.skip(x), inplace=True)


class MobileBlock(nn.Module):
    def __init__(self, cin: int, cout: int, expand: int = 4) -> None:
        super().__init__()
        hidden = cin * expand
        self.body = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, padding=1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = nn.Conv2d(cin, cout, 1, bias=False) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.skip(x)


BLOCKS = {"vgg": VggBlock, "resnet": ResBlock, "mobilenet": MobileBlock}


class UNet(nn.Module):
    def __init__(self, encoder: str, in_channels: int = 1, n_classes: int = 2, width: int = 16, depth: int = 3) -> None:
        super().__init__()
        if encoder not in BLOCKS:
            raise ValueError(f"unknown encoder {encoder!r}; choose one of {ENCODERS}")
        block = BLOCKS[encoder]
        widths = [width * 2**i for i in range(depth + 1)]
        self.down = nn.ModuleList()
        cin = in_channels
        for w in widths:
            self.down.append(block(cin, w))
            cin = w
        self.up = nn.ModuleList(VggBlock(widths[i + 1] + widths[i], widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], n_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, stage in enumerate(self.down):
            if i:
                x = F.max_pool2d(x, 2)
            x = stage(x)
            skips.append(x)
        skips.pop()
        for stage in self.up:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = stage(torch.cat([x, skip], dim=1))
        return self.head(x)
