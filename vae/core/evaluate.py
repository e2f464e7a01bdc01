"""Test-set metrics of a VAE, in nats per image: the figures that go into card.json.

Monte Carlo terms use one posterior sample per image drawn from a fixed seed, so the same model
and data always give the same numbers (a fresh evaluation reproduces the card exactly).
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from vae.core.card import TestMetrics
from vae.core.checkpoint import CARD_FILE, CheckpointError, load_card, load_model
from vae.core.latent import active_mask, unit_activity
from vae.core.model import VAE, bernoulli_floor_nats, bits_per_dim
from vae.data.command_line import command_parser
from vae.data.datasets import load_split, to_tensor

EXAMPLES = (
    "vae-explorer evaluate models/mnist-z16                                  # print the fresh metrics (JSON)",
    "vae-explorer evaluate models/mnist-z16 --iw-samples 500 --write-card    # and store them in card.json",
)

EVAL_SEED = 1234


@torch.inference_mode()
def per_sample_terms(model: VAE, x: torch.Tensor, batch_size: int = 500, seed: int = EVAL_SEED) -> dict[str, np.ndarray]:
    """Per-image recon (nats), KL (nats), posterior mean/logvar and squared error of the mean decode."""
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    out: dict[str, list] = {"recon_nats": [], "kl_nats": [], "mean": [], "logvar": [], "mse": [], "kl_per_dim": []}
    for start in range(0, len(x), batch_size):
        xb = x[start : start + batch_size].to(device)
        posterior = model.encode(xb)
        eps = torch.randn(posterior.mean.shape, generator=gen).to(device)
        z = posterior.mean + posterior.std * eps
        out["recon_nats"].append(model.recon_nats(xb, model.decode_logits(z)).cpu())
        out["kl_nats"].append(posterior.kl().cpu())
        out["kl_per_dim"].append(posterior.kl_per_dim().cpu())
        out["mean"].append(posterior.mean.cpu())
        out["logvar"].append(posterior.logvar.cpu())
        x_mean = model.decode(posterior.mean)
        out["mse"].append((x_mean - xb).pow(2).flatten(1).mean(1).cpu())
    return {k: torch.cat(v).double().numpy() for k, v in out.items()}


@torch.inference_mode()
def iw_bound(model: VAE, x: torch.Tensor, k: int = 500, chunk: int = 500, seed: int = EVAL_SEED, progress: bool = False) -> np.ndarray:
    """Importance-weighted bound of Burda et al. (2016), −log p(x) ≤ this, nats per image, shape (N,).
    With progress=True a progress bar over the images goes to stderr.

    log p(x) ≥ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x),  z_i ~ q(z|x).
    """
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    bounds = []
    for xi in tqdm(x, desc=f"IW bound, k={k}", unit="image", disable=not progress, dynamic_ncols=True):
        xi = xi.unsqueeze(0).to(device)
        posterior = model.encode(xi)
        log_w_chunks = []
        for start in range(0, k, chunk):
            n = min(chunk, k - start)
            eps = torch.randn((n, model.config.latent_dim), generator=gen).to(device)
            z = posterior.mean + posterior.std * eps  # (n, D)
            log_px_z = -model.recon_nats(xi.expand(n, *xi.shape[1:]), model.decode_logits(z))
            log_pz = (-0.5 * (math.log(2 * math.pi) + z.pow(2))).sum(1)
            log_qz = (-0.5 * (math.log(2 * math.pi) + posterior.logvar + eps.pow(2))).sum(1)
            log_w_chunks.append(log_px_z + log_pz - log_qz)
        log_w = torch.cat(log_w_chunks)
        bounds.append(-(torch.logsumexp(log_w, 0) - math.log(k)).item())
    return np.array(bounds)


def summarize(terms: dict[str, np.ndarray]) -> dict:
    """Dataset-level metrics from per_sample_terms(): means over images."""
    mse = float(terms["mse"].mean())
    kl_per_dim = terms["kl_per_dim"].mean(0)
    activity = unit_activity(terms["mean"])
    return {
        "recon_nats": float(terms["recon_nats"].mean()),
        "kl_nats": float(terms["kl_nats"].mean()),
        "neg_elbo_nats": float((terms["recon_nats"] + terms["kl_nats"]).mean()),
        "mse_per_pixel": mse,
        "psnr_db": float(10 * math.log10(1.0 / mse)) if mse > 0 else float("inf"),
        "kl_per_dim_nats": [round(float(v), 5) for v in kl_per_dim],
        "unit_activity": [round(float(v), 6) for v in activity],
        "active_units": int(active_mask(activity).sum()),
        "num_images": int(len(terms["mse"])),
    }


# Per-dimension figures that the card keeps at its top level rather than under "test".
PER_DIM_KEYS = ("kl_per_dim_nats", "unit_activity", "active_units")


def evaluate(model: VAE, x: torch.Tensor, iw_samples: int = 0, iw_images: int = 0, progress: bool = False) -> dict:
    """Card metrics over `x` (floats in [0, 1]), nats per image.

    Adds, by likelihood: `neg_elbo_bits_per_dim` (discretised Gaussian: a normalised likelihood of
    the 8-bit image) or `recon_floor_nats` (Bernoulli on grey levels: the cross-entropy a perfect
    decoder would still pay). With iw_images > 0: `iw_images_neg_elbo_nats`, the −ELBO of the first
    `iw_images` images, and with iw_samples > 0 also `iw_bound_nats` on those same images, so the
    two compare (the bound is costly, so it is taken on a subset; the ELBO on every image too)."""
    terms = per_sample_terms(model, x)
    metrics = summarize(terms)
    num_dims = model.config.num_dims
    if model.config.likelihood == "gaussian":
        metrics["neg_elbo_bits_per_dim"] = float(bits_per_dim(metrics["neg_elbo_nats"], num_dims))
    else:
        metrics["recon_floor_nats"] = float(bernoulli_floor_nats(x).double().mean())
    if iw_images > 0:
        n = min(iw_images, len(x))
        metrics["iw_images_neg_elbo_nats"] = float((terms["recon_nats"][:n] + terms["kl_nats"][:n]).mean())
        if iw_samples > 0:
            metrics["iw_bound_nats"] = float(iw_bound(model, x[:n], k=iw_samples, progress=progress).mean())
            metrics["iw_samples"] = iw_samples
            metrics["iw_images"] = n
    return metrics


def card_sections(metrics: dict) -> tuple[TestMetrics, dict]:
    """Split evaluate()'s metrics into the card's test section and its top-level per-dimension fields
    (keyword arguments of vae.core.card.ModelCard: kl_per_dim_nats, unit_activity, active_units)."""
    test = TestMetrics(**{k: v for k, v in metrics.items() if k not in PER_DIM_KEYS})
    return test, {k: metrics[k] for k in PER_DIM_KEYS}


def main(argv: list[str] | None = None) -> int:
    """Re-evaluate model folders from scratch on the test split and compare with their cards."""
    parser = command_parser("evaluate", main.__doc__, EXAMPLES)
    parser.add_argument("model_dirs", nargs="+", type=Path)
    parser.add_argument("--iw-samples", type=int, default=0, help="also compute the IW bound with k samples (MNIST)")
    parser.add_argument("--iw-images", type=int, default=1000)
    parser.add_argument("--write-card", action="store_true", help="store the fresh test metrics in card.json")
    args = parser.parse_args(argv)
    status = 0
    try:
        for model_dir in args.model_dirs:
            try:
                model = load_model(model_dir)
                card = load_card(model_dir)
            except CheckpointError as err:
                print(f"error: {err}", file=sys.stderr)
                status = 1
                continue
            images, _ = load_split(model.config.dataset, "test")
            iw = args.iw_samples if model.config.dataset == "mnist" else 0
            old = card.test if card is not None else None
            # Without a fresh IW bound, the −ELBO is still taken on the images of the card's bound.
            iw_images = args.iw_images if iw else ((old.iw_images or 0) if old is not None else 0)
            metrics = evaluate(model, to_tensor(images), iw_samples=iw, iw_images=iw_images, progress=True)
            test, per_dim = card_sections(metrics)
            print(json.dumps({"model": model_dir.name, **test.to_dict(), "active_units": metrics["active_units"]}))
            if args.write_card and card is not None:
                sigma = card.likelihood_sigma if model.log_sigma is None else float(model.log_sigma.exp())
                if not iw:  # the card's IW bound stays, beside the fresh −ELBO of the same images
                    kept = card.test
                    test = dataclasses.replace(test, iw_bound_nats=kept.iw_bound_nats, iw_samples=kept.iw_samples, iw_images=kept.iw_images)
                card = dataclasses.replace(card, test=test, **per_dim, likelihood_sigma=sigma)
                card.save(Path(model_dir) / CARD_FILE)
    except KeyboardInterrupt:
        print("interrupted: the model being evaluated was left unchanged (cards written before it keep their new metrics)", file=sys.stderr)
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
