"""The README's two commands are the project's promises: keep them true."""

import re
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


def test_ci_runs_the_readme_test_command():
    test_command = _bash_blocks((ROOT / "README.md").read_text())[1].strip()
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines
