"""The benchmark runner: metrics, model adapters, the runner and its executors, results with provenance.

Modules:

- ``metrics/``: segmentation (Dice, IoU, HD95, ASSD, negatives), detection (COCO mAP via pycocotools),
  classification, regression, bootstrap CIs; ``metrics/conventions.py`` documents each source's convention;
- ``adapters/``: ONNX Runtime, TorchScript/torch.export (torch optional), built-in baselines and the trainable
  U-Net ensemble recipe; ``preprocess.py`` applies a model entry's input spec and maps predictions back;
- ``compat.py`` (which model fits which dataset), ``plan.py`` (which pairs a command runs), ``weights.py``;
- ``runner.py`` (one adapter on one split), ``jobs.py`` (one pair, with provenance rows), ``executors.py``
  (in process, process pool, Ray);
- ``results.py`` (index rows, leaderboards) and ``verification.py`` (reproduced metrics and forward-pass checks
  for the model scorer).

Importing this package never needs torch or ray; the adapters that do import them lazily.

    usreg bench carotid-plaque                        # compatible models + trivial baselines, test split
    usreg bench carotid-plaque --train unet-ensemble  # train the recipe on the train split, evaluate on test
    usreg leaderboard carotid-plaque
"""
