"""What a model file tells the commands: its grid, survey, classes, labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ModelInfo:
    """A loaded model and the facts ``predict`` needs to feed it spectra."""

    model: object
    wavelength: np.ndarray
    medium: str
    survey: str | None
    arm: str | None
    task: str
    labels: dict


def load(path) -> ModelInfo:
    """Load a model file written by ``sklearn-stellar train`` (or save_model)."""
    from ..persistence import load_model, read_manifest

    user = read_manifest(path)["provenance"].get("user", {})
    model = load_model(path)
    params = model.get_params(deep=True)
    grids = [
        v
        for k, v in params.items()
        if k.endswith("wavelength") and isinstance(v, np.ndarray)
    ]
    if not grids:
        raise ValueError(
            f"model file {path}: no step holds a wavelength grid (expected a "
            "make_binary_pipeline or make_be_pipeline recipe)."
        )
    media = [v for k, v in params.items() if k.endswith("medium")]
    classes = [str(c) for c in model.classes_]
    names = user.get("target_names") or classes
    return ModelInfo(
        model=model,
        wavelength=grids[0],
        medium=media[0] if media else "vacuum",
        survey=user.get("survey"),
        arm=user.get("arm"),
        task=user.get("task", "binary"),
        labels=dict(zip(classes, names, strict=False)),
    )


def domain_problem(info: ModelInfo, spectrum) -> str:
    """Why the model cannot read this spectrum ("" when it can).

    The rules live in :func:`sklearn_stellar.domain.spectrum_domain_problem`
    (survey, arm, wavelength coverage, and the header rules of the model's
    ``DomainGuard`` when it carries one).
    """
    from ..domain import find_domain_guard, spectrum_domain_problem

    return spectrum_domain_problem(
        spectrum,
        wavelength=info.wavelength,
        survey=info.survey,
        arm=info.arm,
        guard=find_domain_guard(info.model),
    )
