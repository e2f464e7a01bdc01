"""`vae-explorer`, the one command line (ui/cli.py): the installed console script lists every command, each
command's --help is its module's own parser with an example, an unknown command exits 2 naming the commands,
commands really run, and nothing a user reads still spells the old `python -m vae.…` / `python -m ui.…`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.card_samples import sample_card
from tests.conftest import MODELS_DIR, REPO
from ui import cli
from vae.core.checkpoint import save_model

SCRIPT = Path(sys.executable).parent / "vae-explorer"  # what `pip install -e .` (scripts/setup.sh) writes
EXPECTED = [
    "serve",
    "train",
    "evaluate",
    "atlas",
    "replay",
    "density",
    "attributes",
    "quality",
    "export",
    "gan",
    "zoo",
    "slides",
    "data",
    "share",
]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    assert SCRIPT.exists(), f"{SCRIPT} missing: install the package (.venv/bin/pip install -e . --no-deps)"
    return subprocess.run([str(SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_the_console_script_is_the_cli():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"vae-explorer": "ui.cli:main"}
    assert "from ui.cli import main" in SCRIPT.read_text()  # installed from this pyproject, not an older one


def test_help_lists_every_command_with_its_summary():
    done = run("--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: vae-explorer <command> [options]")
    listed = re.findall(r"^  (\w+)  +(\S.*)$", done.stdout, re.M)
    assert [name for name, _ in listed] == EXPECTED == [c.name for c in cli.COMMANDS]
    assert dict(listed) == {c.name: c.summary for c in cli.COMMANDS}
    assert "-m vae.training" in done.stdout  # the torchrun form, documented where the commands are
    assert run("help").stdout == done.stdout == run("-h").stdout


@pytest.mark.parametrize("command", EXPECTED)
def test_every_command_has_its_own_help_with_an_example(command, capsys):
    """In-process (one torch import for all twelve): `vae-explorer <command> --help` is the module's parser,
    named `vae-explorer <command>`, with an examples section whose first line runs that command."""
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: vae-explorer {command} ")
    examples = out[out.index("\nexamples:\n") :].splitlines()[2:]
    assert examples and examples[0].startswith(f"  vae-explorer {command}")
    with pytest.raises(SystemExit):
        cli.main(["help", command])
    assert capsys.readouterr().out == out


def test_a_command_help_through_the_console_script():
    done = run("zoo", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: vae-explorer zoo ")
    assert "\n  vae-explorer zoo --markdown " in done.stdout


def test_the_slides_command_says_nothing_about_streamlit():
    """The deck's command imports the lesson's page code (st.cache_*) with no server running: Streamlit's
    "No runtime found" warnings are not for the person exporting slides."""
    done = run("slides", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: vae-explorer slides ")
    assert done.stderr == ""


def test_an_unknown_command_exits_2_with_the_list_of_commands():
    done = run("trian", "--epochs", "3")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("vae-explorer: unknown command 'trian' (did you mean 'train'?)")
    assert f"commands: {', '.join(EXPECTED)}" in done.stderr
    bare = run()
    assert bare.returncode == 2 and "commands:" in bare.stderr and all(f"  {c}  " in bare.stderr for c in EXPECTED)


def test_help_and_routing_import_nothing_a_command_does_not_need():
    """`--help` loads neither torch nor streamlit; the model package's commands never load streamlit."""
    probe = """
import sys
from ui import cli
cli.main(["--help"])
first = sorted(m for m in ("torch", "streamlit") if m in sys.modules)
for c in cli.COMMANDS:
    if c.module.startswith("vae."):
        try:
            cli.main([c.name, "--help"])
        except SystemExit:
            pass
print(first, "streamlit" in sys.modules, "torch" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[] False True"


def test_zoo_prints_the_shipped_models():
    from vae.analysis.zoo import scan, table

    shipped = sorted(p.parent.name for p in MODELS_DIR.glob("*/model.safetensors"))
    assert len(shipped) >= 2
    done = run("zoo")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip("\n") == table(scan(MODELS_DIR))
    first_column = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    assert sorted(first_column) == shipped


def test_evaluate_runs_a_tiny_model_end_to_end(real_root, tiny_mnist, tmp_path):
    """`vae-explorer evaluate --write-card` on a model folder: the fresh figures printed and stored in its card."""
    from vae.core.checkpoint import load_card

    old = sample_card(latent_dim=3, name="tiny")
    folder = save_model(tiny_mnist, tmp_path / "tiny", card=old)
    done = run("evaluate", str(folder), "--write-card", timeout=300)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["model"] == "tiny" and figures["num_images"] == 10000
    stored = load_card(folder).test.to_dict()
    assert stored["neg_elbo_nats"] != old.test.neg_elbo_nats and stored["num_images"] == 10000
    assert {k: figures[k] for k in ("recon_nats", "kl_nats", "neg_elbo_nats", "psnr_db")} == {
        k: stored[k] for k in ("recon_nats", "kl_nats", "neg_elbo_nats", "psnr_db")
    }
    missing = run("evaluate", str(tmp_path / "nothing-here"))
    assert missing.returncode == 1 and "error:" in missing.stderr


def test_ctrl_c_in_a_command_exits_130_with_one_line(monkeypatch, capsys):
    import vae.analysis.zoo

    def interrupted(argv):
        raise KeyboardInterrupt

    monkeypatch.setattr(vae.analysis.zoo, "main", interrupted)
    assert cli.main(["zoo"]) == 130
    assert capsys.readouterr().err == "vae-explorer zoo: interrupted\n"


# ---- no old spelling where a user reads it --------------------------------------------------------------
# `-m vae.training` is the one module form left: torchrun starts a module (vae/training/__main__.py).
OLD_SPELLING = re.compile(r"""-m(?:\s+|["']\s*,\s*["'])((?:vae|ui)\b(?:\.\w+)*)""")
ALLOWED_MODULES = {"vae.training"}


def old_spellings(text: str) -> list[str]:
    """Every `-m vae…` / `-m ui…` in `text` (also as a subprocess list, `"-m", "vae…"`), but `-m vae.training`."""
    return [m.group(0) for m in OLD_SPELLING.finditer(text) if m.group(1) not in ALLOWED_MODULES]


def test_the_old_spelling_is_found_and_the_torchrun_form_is_not():
    found = old_spellings(
        'python -m vae.artifacts.atlas models/x\n.venv/bin/python -m ui.serve.launcher\n[python, "-m", "vae.training.train"]\n'
        "torchrun --nproc_per_node=2 -m vae.training.train\n`python -m\nvae.analysis.zoo`"
    )
    assert found == [
        "-m vae.artifacts.atlas",
        "-m ui.serve.launcher",
        '-m", "vae.training.train',
        "-m vae.training.train",
        "-m\nvae.analysis.zoo",
    ]
    assert old_spellings("torchrun --standalone --nproc_per_node=2 -m vae.training --dataset mnist") == []
    assert old_spellings("python -m benchmarks.lecture_hall; python -m harness.clipping; -m pytest") == []


def user_facing_files() -> list[Path]:
    files = [REPO / "README.md", REPO / "benchmarks" / "README.md", REPO / "dashboard.py"]
    files += sorted((REPO / "scripts").glob("*.sh")) + sorted(p for p in (REPO / "deploy").rglob("*") if p.is_file())
    for folder in ("vae", "ui", "pages"):
        files += sorted((REPO / folder).rglob("*.py"))
    files += sorted((REPO / "assets" / "i18n").rglob("*.json")) + sorted((REPO / "notebooks").glob("*.ipynb"))
    return files


def test_no_file_a_user_reads_spells_python_m_vae_or_ui():
    files = user_facing_files()
    assert {"launcher.py", "train.py", "replica.conf.template", "vae-explorer@.service", "core.json"} <= {p.name for p in files}
    offending = {str(p.relative_to(REPO)): found for p in files if (found := old_spellings(p.read_text()))}
    assert offending == {}


def test_the_readme_names_every_command():
    readme = (REPO / "README.md").read_text()
    assert [c for c in EXPECTED if f"| `{c}` |" not in readme] == []


def test_the_replicas_run_the_venvs_console_script():
    """supervisord's replica template, with the names scripts/serve_replicas.sh renders it with, and the
    systemd unit start `<venv>/bin/vae-explorer serve`."""
    template = (REPO / "deploy" / "supervisor" / "replica.conf.template").read_text()
    script = (REPO / "scripts" / "serve_replicas.sh").read_text()
    rendered_with = set(re.search(r"envsubst '([^']*)' \\\n\s*<deploy/supervisor/replica.conf.template", script).group(1).split())
    assert set(re.findall(r"\$\{\w+\}", template)) <= rendered_with
    command = re.search(r"^command=(.*)$", template, re.M).group(1).split()
    assert command[:2] == ["${VENV}/bin/vae-explorer", "serve"]
    assert Path(command[0].replace("${VENV}", str(REPO / ".venv"))).exists()
    unit = (REPO / "deploy" / "systemd" / "vae-explorer@.service").read_text()
    assert re.search(r"^ExecStart=/srv/vae-latent-explorer/\.venv/bin/vae-explorer serve --server\.port %i ", unit, re.M)


def test_share_refuses_an_unknown_model_with_exit_2_and_the_models_there_are(tmp_path):
    """`vae-explorer share` (ui/serve/share.py) through the console script: bad input is a clear message and
    exit 2, with nothing of Streamlit's "no runtime" warnings; the edition itself is tested in test_edition.py."""
    done = run("share", "--model", "mnist-z17", "--out", str(tmp_path / "edition"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("vae-explorer share: unknown model 'mnist-z17' in ") and "mnist-z16" in done.stderr
    assert "ScriptRunContext" not in done.stderr and not (tmp_path / "edition").exists()
