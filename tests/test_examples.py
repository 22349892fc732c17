"""The gallery scripts (examples/**/plot_*.py) run to the end and draw a figure.

Each example trains small networks, so together they take a few minutes: they
run only when ``SKLEARN_STELLAR_RUN_EXAMPLES=1`` is set. The docs build runs
them too, through sphinx-gallery; this test is for a checkout without Sphinx.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*/plot_*.py"))
RUN = os.environ.get("SKLEARN_STELLAR_RUN_EXAMPLES") == "1"

# Runs the script as __main__, then fails unless it left a figure with axes.
_DRIVER = """
import runpy, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
runpy.run_path(sys.argv[1], run_name="__main__")
figures = [plt.figure(n) for n in plt.get_fignums()]
if not any(fig.axes for fig in figures):
    sys.exit("the example drew no figure")
"""


def test_gallery_layout():
    """Every gallery folder has a README.txt title and plot_ scripts with a header."""
    assert len(EXAMPLES) >= 9, [p.name for p in EXAMPLES]
    assert (ROOT / "examples" / "README.txt").is_file()
    for folder in {p.parent for p in EXAMPLES}:
        title, underline = (folder / "README.txt").read_text().splitlines()[:2]
        assert title and set(underline) == {"="} and len(underline) >= len(title)
    for path in EXAMPLES:
        text = path.read_text()
        assert text.startswith('"""\n'), path.name
        title, underline = text.split("\n")[1:3]
        assert set(underline) == {"="} and len(underline) >= len(title), path.name
        assert "# %%" in text, path.name


@pytest.mark.skipif(not RUN, reason="set SKLEARN_STELLAR_RUN_EXAMPLES=1 to run")
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_runs(path, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
