"""The README's two commands are the project's promises: keep them true."""

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text):
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_readme_has_main_and_test_commands_installing_cpu_torch_first():
    blocks = _bash_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 2
    for command in blocks[:2]:
        assert command.index("pip install torch==2.13.0") < command.index(
            "pip install -e"
        )
    assert "sklearn-stellar demo" in blocks[0]
    assert "pytest" in blocks[1]


def _ci_commands():
    """The commands of ``.ci/run`` (not comments, ``set`` or ``cd``)."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [
        line.strip()
        for line in lines
        if line.strip() and not line.lstrip().startswith(("#", "set ", "cd "))
    ]
    return commands


def test_ci_runs_the_readme_test_command():
    test_command = _bash_blocks((ROOT / "README.md").read_text())[1].strip()
    # The tests come first; the docs build (sphinx -W, running the gallery)
    # is the only other step.
    first, *rest = _ci_commands()
    assert first == test_command
    assert all("sphinx-build -W" in command for command in rest), rest


def _sklearn_stellar_argv(command):
    """The arguments after ``sklearn-stellar`` in a shell command line."""
    words = shlex.split(command.split("&&")[-1])
    assert words[0] == "sklearn-stellar", command
    return words[1:]


def test_readme_command_lines_parse_with_the_real_parser():
    from sklearn_stellar.cli._main import build_parser

    text = (ROOT / "README.md").read_text()
    (block,) = re.findall(r"```console\n(.*?)\n```", text, flags=re.S)
    lines = [_bash_blocks(text)[0], *block.splitlines()]
    commands = set()
    for line in lines:
        args = build_parser().parse_args(_sklearn_stellar_argv(line))
        commands.add(args.command)
    assert commands == {"demo", "train", "predict", "evaluate"}


# The README's Be example at test size: each key must occur once in the block
# (so an edit of the README shows up here), the rest runs exactly as written.
# channels_last=False: width < 8 with channels_last crashes on this AMD CPU.
_BE_EXAMPLE_TINY = {
    "n_samples=2000": "n_samples=60",
    "make_be_pipeline(data.wavelength, random_state=0)": (
        "make_be_pipeline(data.wavelength, random_state=0, image_size=32, width=4, "
        "max_epochs=1, batch_size=16, channels_last=False)"
    ),
}


def test_readme_be_example_runs_on_the_default_training_data(capsys):
    blocks = re.findall(
        r"```python\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S
    )
    (code,) = [b for b in blocks if "make_be_pipeline" in b]
    assert "make_be_spectra(n_samples=2000, random_state=0)" in code  # defaults
    for old, new in _BE_EXAMPLE_TINY.items():
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    n_test = int((~namespace["train"]).sum())
    assert namespace["p_be"].shape == (n_test,)
    assert set(namespace["report"].status) <= {"ok", "rejected", "out_of_domain"}
    assert "['ok'" in capsys.readouterr().out
