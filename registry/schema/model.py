"""The model entry model."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from .common import ClassDef, EntryBase, Plugin, Source, Strict
from .types import Count, Doi, EntryId, LicenseId, Sha256, ShortText, Text, Url
from .vocab import Anatomy, Normalization, OutputKind, Task, WeightsFormat


class Code(Strict):
    url: Url
    license: LicenseId | None = None
    license_url: Url | None = None
    ref: ShortText | None = Field(None, description="A pinned tag or commit.")


# a pinned git commit, as the Hugging Face Hub names revisions (a branch or tag name can move)
CommitSha = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{40}$")]


class Weights(Strict):
    format: WeightsFormat
    source: Source
    sha256: Sha256 | None = None
    size: Count | None = None
    file: ShortText | None = Field(None, description="The file name of the weights within the source.")
    revision: CommitSha | None = Field(
        None,
        description=(
            "Hugging Face Hub weights: the commit (40 hex digits) of the repository source.id at which the runner "
            "downloads file with huggingface_hub; needs a huggingface source, file and sha256."
        ),
    )

    @model_validator(mode="after")
    def _hub_revision(self) -> Weights:
        if self.revision is None:
            return self
        missing = [name for name in ("file", "sha256") if getattr(self, name) is None]
        if self.source.kind != "huggingface":
            raise ValueError("a weights revision pins a Hugging Face Hub commit: it needs source.kind huggingface")
        if missing:
            raise ValueError(f"Hugging Face Hub weights pinned by revision need {' and '.join(missing)}")
        return self


class InputSpec(Strict):
    channels: Count | None = None
    size: list[Count] | None = Field(None, min_length=2, max_length=3, description="[height, width] the model expects.")
    normalization: Normalization | None = None
    mean: list[float] | None = None
    std: list[float] | None = None

    @model_validator(mode="after")
    def _mean_std(self) -> InputSpec:
        if self.normalization == "mean-std" and (self.mean is None or self.std is None):
            raise ValueError("normalization 'mean-std' needs mean and std")
        return self


class OutputSpec(Strict):
    kind: OutputKind
    classes: list[ClassDef] = Field(default_factory=list)
    activation: ShortText | None = Field(None, description="softmax, sigmoid, or none.")


class ReportedMetric(Strict):
    dataset: EntryId | None = Field(None, description="Registry id of the evaluation dataset, when it has one.")
    dataset_name: ShortText | None = None
    split: ShortText | None = None
    metric: ShortText
    value: float
    unit: ShortText | None = None
    source: Url | None = None
    note: ShortText | None = None


class Reproducibility(Strict):
    pinned_dependencies: bool | None = None
    train_script: bool | None = None
    eval_script: bool | None = None
    inference_example: bool | None = None
    reproduction_command: ShortText | None = None


class EvaluationQuality(Strict):
    uncertainty: bool | None = None
    external_validation: bool | None = None
    subgroups: bool | None = None
    failure_analysis: bool | None = None


class Model(EntryBase):
    """An open ultrasound model."""

    architecture: ShortText | None = None
    tasks: list[Task] = Field(min_length=1)
    anatomy: list[Anatomy] = Field(default_factory=list)
    trained_on: list[EntryId] = Field(default_factory=list)
    evaluated_on: list[EntryId] = Field(default_factory=list)
    code: Code | None = None
    weights: list[Weights] = Field(default_factory=list)
    weights_license: LicenseId | None = None
    weights_license_url: Url | None = None
    archive_doi: Doi | None = Field(None, description="DOI of an archived, pinned release.")
    model_card: Url | None = None
    input: InputSpec | None = None
    output: OutputSpec | None = None
    metrics: list[ReportedMetric] = Field(default_factory=list)
    reproducibility: Reproducibility = Field(default_factory=Reproducibility)
    evaluation: EvaluationQuality = Field(default_factory=EvaluationQuality)
    intended_use: Text | None = None
    regulatory_status: ShortText | None = None
    adapter: Plugin | None = Field(None, description="How the benchmark runner runs it: onnx, torchscript, builtin.")

    @model_validator(mode="after")
    def _custom_licences(self) -> Model:
        if self.weights_license and self.weights_license.startswith("LicenseRef-") and not self.weights_license_url:
            raise ValueError("a custom weights licence (LicenseRef-...) needs weights_license_url")
        if (
            self.code
            and self.code.license
            and self.code.license.startswith("LicenseRef-")
            and not self.code.license_url
        ):
            raise ValueError("a custom code licence (LicenseRef-...) needs code.license_url")
        return self
