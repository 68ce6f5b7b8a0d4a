"""Controlled vocabularies shared by dataset and model entries.

Each vocabulary is a ``StrEnum`` so that the values appear as plain strings in YAML, in the JSON Schema
and in the index, while code can still refer to them by name.
"""

from __future__ import annotations

from enum import StrEnum

from ..hosts import HOSTS


class Anatomy(StrEnum):
    abdomen = "abdomen"
    appendix = "appendix"
    bladder = "bladder"
    brain = "brain"
    breast = "breast"
    carotid = "carotid"
    cervix = "cervix"
    eye = "eye"
    fetal = "fetal"
    fetal_head = "fetal-head"
    fetal_heart = "fetal-heart"
    fetal_abdomen = "fetal-abdomen"
    gallbladder = "gallbladder"
    gastrointestinal = "gastrointestinal"
    heart = "heart"
    hip = "hip"
    kidney = "kidney"
    knee = "knee"
    liver = "liver"
    lung = "lung"
    lymph_node = "lymph-node"
    muscle = "muscle"
    musculoskeletal = "musculoskeletal"
    nerve = "nerve"
    ovary = "ovary"
    pancreas = "pancreas"
    pelvic_floor = "pelvic-floor"
    placenta = "placenta"
    prostate = "prostate"
    skin = "skin"
    spinal_cord = "spinal-cord"
    spine = "spine"
    spleen = "spleen"
    tendon = "tendon"
    testis = "testis"
    thyroid = "thyroid"
    uterus = "uterus"
    vascular = "vascular"
    multi = "multi"
    other = "other"


class Task(StrEnum):
    segmentation = "segmentation"
    instance_segmentation = "instance-segmentation"
    classification = "classification"
    detection = "detection"
    regression = "regression"
    landmark = "landmark"
    tracking = "tracking"
    biometry = "biometry"
    report_generation = "report-generation"
    vqa = "vqa"
    reconstruction = "reconstruction"
    registration = "registration"
    enhancement = "enhancement"
    beamforming = "beamforming"
    plane_detection = "plane-detection"
    quality_assessment = "quality-assessment"
    pretraining = "pretraining"
    generation = "generation"
    retrieval = "retrieval"


class LabelType(StrEnum):
    mask = "mask"
    instance_mask = "instance-mask"
    polygon = "polygon"
    box = "box"
    image_class = "class"
    keypoint = "keypoint"
    measurement = "measurement"
    text = "text"
    track = "track"
    volume_mask = "volume-mask"
    none = "none"


class Mode(StrEnum):
    b_mode = "b-mode"
    m_mode = "m-mode"
    doppler = "doppler"
    color_doppler = "color-doppler"
    power_doppler = "power-doppler"
    spectral_doppler = "spectral-doppler"
    ceus = "ceus"
    elastography = "elastography"
    rf = "rf"
    iq = "iq"
    photoacoustic = "photoacoustic"


class Dimensionality(StrEnum):
    d2 = "2d"
    d3 = "3d"
    d2t = "2d+t"
    d3t = "3d+t"


class Probe(StrEnum):
    linear = "linear"
    convex = "convex"
    phased = "phased"
    endocavity = "endocavity"
    volumetric = "volumetric"
    automated_breast = "automated-breast"
    intravascular = "intravascular"
    handheld = "handheld"
    other = "other"


class Species(StrEnum):
    human = "human"
    porcine = "porcine"
    murine = "murine"
    rat = "rat"
    ovine = "ovine"
    bovine = "bovine"
    canine = "canine"
    rabbit = "rabbit"
    other_animal = "other-animal"
    phantom = "phantom"
    simulated = "simulated"


class Access(StrEnum):
    open = "open"
    registration = "registration"
    request = "request"
    challenge = "challenge"


#: a source's ``kind``: one per line of ``registry/hosts.py`` (a host module plus that line is all a new host adds)
#: (mypy types only enums whose members are written out; these come from the host registry at import time)
HostKind = StrEnum("HostKind", [(kind.replace("-", "_"), kind) for kind in HOSTS])  # type: ignore[misc]


class FileFormat(StrEnum):
    png = "png"
    jpg = "jpg"
    bmp = "bmp"
    tiff = "tiff"
    dicom = "dicom"
    nifti = "nifti"
    mha = "mha"
    nrrd = "nrrd"
    mat = "mat"
    hdf5 = "hdf5"
    npy = "npy"
    avi = "avi"
    mp4 = "mp4"
    csv = "csv"
    json = "json"
    xml = "xml"
    txt = "txt"
    other = "other"


OPEN_FORMATS: frozenset[str] = frozenset(
    {
        "png",
        "jpg",
        "bmp",
        "tiff",
        "dicom",
        "nifti",
        "mha",
        "nrrd",
        "hdf5",
        "npy",
        "avi",
        "mp4",
        "csv",
        "json",
        "xml",
        "txt",
    }
)


class EntryKind(StrEnum):
    dataset = "dataset"
    collection = "collection"


class WeightsFormat(StrEnum):
    onnx = "onnx"
    torchscript = "torchscript"
    pytorch_state_dict = "pytorch-state-dict"
    pytorch_checkpoint = "pytorch-checkpoint"
    safetensors = "safetensors"
    keras = "keras"
    tensorflow = "tensorflow"
    other = "other"


class OutputKind(StrEnum):
    mask = "mask"
    label = "label"
    boxes = "boxes"
    points = "points"
    value = "value"
    embedding = "embedding"
    text = "text"


class Normalization(StrEnum):
    none = "none"
    zero_one = "zero-one"
    minus_one_one = "minus-one-one"
    imagenet = "imagenet"
    mean_std = "mean-std"
    per_image = "per-image"


class PublicationRole(StrEnum):
    descriptor = "descriptor"
    challenge = "challenge"
    method = "method"
    usage = "usage"
