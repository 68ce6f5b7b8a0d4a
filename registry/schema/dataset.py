"""The dataset entry model."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .common import ClassDef, EntryBase, Plugin, Source, Strict
from .types import Count, CountryCode, Doi, EntryId, LicenseId, ShortText, Text, Url
from .vocab import Access, Anatomy, Dimensionality, EntryKind, FileFormat, LabelType, Mode, Probe, Species, Task


class Modality(Strict):
    modes: list[Mode] = Field(default_factory=list)
    dimensionality: list[Dimensionality] = Field(default_factory=list)
    probes: list[Probe] = Field(default_factory=list)
    frequency: ShortText | None = Field(None, description="Transducer frequency, e.g. '5-12 MHz'.")


class Acquisition(Strict):
    countries: list[CountryCode] = Field(default_factory=list, description="ISO 3166-1 alpha-2 codes.")
    sites: list[ShortText] = Field(default_factory=list)
    devices: list[ShortText] = Field(default_factory=list)
    period: ShortText | None = Field(None, description="Acquisition period, e.g. '2019-2021'.")


class Counts(Strict):
    subjects: Count | None = None
    images: Count | None = None
    videos: Count | None = None
    volumes: Count | None = None
    frames: Count | None = None
    note: ShortText | None = Field(None, description="Units and what was counted, where it is not obvious.")


class Annotator(Strict):
    count: Count | None = None
    expertise: ShortText


class Annotation(Strict):
    label_types: list[LabelType] = Field(default_factory=list)
    classes: list[ClassDef] = Field(default_factory=list)
    annotators: list[Annotator] = Field(default_factory=list)
    protocol: Text | None = None
    agreement: Text | None = Field(None, description="Inter-rater agreement, with its metric.")
    reference_standard: Text | None = Field(None, description="e.g. histopathology, expert consensus.")

    @model_validator(mode="after")
    def _unique_class_ids(self) -> Annotation:
        ids = [c.id for c in self.classes]
        if len(ids) != len(set(ids)):
            raise ValueError("class ids must be unique")
        return self


class Splits(Strict):
    official: bool | None = None
    subject_level: bool | None = None
    subject_ids: bool | None = Field(None, description="Whether the release identifies the subject of each image.")
    folds: Count | None = None
    counts: dict[ShortText, Count] = Field(default_factory=dict)
    description: Text | None = None


class Demographics(Strict):
    sex: ShortText | None = None
    age: ShortText | None = None
    population: Text | None = None
    inclusion: Text | None = Field(None, description="Inclusion and exclusion criteria.")


class Ethics(Strict):
    approval: Text | None = Field(None, description="Ethics board and approval number.")
    deidentification: Text | None = None
    consent: Text | None = None
    terms_url: Url | None = None


class Relations(Strict):
    family: list[EntryId] = Field(default_factory=list, description="Other versions or close relatives.")
    derived_from: list[EntryId] = Field(default_factory=list, description="Datasets this one reuses or subsets.")
    members: list[EntryId] = Field(default_factory=list, description="For collections: the member datasets.")


class Dataset(EntryBase):
    """A public ultrasound dataset or a collection of datasets."""

    kind: EntryKind = EntryKind.dataset
    anatomy: list[Anatomy] = Field(min_length=1)
    applications: list[ShortText] = Field(default_factory=list, description="Clinical applications, free text.")
    tasks: list[Task] = Field(default_factory=list)
    species: list[Species] = Field(default_factory=list)
    modality: Modality = Field(default_factory=Modality)
    counts: Counts = Field(default_factory=Counts)
    acquisition: Acquisition = Field(default_factory=Acquisition)
    annotation: Annotation = Field(default_factory=Annotation)
    splits: Splits = Field(default_factory=Splits)
    demographics: Demographics = Field(default_factory=Demographics)
    ethics: Ethics = Field(default_factory=Ethics)
    preprocessing: Text | None = None
    limitations: Text | None = None
    formats: list[FileFormat] = Field(default_factory=list)
    license: LicenseId | None = None
    license_url: Url | None = None
    access: Access | None = None
    access_terms: Text | None = None
    sources: list[Source] = Field(default_factory=list)
    loader: Plugin | None = None
    relations: Relations = Field(default_factory=Relations)
    dataset_doi: Doi | None = Field(None, description="The DOI of the data itself (not the paper).")
    status: Literal["active", "deprecated", "unavailable"] = "active"

    @model_validator(mode="after")
    def _consistency(self) -> Dataset:
        if self.license and self.license.startswith("LicenseRef-") and not self.license_url:
            raise ValueError("a custom licence (LicenseRef-...) needs license_url")
        if self.kind == EntryKind.collection and not self.relations.members:
            raise ValueError("a collection needs relations.members")
        return self
