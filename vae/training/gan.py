"""From VAE to GAN: fine-tune a CelebA VAE's decoder as a GAN's generator, and measure whether it helps.

    vae-explorer gan models/celeba-z64 --minutes 25 [--save]

The VAE's decoder already maps codes to images, which is what a GAN's generator does; what a GAN
adds is a discriminator, a second network trained to tell real images from generated ones, whose
verdict the generator learns to fool. Here the encoder is frozen (so a code still means the same
face), a small discriminator (spectral-normalised convolutions, hinge loss) is trained against the
decoder, and the decoder is trained on

    mean squared reconstruction error of the training images (the code keeps its meaning)
    + λ · the discriminator's hinge loss on reconstructions and on samples of the learned density.

The encoder and the discriminator are different animals: the encoder maps an image to a
distribution over codes (inference: "which code made this face?"), the discriminator maps an image
to one number (criticism: "is this face real?"); only the second is needed to train a GAN, only the
first makes a VAE an autoencoder.

The result is measured as the sample-quality benchmark measures a model (vae.artifacts.quality: Fréchet
distance to the real test split in the CelebA feature network's features; reconstructions, prior
and learned-density samples) and by test PSNR, for the plain and the fine-tuned decoder on the same
codes; both are printed and written to --report (JSON). With --save, the fine-tuned decoder is stored
beside the model as adversarial_decoder.safetensors (the decoder's float16 weights only, 1.9 MB for
celeba-z64: the encoder is the model's own; the figures in its metadata; refused when the model is
retrained), which the dashboard offers as the model's second decoder (`load_adversarial`).
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from vae.artifacts.density import LearnedDensity, load_density
from vae.artifacts.quality import FeatureNet, frechet_distance, load_feature_net
from vae.core.checkpoint import ADVERSARIAL_FILE, WEIGHTS_FILE, CheckpointError, load_model
from vae.core.derived import file_sha256, read_derived, refuse_other_weights
from vae.core.latent import decode, encode, prior_samples
from vae.core.model import VAE
from vae.data.command_line import command_parser
from vae.data.datasets import load_split, to_tensor

EXAMPLES = (
    "vae-explorer gan models/celeba-z64 --minutes 2                  # a short try: figures printed, nothing stored",
    "vae-explorer gan models/celeba-z64 --minutes 25 --save --report gan.json",
)

DECODER_PARTS = ("from_latent.", "decoder.")  # the state-dict keys of the decoder


class Discriminator(nn.Module):
    """64×64 RGB → one real/fake score; spectral-normalised convolutions (Miyato et al., 2018)."""

    def __init__(self, width: int = 32):
        super().__init__()
        chans = [3, width, 2 * width, 4 * width, 8 * width]
        layers: list[nn.Module] = []
        for a, b in zip(chans[:-1], chans[1:]):
            layers += [spectral_norm(nn.Conv2d(a, b, 4, 2, 1)), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers, nn.Flatten(), spectral_norm(nn.Linear(chans[-1] * 16, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x * 2 - 1).squeeze(1)


def psnr_db(model: VAE, x: torch.Tensor) -> float:
    with torch.inference_mode():
        mse = torch.cat(
            [((model.decode(model.encode(x[i : i + 256]).mean) - x[i : i + 256]) ** 2).flatten(1).mean(1) for i in range(0, len(x), 256)]
        )
    return float((10 * torch.log10(1 / mse)).mean())


def quality(model: VAE, images: np.ndarray, density: LearnedDensity, net: FeatureNet, seed: int = 0) -> dict:
    """FD of reconstructions, prior samples and learned-density samples to `images`, and test PSNR."""
    real = net.features(images)
    n = len(images)
    mu = np.concatenate([encode(model, images[i : i + 500])[0] for i in range(0, n, 500)])
    out = {}
    for name, codes in (
        ("reconstructions", mu),
        ("prior", prior_samples(model.config.latent_dim, n, seed)),
        ("learned", density.sample(n, seed)),
    ):
        fake = np.concatenate([decode(model, codes[i : i + 500]) for i in range(0, n, 500)])
        out[name] = round(frechet_distance(real, net.features(fake)), 3)
    return {"fd": out, "psnr_db": round(psnr_db(model, to_tensor(images)), 3)}


def fine_tune(
    model_dir: Path,
    minutes: float,
    weight: float,
    seed: int = 0,
    log: Callable[[str], object] = print,
    *,
    features: FeatureNet | None = None,
    feature_weight: float = 0.0,
) -> tuple[VAE, list[dict[str, float]]]:
    """The model with its decoder fine-tuned adversarially for about `minutes`; → (model, history). With
    `features` (the project's CelebA feature network) and a feature_weight > 0, a feature-matching term
    too: the mean squared difference of the reconstruction's and the photo's penultimate features."""
    torch.manual_seed(seed)
    model, density = load_model(model_dir), load_density(model_dir)
    for p in model.parameters():  # the encoder stays as it is: a code keeps meaning the same face
        p.requires_grad_(False)
    decoder_params = [*model.from_latent.parameters(), *model.decoder.parameters()]
    for p in decoder_params:
        p.requires_grad_(True)
    disc = Discriminator()
    opt_g = torch.optim.Adam(decoder_params, lr=1e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    images, _ = load_split("celeba", "train")
    rng = np.random.default_rng(seed)
    t0, step, history = time.perf_counter(), 0, []
    while time.perf_counter() - t0 < 60 * minutes:
        rows = np.sort(rng.choice(len(images), 64, replace=False))
        x = to_tensor(images[rows])
        flip = torch.rand(len(x)) < 0.5
        x[flip] = x[flip].flip(-1)
        with torch.no_grad():
            mu = model.encode(x).mean
            z = torch.from_numpy(density.sample(64, seed=int(rng.integers(2**31))))
        recon, fake = model.decode(mu), model.decode(z)
        # the discriminator: real training images against reconstructions and samples (hinge)
        d_loss = F.relu(1 - disc(x)).mean() + 0.5 * (F.relu(1 + disc(recon.detach())).mean() + F.relu(1 + disc(fake.detach())).mean())
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        # the generator (the decoder): keep reconstructing, and fool the discriminator
        g_loss, mse, adversarial = _generator_loss(x, recon, fake, disc, weight, features=features, feature_weight=feature_weight)
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        step += 1
        if step % 100 == 0:
            row = {
                "step": step,
                "seconds": round(time.perf_counter() - t0),
                "mse": float(mse.detach()),
                "d_loss": float(d_loss.detach()),
                "adversarial": float(adversarial.detach()),
            }
            history.append(row)
            log(
                f"  step {step}: reconstruction MSE {row['mse']:.5f} (PSNR {-10 * math.log10(row['mse']):.2f} dB), discriminator {row['d_loss']:.3f}, adversarial {row['adversarial']:.3f} ({row['seconds']} s)"
            )
    return model.eval(), history


def _generator_loss(
    x: torch.Tensor,
    recon: torch.Tensor,
    fake: torch.Tensor,
    disc: nn.Module,
    weight: float,
    *,
    features: FeatureNet | None,
    feature_weight: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The decoder's loss: keep reconstructing (MSE), fool the discriminator (weight λ), and optionally match
    the photo's features in the CelebA feature network → (loss, mse, adversarial term)."""
    mse = F.mse_loss(recon, x)
    adversarial = -0.5 * (disc(recon).mean() + disc(fake).mean())
    loss = mse + weight * adversarial
    if features is not None and feature_weight > 0:
        with torch.no_grad():
            target = features.body(x)
        loss = loss + feature_weight * F.mse_loss(features.body(recon), target)
    return loss, mse, adversarial


def main(argv: list[str] | None = None) -> int:
    p = command_parser("gan", __doc__, EXAMPLES)
    p.add_argument("model_dir", type=Path)
    p.add_argument("--minutes", type=float, default=25.0)
    p.add_argument("--weight", type=float, default=0.02, help="λ, the adversarial term's weight against the per-pixel MSE")
    p.add_argument("--save", action="store_true", help=f"store the fine-tuned decoder beside the model ({ADVERSARIAL_FILE})")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--report", type=Path, help="also write the figures here (JSON)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--feature-weight",
        type=float,
        default=0.0,
        help="weight of a feature-matching term in the CelebA feature network's features (0: none)",
    )
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    plain = load_model(args.model_dir)
    if plain.config.dataset != "celeba":
        print("error: the adversarial fine-tuning is for CelebA models", file=sys.stderr)
        return 2
    net, _ = load_feature_net("celeba")
    test, _ = load_split("celeba", "test")
    density = load_density(args.model_dir)
    print(f"{args.model_dir.name}: fine-tuning the decoder adversarially for {args.minutes:g} min (λ = {args.weight:g})", flush=True)
    if args.feature_weight > 0:
        net.eval()
        for q in net.parameters():
            q.requires_grad_(False)
    tuned, history = fine_tune(
        args.model_dir,
        args.minutes,
        args.weight,
        args.seed,
        log=lambda s: print(s, flush=True),
        features=net if args.feature_weight > 0 else None,
        feature_weight=args.feature_weight,
    )
    tuned.load_state_dict({k: v.half().float() for k, v in tuned.state_dict().items()})  # what ships: float16
    report = {
        "model": args.model_dir.name,
        "minutes": args.minutes,
        "weight": args.weight,
        "feature_weight": args.feature_weight,
        "history": history,
    }
    for name, model in (("plain", plain), ("adversarial", tuned)):
        report[name] = quality(model, test, density, net, args.seed)
        print(f"{name:>12}: PSNR {report[name]['psnr_db']:.2f} dB, FD {report[name]['fd']}", flush=True)
    if args.save:
        print(f"wrote {save_adversarial(tuned, args.model_dir, report)}", flush=True)
    if args.report:
        args.report.write_text(json.dumps(report, indent=1) + "\n")
    return 0


