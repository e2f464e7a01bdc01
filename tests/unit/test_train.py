"""Training smoke runs on tiny configs over a slice of real MNIST: checkpoint, card, resume, errors."""

import json
import os
import stat
from pathlib import Path

import pytest

from vae import load_card, load_model
from vae.core.card import EpochRecord
from vae.training.settings import TrainSettings
from vae.training.train import TrainingError, build_parser, main, resume_dir, train

TINY = ["--dataset", "mnist", "--latent-dim", "2", "--channels", "4", "8", "--batch-size", "64", "--train-limit", "512",
        "--test-limit", "128", "--iw-samples", "8", "--iw-images", "4", "--threads", "2"]  # fmt: skip


def settings(*argv: str) -> TrainSettings:
    """What main() trains from: the parsed command line as typed settings."""
    return TrainSettings(**vars(build_parser().parse_args(argv)))


CARD_KEYS = {
    "dataset",
    "latent_dim",
    "beta",
    "epochs",
    "device",
    "training_seconds",
    "parameter_count",
    "test",
    "kl_per_dim_nats",
    "active_units",
    "history",
}
TEST_KEYS = {"recon_nats", "kl_nats", "neg_elbo_nats", "mse_per_pixel", "psnr_db", "iw_bound_nats"}


def test_training_writes_loadable_checkpoint_with_card(real_root, tmp_path):
    out = tmp_path / "models" / "tiny"
    assert main([*TINY, "--epochs", "2", "--out", str(out)]) == 0
    model = load_model(out)
    assert model.config.latent_dim == 2 and model.config.channels == [4, 8]
    data = json.loads((out / "card.json").read_text())
    assert CARD_KEYS <= set(data) and TEST_KEYS <= set(data["test"])
    assert {"train_recon_nats", "train_kl_nats", "test_recon_nats", "test_kl_nats"} <= set(data["history"][0])
    card = load_card(out)
    assert card.to_dict() == data and data["schema_version"] == card.schema_version
    assert card.name == "tiny" and card.epochs == 2 and card.batch_size == 64 and card.train_images == 512
    assert card.latent_dim == 2 and card.likelihood == "bernoulli" and card.likelihood_sigma is None
    assert card.test.num_images == 128 and card.test.iw_samples == 8 and card.test.iw_images == 4
    assert [row.epoch for row in card.history] == [1, 2]
    assert card.test.neg_elbo_nats == pytest.approx(card.test.recon_nats + card.test.kl_nats)
    assert len(card.kl_per_dim_nats) == 2 and len(card.unit_activity) == 2
    # it learned something: better than the first epoch's test bound
    assert card.history[-1].test_neg_elbo_nats < card.history[0].test_neg_elbo_nats + 1
    assert not resume_dir(out).exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny"]  # no temporary leftovers


