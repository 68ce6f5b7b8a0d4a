"""PyTorch modules of catalog models, written for usreg, whose state-dict key names match the authors' checkpoints.

This is the allow-list of the ``torch-state-dict`` adapter: an entry names one of ``ARCHITECTURES`` in
``adapter.options.architecture``; nothing from YAML is imported or evaluated. Each builder takes the number of outputs
(classes or channels). Sources of the layouts:

- ``resnet18`` / ``resnet34`` / ``resnet50``: torchvision's ``ResNet`` (``conv1``, ``bn1``, ``layer1-4.N.{conv,bn}K``,
  ``downsample.0/1``, ``fc``), Bottleneck with the stride on the 3x3 convolution (torchvision >= 0.5).
- ``resnet50-mlp256``: ResNet-50 whose ``fc`` is ``Sequential(Linear(2048, 256), ReLU, Dropout(0.4), Linear(256, n))``
  (``fc.0``, ``fc.3``), US-UCL's fine-tuned classifier (gbc-iitd/US_UCL ``lincls_bin.py`` with ``--fc_type 2``).
- ``fpus23-resnet8``: FPUS23's plane classifier (bharathprabakaran/FPUS23, ``Plane/Eval_Planes_Res8.py``): the same
  BasicBlock ResNet stem with one block in each of ``layer1-3`` (64, 128, 256 channels), no ``layer4``, ``fc`` 256 ->
  classes. Its released ``PLANE_8.pth`` is the Lightning module's state dict (``model.`` prefix, stripped on load).
- ``sononet-16/32/64``: rdroste/SonoNet_PyTorch ``sononet/sononet.py``: ``features`` (five groups of 3x3 conv + BN
  (eps 1e-4) + ReLU, max-pooling between groups) and ``adaption`` (1x1 conv, BN, ReLU, 1x1 conv, BN), global average
  pooling and a softmax inside the forward pass.
- ``deeplabv3-resnet50``: torchvision's ``deeplabv3_resnet50`` without the auxiliary head (``backbone.*`` = ResNet-50
  with dilation in layer3/4, ``classifier.0`` = ASPP (rates 12, 24, 36), ``classifier.1-4``); the output is upsampled
  bilinearly to the input size (torchvision's ``out``). EchoNet-Dynamic and EchoNet-Measurements use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Architecture:
    build: Callable[[int], Any]
    default_outputs: int | None
    description: str


# --- ResNet (torchvision key names) ----------------------------------------------------------------------------------


def _resnet_module(
    block: str,
    layers: list[int],
    num_outputs: int,
    widths=(64, 128, 256, 512),
    dilate=(False,) * 3,
    head_hidden: int | None = None,
):
    import torch
    from torch import nn

    expansion = 4 if block == "bottleneck" else 1

    class BasicBlock(nn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None, dilation=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, padding=dilation, dilation=dilation, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, 1, padding=dilation, dilation=dilation, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    class Bottleneck(nn.Module):
        def __init__(self, inplanes, planes, stride=1, downsample=None, dilation=1):
            super().__init__()
            self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride, padding=dilation, dilation=dilation, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(planes * 4)
            self.relu = nn.ReLU(inplace=True)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            return self.relu(self.bn3(self.conv3(out)) + identity)

    cls = Bottleneck if block == "bottleneck" else BasicBlock

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.inplanes, self.dilation = 64, 1
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            self.n_stages = len(layers)
            for i, (n, width) in enumerate(zip(layers, widths, strict=False)):
                stride = 1 if i == 0 else 2
                setattr(self, f"layer{i + 1}", self._make_layer(width, n, stride, dilate[i - 1] if i else False))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            features = widths[len(layers) - 1] * expansion
            self.fc = nn.Linear(features, num_outputs) if num_outputs else None
            if num_outputs and head_hidden:  # fc.0 / fc.3 as US-UCL's lincls_bin.py (fc_type 2)
                self.fc = nn.Sequential(
                    nn.Linear(features, head_hidden), nn.ReLU(), nn.Dropout(0.4), nn.Linear(head_hidden, num_outputs)
                )

        def _make_layer(self, planes, blocks, stride, dilate):
            previous = self.dilation
            if dilate:
                self.dilation *= stride
                stride = 1
            downsample = None
            if stride != 1 or self.inplanes != planes * expansion:
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, planes * expansion, 1, stride, bias=False),
                    nn.BatchNorm2d(planes * expansion),
                )
            mods = [cls(self.inplanes, planes, stride, downsample, previous)]
            self.inplanes = planes * expansion
            mods += [cls(self.inplanes, planes, dilation=self.dilation) for _ in range(1, blocks)]
            return nn.Sequential(*mods)

        def features(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for i in range(self.n_stages):
                x = getattr(self, f"layer{i + 1}")(x)
            return x

        def forward(self, x):
            return self.fc(torch.flatten(self.avgpool(self.features(x)), 1))

    return ResNet()


# --- SonoNet ---------------------------------------------------------------------------------------------------------

_SONONET_CFG = {16: (16, 32, 64, 128, 128), 32: (32, 64, 128, 256, 256), 64: (64, 128, 256, 512, 512)}


def _sononet(width: int, num_outputs: int):
    import torch
    from torch import nn

    f = torch.nn.functional
    chans = _SONONET_CFG[width]

    def conv(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout, eps=1e-4), nn.ReLU())

    class SonoNet(nn.Module):
        def __init__(self):
            super().__init__()
            groups, cin = [], 1
            for g, cout in enumerate(chans):
                mods = []
                for _ in range(2 if g < 2 else 3):
                    mods.append(conv(cin, cout))
                    cin = cout
                if g < len(chans) - 1:
                    mods.append(nn.MaxPool2d(2))
                groups.append(nn.Sequential(*mods))
            self.features = nn.Sequential(*groups)
            half = chans[-1] // 2
            self.adaption = nn.Sequential(
                nn.Conv2d(chans[-1], half, 1, bias=False),
                nn.BatchNorm2d(half),
                nn.ReLU(),
                nn.Conv2d(half, num_outputs, 1, bias=False),
                nn.BatchNorm2d(num_outputs),
            )

        def forward(self, x):
            x = self.adaption(self.features(x))
            return f.softmax(f.adaptive_avg_pool2d(x, 1).flatten(1), dim=1)

    return SonoNet()


# --- DeepLabV3 (torchvision key names) -------------------------------------------------------------------------------


def _deeplabv3_resnet50(num_outputs: int):
    import torch
    from torch import nn

    f = torch.nn.functional

    def cbr(cin, cout, k=1, dilation=1):
        pad = 0 if k == 1 else dilation
        return [nn.Conv2d(cin, cout, k, padding=pad, dilation=dilation, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    class Pooling(nn.Sequential):
        def __init__(self, cin, cout):
            super().__init__(nn.AdaptiveAvgPool2d(1), *cbr(cin, cout))

        def forward(self, x):
            return f.interpolate(super().forward(x), size=x.shape[-2:], mode="bilinear", align_corners=False)

    class ASPP(nn.Module):
        def __init__(self, cin, rates=(12, 24, 36), cout=256):
            super().__init__()
            convs = [nn.Sequential(*cbr(cin, cout))]
            convs += [nn.Sequential(*cbr(cin, cout, 3, r)) for r in rates]
            convs.append(Pooling(cin, cout))
            self.convs = nn.ModuleList(convs)
            self.project = nn.Sequential(*cbr(len(convs) * cout, cout), nn.Dropout(0.5))

        def forward(self, x):
            return self.project(torch.cat([c(x) for c in self.convs], dim=1))

    class DeepLabV3(nn.Module):
        def __init__(self):
            super().__init__()
            self.backbone = _resnet_module("bottleneck", [3, 4, 6, 3], 0, dilate=(False, True, True))
            del self.backbone.fc, self.backbone.avgpool
            self.classifier = nn.Sequential(ASPP(2048), *cbr(256, 256, 3), nn.Conv2d(256, num_outputs, 1))

        def forward(self, x):
            out = self.classifier(self.backbone.features(x))
            return f.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)

    return DeepLabV3()


ARCHITECTURES: dict[str, Architecture] = {
    "resnet18": Architecture(lambda n: _resnet_module("basic", [2, 2, 2, 2], n), None, "torchvision ResNet-18"),
    "resnet34": Architecture(lambda n: _resnet_module("basic", [3, 4, 6, 3], n), None, "torchvision ResNet-34"),
    "resnet50": Architecture(lambda n: _resnet_module("bottleneck", [3, 4, 6, 3], n), None, "torchvision ResNet-50"),
    "resnet50-mlp256": Architecture(
        lambda n: _resnet_module("bottleneck", [3, 4, 6, 3], n, head_hidden=256),
        None,
        "torchvision ResNet-50 with a Linear-ReLU-Dropout-Linear head (US-UCL fine-tuning)",
    ),
    "fpus23-resnet8": Architecture(
        lambda n: _resnet_module("basic", [1, 1, 1], n), 4, "FPUS23 plane classifier (ResNet stem, 3 stages)"
    ),
    "sononet-16": Architecture(lambda n: _sononet(16, n), 14, "SonoNet-16"),
    "sononet-32": Architecture(lambda n: _sononet(32, n), 14, "SonoNet-32"),
    "sononet-64": Architecture(lambda n: _sononet(64, n), 14, "SonoNet-64"),
    "deeplabv3-resnet50": Architecture(_deeplabv3_resnet50, None, "torchvision DeepLabV3-ResNet50, no aux head"),
}
