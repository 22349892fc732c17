"""What a model file tells the commands: its grid, survey, classes, labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_COVERAGE = 0.95


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
    """Why the model cannot read this spectrum ("" when it can)."""
    meta = spectrum.meta
    if info.survey and meta.get("survey") != info.survey:
        return f"model reads {info.survey} spectra, this is {meta.get('survey')}"
    if info.arm and meta.get("arm") != info.arm:
        return f"model reads the MRS {info.arm} arm, this is the {meta.get('arm')} arm"
    wave = spectrum.spectral_axis.to_value("Angstrom")
    grid = info.wavelength
    covered = np.mean((grid >= wave.min()) & (grid <= wave.max()))
    # Edges may be missing (LRS files start near 3700.8 A, the binary grid at
    # 3700 A; some MRS red arms at 6308 A): NaN fills them, the normalisers
    # and networks handle NaN. Less than MIN_COVERAGE of the grid is refused.
    if covered < MIN_COVERAGE:
        return (
            f"wavelength coverage {wave.min():.0f}-{wave.max():.0f} A holds "
            f"{covered:.0%} of the model's {grid[0]:.0f}-{grid[-1]:.0f} A grid "
            f"(needs {MIN_COVERAGE:.0%})"
        )
    return ""
