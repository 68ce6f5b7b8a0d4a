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
- ``smp-fpn-resnet34-1ch``: segmentation_models_pytorch's ``FPN(encoder_name="resnet34", in_channels=1)``
  (qubvel-org/segmentation_models.pytorch ``decoders/fpn/decoder.py`` and ``model.py``, ``base/heads.py``: FPN
  blocks with nearest upsampling, segmentation blocks of 3x3 conv + GroupNorm(32) + ReLU with bilinear
  ``align_corners=True`` upsampling, summed, a 1x1 head and a x4 ``UpsamplingBilinear2d``). UltraBones100k's
  bone segmenter (luohwu/UltraBones100k ``AI_ultrasound_segmentation/train_lightning.py``); its checkpoint is the
  pickled module, read by ``module_pickle`` without importing smp.
- ``mi-segnet``: yuan-12138/MI-SegNet ``MI_SegNet.py`` ``Seg_encoder_LM`` + ``Seg_decoder_LM`` with
  ``init_features=64, num_blocks=2`` as ``Model Testing.ipynb`` builds them (``encoder.*`` and ``decoder.*``).
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
    in_channels: int = 3,
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
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
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
            return self.stages(x)[-1]

        def stages(self, x):
            """The output of every stage (layer1, layer2, ...), as feature pyramids read them."""
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            out = []
            for i in range(self.n_stages):
                x = getattr(self, f"layer{i + 1}")(x)
                out.append(x)
            return out

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


# --- FPN (segmentation_models_pytorch key names) ---------------------------------------------------------------------


def _smp_fpn_resnet34(num_outputs: int, in_channels: int = 1):
    """segmentation_models_pytorch's ``FPN(encoder_name="resnet34")`` with its defaults (pyramid 256, segmentation
    128 channels, merge "add", upsampling 4): ``encoder.*`` (torchvision ResNet-34 without fc), ``decoder.p5``,
    ``decoder.p4|p3|p2.skip_conv``, ``decoder.seg_blocks.N.block.M.block.{0: conv 3x3, 1: GroupNorm(32)}`` and
    ``segmentation_head.0``; the output is (N, classes, H, W) logits at the input size."""
    import torch
    from torch import nn

    f = torch.nn.functional

    class ConvGNReLU(nn.Module):
        def __init__(self, cin: int, cout: int, upsample: bool):
            super().__init__()
            self.upsample = upsample
            self.block = nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(32, cout), nn.ReLU()
            )

        def forward(self, x):
            x = self.block(x)
            return f.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=True) if self.upsample else x

    class SegBlock(nn.Module):
        def __init__(self, upsamples: int):
            super().__init__()
            mods = [ConvGNReLU(256, 128, upsample=bool(upsamples))]
            mods += [ConvGNReLU(128, 128, upsample=True) for _ in range(1, upsamples)]
            self.block = nn.Sequential(*mods)

        def forward(self, x):
            return self.block(x)

    class Skip(nn.Module):
        def __init__(self, cin: int):
            super().__init__()
            self.skip_conv = nn.Conv2d(cin, 256, 1)

        def forward(self, x, skip):
            return f.interpolate(x, scale_factor=2.0, mode="nearest") + self.skip_conv(skip)

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.p5 = nn.Conv2d(512, 256, 1)
            self.p4, self.p3, self.p2 = Skip(256), Skip(128), Skip(64)
            self.seg_blocks = nn.ModuleList([SegBlock(n) for n in (3, 2, 1, 0)])

        def forward(self, c2, c3, c4, c5):
            p5 = self.p5(c5)
            p4 = self.p4(p5, c4)
            p3 = self.p3(p4, c3)
            p2 = self.p2(p3, c2)
            return sum(block(p) for block, p in zip(self.seg_blocks, (p5, p4, p3, p2), strict=True))

    class FPN(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = _resnet_module("basic", [3, 4, 6, 3], 0, in_channels=in_channels)
            del self.encoder.fc, self.encoder.avgpool
            self.decoder = Decoder()
            self.segmentation_head = nn.Sequential(
                nn.Conv2d(128, num_outputs, 1), nn.UpsamplingBilinear2d(scale_factor=4)
            )

        def forward(self, x):
            return self.segmentation_head(self.decoder(*self.encoder.stages(x)))

    return FPN()


# --- MI-SegNet (yuan-12138/MI-SegNet key names) ----------------------------------------------------------------------


def _mi_segnet(num_outputs: int, features: int = 64, blocks: int = 2):
    """MI-SegNet's segmentation path as ``Model Testing.ipynb`` builds it: ``Seg_encoder_LM(1, 64, 2)`` then
    ``Seg_decoder_LM(1, 64, 2)`` (``MI_SegNet.py``). ``encoder``: 7x7/2 conv, BN, ReLU, max-pool and four residual
    layers (2f, 4f, 8f, 16f channels; 3x3 convolutions with bias); ``decoder``: five (ConvTranspose 2x2/2, BN, ReLU)
    + residual layer stages, a 1x1 conv and a sigmoid. The checkpoint keeps the two halves under
    ``state_dict_seg_en`` and ``state_dict_seg_de`` (adapter option ``checkpoint_keys``)."""
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int = 1, downsample=None):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
            self.bn1 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
            self.bn2 = nn.BatchNorm2d(cout)
            self.downsample = downsample

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    class ResLayer(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int = 1):
            super().__init__()
            down = None
            if stride != 1 or cin != cout:
                down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
            mods = [Block(cin, cout, stride, down)] + [Block(cout, cout) for _ in range(1, blocks)]
            self.res_layer = nn.Sequential(*mods)

        def forward(self, x):
            return self.res_layer(x)

    class UpConv(nn.Module):
        def __init__(self, cin: int, cout: int):
            super().__init__()
            self.block = nn.Sequential(nn.ConvTranspose2d(cin, cout, 2, 2), nn.BatchNorm2d(cout), nn.ReLU())

        def forward(self, x):
            return self.block(x)

    class MISegNet(nn.Module):
        def __init__(self):
            super().__init__()
            ft = features
            self.encoder = nn.Sequential(
                nn.Conv2d(1, ft, 7, 2, 3, bias=False),
                nn.BatchNorm2d(ft),
                nn.ReLU(),
                nn.MaxPool2d(3, 2, 1),
                ResLayer(ft, 2 * ft),
                ResLayer(2 * ft, 4 * ft, 2),
                ResLayer(4 * ft, 8 * ft, 2),
                ResLayer(8 * ft, 16 * ft, 2),
            )
            stages = []
            for cin, cout in ((16 * ft, 8 * ft), (8 * ft, 4 * ft), (4 * ft, 2 * ft), (2 * ft, ft), (ft, ft)):
                stages += [UpConv(cin, cout), ResLayer(cout, cout)]
            self.decoder = nn.Sequential(*stages, nn.Conv2d(ft, num_outputs, 1), nn.Sigmoid())

        def forward(self, x):
            return self.decoder(self.encoder(x))

    return MISegNet()


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
    "smp-fpn-resnet34-1ch": Architecture(
        _smp_fpn_resnet34, 1, "segmentation_models_pytorch FPN, ResNet-34 encoder, one input channel"
    ),
    "mi-segnet": Architecture(_mi_segnet, 1, "MI-SegNet segmentation encoder and decoder (64 features, 2 blocks)"),
}
