"""The ``sklearn-stellar demo`` command on the real LAMOST files."""

import shutil

import numpy as np
from astropy.table import Table

from sklearn_stellar.cli import main
from sklearn_stellar.io import read_lamost


def _real_lrs_files(data_home, n=4):
    folder = data_home / "lamost" / "lrs" / "dr7_plan_HD103621N361936B01"
    return sorted(folder.glob("*.fits"))[:n]


def test_demo_accounts_for_every_spectrum_and_writes_table_and_figure(
    tmp_path, data_home
):
    mrs = data_home / "lamost" / "mrs"
    lrs = _real_lrs_files(data_home)
    out = tmp_path / "out"
    status = main(["demo", *map(str, lrs), str(mrs), "--output", str(out)])
    assert status == 0
    table = Table.read(out / "demo_spectra.ecsv")
    n_expected = len(read_lamost([*lrs, *sorted(mrs.glob("*.fits*"))]))
    assert len(table) == n_expected
    assert set(table["group"]) == {"LRS", "MRS-B", "MRS-R"}
    normalized = table["status"] == "normalized"
    assert normalized.sum() >= n_expected - 2
    # Normalised flux sits around the continuum, not around the raw counts
    # (noise-dominated exposures, S/N < 10, are left out of this check).
    good = normalized & (table["snr"] >= 10)
    assert good.sum() >= 50
    assert np.all(np.abs(table["median_normalized_flux"][good] - 1) < 0.1)
    assert (out / "demo_normalization.png").stat().st_size > 10_000


def test_demo_reports_an_unreadable_file_instead_of_dropping_it(tmp_path, data_home):
    folder = tmp_path / "in"
    folder.mkdir()
    for path in _real_lrs_files(data_home, n=2):
        shutil.copy(path, folder)
    (folder / "broken.fits").write_bytes(b"SIMPLE  =  this is not FITS")
    out = tmp_path / "out"
    assert main(["demo", str(folder), "--output", str(out), "--no-figure"]) == 0
    table = Table.read(out / "demo_spectra.ecsv")
    assert len(table) == 3
    broken = table[table["filename"] == "broken.fits"]
    assert list(broken["status"]) == ["failed"]
    assert broken["reason"][0]


def test_demo_on_missing_input_exits_with_a_clear_error(tmp_path, capsys):
    missing = tmp_path / "nowhere.fits"
    status = main(
        ["demo", str(missing), "--output", str(tmp_path / "out"), "--no-figure"]
    )
    assert status == 2
    assert "nowhere.fits" in capsys.readouterr().err
