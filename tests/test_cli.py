"""The ``sklearn-stellar`` command end to end on the real LAMOST files.

Tiny models are trained once per module through the command itself; every
prediction runs on real files copied from the data home, plus a truncated
file, a file that is not FITS and a real file the Be filters reject.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_stellar import __version__
from sklearn_stellar.cli import main
from sklearn_stellar.io import LamostReadError, read_lamost_file
from sklearn_stellar.persistence import read_manifest

COLUMNS = {"file", "obsid", "designation", "ra", "dec", "snr", "status", "reason",
           "probability", "label"}  # fmt: skip
STATUSES = {"ok", "rejected", "out_of_domain", "unreadable"}
MRS_FILE = "KIC8098300__DR7_medium__med-58625-TD192102N424113K01_sp12-076.fits.gz"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    paths = {}
    for task in ("binary", "be"):
        paths[task] = folder / f"{task}.skstellar"
        argv = ["train", task, "--n-samples", "60", "--epochs", "1", "--small",
                "--output", str(paths[task])]  # fmt: skip
        assert main(argv) == 0
    return paths


def _deepen_halpha(src, dst):
    """A real MRS file whose red-arm H-alpha is a 24 A absorption (EW > 10 A)."""
    with fits.open(src) as hdul:
        for hdu in hdul[1:]:
            if hdu.name.startswith(("COADD_R", "R-")):
                wave = 10.0 ** hdu.data["LOGLAM"]
                line = 0.8 * np.exp(-0.5 * ((wave - 6564.6) / 12.0) ** 2)
                hdu.data["FLUX"] = hdu.data["FLUX"] * (1 - line)
        hdul.writeto(dst)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, data_home):
    """A folder of real files, one truncated, one not FITS, one rejected."""
    folder = tmp_path_factory.mktemp("inputs")
    lrs = sorted((data_home / "lamost" / "lrs" / "dr7_plan_HD103621N361936B01")
                 .glob("*.fits"))[:3]  # fmt: skip
    for path in lrs:
        shutil.copy(path, folder)
    mrs = data_home / "lamost" / "mrs" / MRS_FILE
    shutil.copy(mrs, folder)
    _deepen_halpha(mrs, folder / "deep_halpha.fits")
    (folder / "truncated.fits").write_bytes(lrs[0].read_bytes()[:5000])
    (folder / "notes.fits").write_text("observing notes, not a spectrum\n")
    n_spectra = sum(len(read_lamost_file(p)) for p in [*lrs, mrs]) + len(
        read_lamost_file(folder / "deep_halpha.fits")
    )
    return folder, n_spectra


def _predict(model, inputs, out, *extra):
    return main(["predict", str(model), *map(str, inputs), "--output", str(out),
                 "--quiet", *extra])  # fmt: skip


def test_predict_leaves_one_row_per_spectrum_and_per_unreadable_file(
    models, inputs, tmp_path
):
    folder, n_spectra = inputs
    out = tmp_path / "be.ecsv"
    assert _predict(models["be"], [folder], out, "--chunk-size", "2") == 0
    table = Table.read(out)
    assert COLUMNS <= set(table.colnames)
    assert len(table) == n_spectra + 2
    assert list(table["file"]) == sorted(table["file"])  # input order, chunked
    assert set(table["status"]) == STATUSES
    unreadable = table[table["status"] == "unreadable"]
    assert sorted(f.rsplit("/", 1)[-1] for f in unreadable["file"]) == [
        "notes.fits", "truncated.fits"]  # fmt: skip
    assert all(unreadable["reason"])
    # The Be model reads red-arm MRS spectra only: LRS and blue arms are
    # out of its domain, each with the reason.
    ood = table[table["status"] == "out_of_domain"]
    assert set(ood["survey"]) == {"LRS", "MRS"}
    assert set(ood[ood["survey"] == "MRS"]["arm"]) == {"B"}
    assert all("model reads" in r for r in ood["reason"])
    assert np.all(np.isnan(ood["probability"]))
    # Every red-arm spectrum of the deepened file fails the H-alpha EW cut.
    deep = table[[f.endswith("deep_halpha.fits") for f in table["file"]]]
    rejected = deep[deep["arm"] == "R"]
    assert set(rejected["status"]) == {"rejected"}
    assert np.all(rejected["value"] > 10)
    assert set(rejected["cut"]) == {"< 10"}
    assert set(rejected["filter"]) == {"ew"}
    assert set(rejected["label"]) == {"non-Be"}
    ok = table[table["status"] == "ok"]
    assert len(ok) > 0 and set(ok["arm"]) == {"R"}
    assert np.all((ok["probability"] >= 0) & (ok["probability"] <= 1))
    assert set(ok["label"]) <= {"Be", "non-Be"}


def test_predict_binary_from_a_path_list_to_fits_with_star_table(
    models, inputs, tmp_path
):
    folder, n_spectra = inputs
    listing = tmp_path / "inputs.txt"
    names = sorted(p.name for p in folder.iterdir())
    listing.write_text("# spectra\n" + "\n".join(str(folder / n) for n in names))
    out, stars = tmp_path / "catalog.fits", tmp_path / "stars.ecsv"
    assert _predict(models["binary"], [listing], out, "--stars", str(stars)) == 0
    table = Table.read(out)
    assert len(table) == n_spectra + 2
    ok = table[table["status"] == "ok"]
    assert len(ok) == 3 and set(ok["survey"]) == {"LRS"}
    assert set(ok["label"]) <= {"binary", "single"}
    star = Table.read(stars)
    assert star["n_spectra"].sum() == len(ok)
    assert set(star["grouped_by"]) == {"position"}
    assert np.all(star["max_probability"] >= star["mean_probability"] - 1e-12)


def test_predict_stars_groups_real_repeat_epochs_by_position(
    models, data_home, tmp_path, capsys
):
    # One star's designation changes between epochs: 110 spectra, 49 stars
    # (epochs.csv), 75 designations. --stars groups by position by default.
    folder = data_home / "lamost" / "lrs" / "repeat_epochs"
    truth = Table.read(folder / "epochs.csv")
    out, stars = tmp_path / "catalog.ecsv", tmp_path / "stars.ecsv"
    assert _predict(models["binary"], [folder], out, "--stars", str(stars)) == 0
    table = Table.read(out)
    ok = table[table["status"] == "ok"]
    assert len(ok) == len(truth) == 110
    star = Table.read(stars)
    assert len(star) == len(set(truth["star"])) == 49
    assert star["n_spectra"].sum() == 110
    assert set(star["grouped_by"]) == {"position"}
    n_names = len(set(ok["designation"]))
    assert star["n_designations"].sum() == n_names > 49
    by_name = tmp_path / "by_name.ecsv"
    args = ("--stars", str(by_name), "--star-key", "designation")
    assert _predict(models["binary"], [folder], out, *args) == 0
    assert len(Table.read(by_name)) == n_names
    refused = tmp_path / "refused.ecsv"
    args = ("--stars", str(by_name), "--star-radius", "-1")
    assert _predict(models["binary"], [folder], refused, *args) == 2
    assert "--star-radius" in capsys.readouterr().err
    assert not refused.exists()  # refused before any work


def test_failed_write_leaves_no_partial_file(models, inputs, tmp_path, capsys):
    folder, _ = inputs
    # The catalog's name is taken by a folder: the rename at the end fails
    # after the whole catalog was written under the temporary name.
    out = tmp_path / "catalog.ecsv"
    out.mkdir()
    assert _predict(models["binary"], [folder], out) == 2
    assert "catalog.ecsv" in capsys.readouterr().err
    assert out.is_dir() and not any(out.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["catalog.ecsv"]


def test_predict_refuses_a_catalog_name_without_known_extension(
    models, inputs, tmp_path, capsys
):
    folder, _ = inputs
    assert _predict(models["binary"], [folder], tmp_path / "catalog.csv") == 2
    assert "extension" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_evaluate_on_the_built_in_test_split_writes_metrics_and_figure(
    models, tmp_path, capsys
):
    assert main(["evaluate", str(models["be"]), "--output", str(tmp_path)]) == 0
    assert "ROC AUC" in capsys.readouterr().out
    result = json.loads((tmp_path / "metrics.json").read_text())
    assert 0 <= result["roc_auc"] <= 1
    assert 0 <= result["precision_at_prior"] <= 1
    assert np.sum(result["confusion_matrix"]) == result["n_spectra"] > 0
    assert (tmp_path / "evaluation.png").stat().st_size > 5_000


def test_train_and_evaluate_on_own_spectra_with_a_label_table(
    data_home, tmp_path, capsys
):
    folder = data_home / "lamost" / "lrs" / "dr7_plan_HD103621N361936B01"
    files = sorted(folder.glob("*.fits"))[:8]
    labels = tmp_path / "labels.csv"
    labels.write_text("file,label\n" + "".join(
        f"{p.name},{i % 2}\n" for i, p in enumerate(files)))  # fmt: skip
    model = tmp_path / "own.skstellar"
    spectra = ["--spectra", *map(str, files), "--labels", str(labels)]
    argv = ["train", "binary", "--epochs", "1", "--small", "-o", str(model)]
    assert main([*argv, *spectra]) == 0
    assert "on 8 spectra" in capsys.readouterr().out
    command = read_manifest(model)["provenance"]["user"]["command"]
    assert command.startswith("sklearn-stellar train binary --epochs 1")
    assert main(["evaluate", str(model), *spectra, "--no-figure"]) == 0
    assert "8 spectra (4 positive)" in capsys.readouterr().out


def test_version_and_help_on_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert __version__ in capsys.readouterr().out
    for command in ("train", "predict", "evaluate", "demo"):
        with pytest.raises(SystemExit) as exit_:
            main([command, "--help"])
        assert exit_.value.code == 0
        assert f"usage: sklearn-stellar {command}" in capsys.readouterr().out


def test_python_dash_m_runs_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "sklearn_stellar", "--version"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == f"sklearn-stellar {__version__}"


def test_missing_input_exits_with_a_clear_error(models, tmp_path, capsys):
    missing = tmp_path / "nowhere.fits"
    assert _predict(models["binary"], [missing], tmp_path / "c.ecsv") == 2
    assert "nowhere.fits" in capsys.readouterr().err


def test_demo_trains_classifies_and_writes_catalogs_stars_and_figures(
    inputs, tmp_path, capsys
):
    folder, n_spectra = inputs
    out = tmp_path / "demo"
    argv = ["demo", str(folder), "--output", str(out), "--binary-samples", "60",
            "--be-samples", "60", "--epochs", "1", "--quiet"]  # fmt: skip
    assert main(argv) == 0
    summary = capsys.readouterr().out
    assert "binary: held-out ROC AUC" in summary and "be: held-out" in summary
    assert "stars:" in summary
    for task in ("binary", "be"):
        table = Table.read(out / f"catalog_{task}.ecsv")
        assert len(table) == n_spectra + 2
        assert (table["status"] == "unreadable").sum() == 2
        assert (out / f"{task}.skstellar").is_file()
        assert (out / f"{task}_evaluation.png").stat().st_size > 5_000
        assert (out / f"catalog_{task}.png").stat().st_size > 5_000
    assert (out / "be_halpha_gallery.png").stat().st_size > 5_000
    stars = Table.read(out / "stars_binary.ecsv")
    assert stars["n_spectra"].sum() == 3  # the three LRS files
    assert "rejected" in set(Table.read(out / "catalog_be.ecsv")["status"])


@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_rows_out_equal_spectra_in_for_any_files_and_chunk_size(models, inputs, data):
    folder, _ = inputs
    files = sorted(folder.iterdir())
    chosen = data.draw(
        st.lists(st.sampled_from(files), min_size=1, max_size=5, unique=True)
    )
    chunk_size = data.draw(st.integers(1, 4))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "c.ecsv"
        assert _predict(models["binary"], chosen, out, "--chunk-size",
                        str(chunk_size)) == 0  # fmt: skip
        table = Table.read(out)
    expected = 0
    for path in chosen:
        try:
            expected += len(read_lamost_file(path))
        except LamostReadError:
            expected += 1
    assert len(table) == expected
    assert set(table["file"]) == set(map(str, chosen))


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["predict", "MODEL", "IN", "-o", "c.ecsv", "--chunk-size", "0"],
         "--chunk-size"),
        (["train", "binary", "-o", "m.skstellar", "--spectra", "IN"], "--labels"),
        (["evaluate", "MODEL", "--n-samples", "2"], "n_samples"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2_naming_the_option(
    models, inputs, tmp_path, capsys, argv, named
):
    folder, _ = inputs
    argv = [{"MODEL": str(models["binary"]), "IN": str(folder)}.get(a, a) for a in argv]
    argv = [str(tmp_path / a) if a.endswith((".ecsv", ".skstellar")) else a
            for a in argv]  # fmt: skip
    assert main(argv) == 2
    assert named in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_train_domain_then_predict_flags_galaxies_and_m_dwarfs(tmp_path, data_home):
    """`train --domain`: the model carries its guard; predict keeps every
    spectrum, out-of-domain ones with the reason and no probability."""
    from sklearn_stellar.io import read_lamost

    model = tmp_path / "binary_domain.skstellar"
    argv = ["train", "binary", "--n-samples", "60", "--epochs", "1", "--small",
            "--domain", "--output", str(model)]  # fmt: skip
    assert main(argv) == 0
    plan = data_home / "lamost" / "lrs" / "dr7_plan_HD103621N361936B01"
    spectra = list(read_lamost(plan, errors="report"))
    odd = [
        s.meta["filename"]
        for s in spectra
        if s.meta["class"] == "GALAXY" or str(s.meta["subclass"]).startswith("dM")
    ]
    out = tmp_path / "catalog.ecsv"
    assert _predict(model, odd[:6], out) == 0
    table = Table.read(out)
    assert len(table) == len(odd[:6])
    assert set(table["status"]) == {"out_of_domain"}
    assert all(r.startswith("header ") for r in table["reason"])
    assert np.all(np.isnan(np.asarray(table["probability"], dtype=float)))