def save_adversarial(model: VAE, model_dir: Path, report: dict) -> Path:
    """Store the fine-tuned decoder (float16) beside the model, with the base weights' hash and the figures."""
    state = {k: v.detach().half().contiguous() for k, v in model.state_dict().items() if k.startswith(DECODER_PARTS)}
    meta = {
        "weights_sha256": file_sha256(Path(model_dir) / WEIGHTS_FILE),
        "report": json.dumps({k: v for k, v in report.items() if k != "history"}),
    }
    out, tmp = Path(model_dir) / ADVERSARIAL_FILE, Path(model_dir) / f".{ADVERSARIAL_FILE}.tmp"
    save_file(state, str(tmp), metadata=meta)
    tmp.chmod(0o644)
    tmp.replace(out)
    return out


def load_adversarial(model_dir: str | Path) -> tuple[VAE, dict]:
    """The model with its adversarially fine-tuned decoder (the same encoder), and the figures
    measured when it was made ({"plain": …, "adversarial": …}); CheckpointError when the file is
    missing, damaged or made for other weights."""
    model_dir = Path(model_dir)
    path = model_dir / ADVERSARIAL_FILE
    rebuild = f"make it with `vae-explorer gan {model_dir} --save`"
    meta, arrays = read_derived(path, "adversarial decoder", rebuild)
    refuse_other_weights(model_dir, path, meta, "re" + rebuild)
    model = load_model(model_dir)
    state = model.state_dict()
    if not arrays or any(k not in state or tuple(state[k].shape) != tuple(v.shape) for k, v in arrays.items()):
        raise CheckpointError(f"{path}: does not fit this model's decoder; {rebuild}")
    model.load_state_dict({**state, **{k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in arrays.items()}})
    try:
        report = json.loads(meta.get("report", "{}"))
    except ValueError:
        report = {}
    return model.eval(), report


if __name__ == "__main__":
    sys.exit(main())