def test_resume_continues_from_last_complete_epoch(real_root, tmp_path, monkeypatch):
    out = tmp_path / "tiny"
    run = settings(*TINY, "--epochs", "3", "--out", str(out))
    # Interrupt after epoch 2 by failing the 3rd epoch
    import vae.training.train as vt

    real_run_epoch = vt.run_epoch

    def interrupted(model, optimizer, x_train, epoch, *rest, **options):
        if epoch == 2:
            raise KeyboardInterrupt
        return real_run_epoch(model, optimizer, x_train, epoch, *rest, **options)

    monkeypatch.setattr(vt, "run_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        train(run)
    assert not out.exists()  # no half-written model folder
    state = json.loads((resume_dir(out) / "state.json").read_text())
    assert state["epoch"] == 2
    monkeypatch.setattr(vt, "run_epoch", real_run_epoch)
    assert main([*TINY, "--epochs", "3", "--out", str(out), "--resume"]) == 0
    card = load_card(out)
    assert [r.epoch for r in card.history] == [1, 2, 3]
    assert card.history[:2] == [EpochRecord(**row) for row in state["history"]]


def test_settings_hold_every_option_of_the_command_line():
    run = settings("--dataset", "celeba", "--out", "models/x", "--channels", "8", "16", "--resume")
    assert run.dataset == "celeba" and run.out == Path("models/x") and run.channels == [8, 16] and run.resume
    assert run.epochs == 20 and run.batch_size == 128 and run.lr == 2e-3 and run.likelihood is None and run.device == "auto"


def test_resume_without_state_is_a_clear_error(real_root, tmp_path, capsys):
    assert main([*TINY, "--epochs", "1", "--out", str(tmp_path / "x"), "--resume"]) == 1
    assert "no resume state" in capsys.readouterr().err


def test_nan_loss_stops_with_clear_message(real_root, tmp_path, monkeypatch, capsys):
    import torch

    from vae.core.model import VAE

    monkeypatch.setattr(VAE, "recon_nats", lambda self, x, logits: torch.full((len(x),), float("nan")))
    assert main([*TINY, "--epochs", "1", "--out", str(tmp_path / "nan")]) == 1
    err = capsys.readouterr().err
    assert "loss became nan" in err and "--lr" in err
    assert not (tmp_path / "nan").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_fails_before_training(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    with pytest.raises(TrainingError, match="cannot write"):
        train(settings(*TINY, "--epochs", "1", "--out", str(locked / "m")))


def test_output_under_a_file_fails_before_training(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main([*TINY, "--epochs", "1", "--out", str(blocker / "m")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_sigkill_mid_epoch_then_resume(real_root, tmp_path):
    """A training process killed with SIGKILL mid-epoch leaves no model folder; --resume continues
    from the last complete epoch and finishes with a loadable model."""
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    out = tmp_path / "killed"
    args = [sys.executable, "-m", "vae.training.train", *TINY, "--train-limit", "3072", "--epochs", "4", "--out", str(out)]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_file = resume_dir(out) / "state.json"
    deadline = time.time() + 120
    while not state_file.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert state_file.exists(), "no resume state written after the first epoch"
    time.sleep(0.3)  # into the second epoch
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert not out.exists()  # never a half-written model folder
    done = json.loads(state_file.read_text())["epoch"]
    assert 1 <= done < 4
    assert main([*TINY, "--train-limit", "3072", "--epochs", "4", "--out", str(out), "--resume"]) == 0
    card = load_card(out)
    assert [r.epoch for r in card.history] == [1, 2, 3, 4]
    assert load_model(out).config.latent_dim == 2
    assert card.history[-1].test_neg_elbo_nats < card.history[0].test_neg_elbo_nats


def test_full_disk_fails_before_training(tmp_path, monkeypatch):
    import shutil as shutil_module
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(TrainingError, match="not enough disk space"):
        train(settings(*TINY, "--epochs", "1", "--out", str(tmp_path / "m")))
    assert not (tmp_path / "m").exists()


def test_ctrl_c_in_a_subprocess_prints_the_resume_hint_and_exits_130(real_root, tmp_path):
    """SIGINT after the first epoch's resume state is written: exit status 130, no traceback, and a
    message naming the saved epoch and the exact command line that continues the run."""
    import shlex
    import signal
    import subprocess
    import sys
    import time

    from tests.conftest import REPO, with_ctrl_c

    out = tmp_path / "run dir" / "ctrl-c"  # a space, so the printed command must quote it
    argv = [*TINY, "--train-limit", "1024", "--epochs", "20", "--out", str(out)]
    state_file = resume_dir(out) / "state.json"
    cli = Path(sys.executable).parent / "vae-explorer"  # the console script, as a user runs it
    with open(tmp_path / "stderr.txt", "w") as err_file:  # a file, not a pipe: a full pipe would block the child
        proc = subprocess.Popen(
            [str(cli), "train", *argv],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err_file,
            preexec_fn=with_ctrl_c,
        )
        deadline = time.time() + 120
        while not state_file.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert state_file.exists(), "no resume state written after the first epoch"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 130
    err = (tmp_path / "stderr.txt").read_text()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    saved = json.loads(state_file.read_text())["epoch"]
    assert 1 <= saved < 20 and not out.exists()
    message = err[err.index("interrupted") :].splitlines()
    assert message[0].startswith(f"interrupted during epoch {saved + 1} of 20; epoch {saved} (the last complete one) is saved in")
    assert str(resume_dir(out)) in message[0]
    prefix = "continue with: "
    assert message[1].startswith(prefix) and len(message) == 2
    command = shlex.split(message[1][len(prefix) :])
    assert os.path.normpath(os.path.join(REPO, command[0])) == os.path.normpath(cli)
    assert command[1:] == ["train", *argv, "--resume"]


def test_resume_command_names_the_console_script_beside_the_interpreter(tmp_path, monkeypatch):
    """Relative to the working directory below it, absolute outside it; without a console script (the package
    not installed), the training package run as a module."""
    import shlex
    import sys

    from vae.training.resume import resume_command

    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.chdir(tmp_path)
    argv = ["--dataset", "mnist", "--out", "my models/x"]
    assert shlex.split(resume_command(argv)) == [str(bin_dir / "python"), "-m", "vae.training", *argv, "--resume"]
    (bin_dir / "vae-explorer").touch()
    assert shlex.split(resume_command(argv)) == ["venv/bin/vae-explorer", "train", *argv, "--resume"]
    assert shlex.split(resume_command([*argv, "--resume"])) == ["venv/bin/vae-explorer", "train", *argv, "--resume"]
    monkeypatch.chdir(bin_dir)  # a bare name would be looked up on PATH
    assert shlex.split(resume_command(argv))[0] == str(bin_dir / "vae-explorer")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert shlex.split(resume_command(argv))[0] == str(bin_dir / "vae-explorer")


def test_ctrl_c_before_the_first_epoch_finished_says_nothing_was_saved(real_root, tmp_path, monkeypatch, capsys):
    import vae.training.train as vt

    def interrupted(*args, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(vt, "run_epoch", interrupted)
    out = tmp_path / "early"
    assert main([*TINY, "--epochs", "2", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "interrupted before the first epoch finished: nothing was saved" in err and "--resume" not in err
    assert not out.exists() and not resume_dir(out).exists()


def test_ctrl_c_during_the_final_evaluation_resumes_straight_to_the_evaluation(real_root, tmp_path, monkeypatch, capsys):
    import vae.training.train as vt

    real_evaluate = vt.evaluate

    def interrupted_final(model, x, iw_samples=0, **kwargs):
        if iw_samples:  # only the final evaluation computes the IW bound
            raise KeyboardInterrupt
        return real_evaluate(model, x, iw_samples=iw_samples, **kwargs)

    monkeypatch.setattr(vt, "evaluate", interrupted_final)
    out = tmp_path / "final"
    argv = [*TINY, "--epochs", "2", "--out", str(out)]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert f"interrupted during the final evaluation; all 2 epochs are saved in {resume_dir(out)}" in err
    assert "rerun with --resume to skip straight to the evaluation: " in err
    assert err.rstrip().endswith(" --resume") and not out.exists()

    def no_training(*args):
        raise AssertionError("--resume after the last epoch must not train again")

    monkeypatch.setattr(vt, "evaluate", real_evaluate)
    monkeypatch.setattr(vt, "run_epoch", no_training)
    assert main([*argv, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "IW bound, k=8" in err and "4/4" in err  # the final IW evaluation shows its progress
    assert [r.epoch for r in load_card(out).history] == [1, 2]
