"""Re-evaluate every shipped model from scratch on its test split and check the quality bars.

    python benchmarks/eval_zoo.py             # full: includes the IW bound (k = 500, 1,000 images)
    python benchmarks/eval_zoo.py --iw-samples 0   # quick: ELBO terms, MSE, PSNR only

Bars (issue "model core"): MNIST −ELBO ≤ 140 nats at latent_dim 2 and ≤ 95 nats at latent_dim ≥ 16
(β = 1); CelebA z=64 PSNR ≥ 23 dB as the target.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from vae import load_card, load_model
from vae.analysis.zoo import MODELS_DIR, scan
from vae.core.evaluate import evaluate
from vae.data.datasets import load_split, to_tensor


def bar_for(config) -> tuple[str, float, str] | None:
    """(metric, limit, direction) of the quality bar that applies to a model, if any. The bars are the
    convolutional models' ones: the course's dense model (784 → 128 → 2) is shipped as the course
    defines it, to compare against, and is held to no bar."""
    if config.architecture != "conv":
        return None
    if config.dataset == "mnist" and config.beta == 1.0:
        if config.latent_dim == 2:
            return ("neg_elbo_nats", 140.0, "≤")
        if config.latent_dim >= 16:
            return ("neg_elbo_nats", 95.0, "≤")
    if config.dataset == "celeba" and config.latent_dim == 64:
        return ("psnr_db", 23.0, "≥")
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR)
    parser.add_argument("--iw-samples", type=int, default=500)
    parser.add_argument("--iw-images", type=int, default=1000)
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    data = {}
    rows = []
    for entry in scan(args.models_dir):
        if not entry.available:
            rows.append({"model": entry.name, "error": entry.error})
            continue
        model = load_model(entry.path)
        ds = model.config.dataset
        if ds not in data:
            data[ds] = to_tensor(load_split(ds, "test")[0])
        t0 = time.time()
        m = evaluate(model, data[ds], iw_samples=args.iw_samples if ds == "mnist" else 0, iw_images=args.iw_images)
        card = load_card(entry.path)
        bar = bar_for(model.config)
        verdict = ""
        if bar:
            metric, limit, direction = bar
            ok = m[metric] <= limit if direction == "≤" else m[metric] >= limit
            verdict = f"{'PASS' if ok else 'MISS'} ({metric} {direction} {limit:g})"
        rows.append(
            {
                "model": entry.name,
                "latent_dim": model.config.latent_dim,
                "beta": model.config.beta,
                "recon_nats": m["recon_nats"],
                "kl_nats": m["kl_nats"],
                "neg_elbo_nats": m["neg_elbo_nats"],
                "card_neg_elbo_nats": card.test.neg_elbo_nats if card else None,
                "iw_bound_nats": m.get("iw_bound_nats"),
                "psnr_db": m["psnr_db"],
                "active_units": m["active_units"],
                "seconds": round(time.time() - t0, 1),
                "bar": verdict,
            }
        )
        r = rows[-1]
        iw = f"{r['iw_bound_nats']:8.2f}" if r["iw_bound_nats"] is not None else "       —"
        print(
            f"{r['model']:20s} z={r['latent_dim']:<4d} β={r['beta']:<4g} recon {r['recon_nats']:10.2f}  KL {r['kl_nats']:7.2f}  "
            f"−ELBO {r['neg_elbo_nats']:10.2f} (card {r['card_neg_elbo_nats']:10.2f})  IW {iw}  PSNR {r['psnr_db']:6.2f} dB  "
            f"AU {r['active_units']:3d}  {r['bar']}",
            flush=True,
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    misses = [r for r in rows if r.get("bar", "").startswith("MISS")]
    print(f"\n{len(rows)} models evaluated; bars missed: {', '.join(r['model'] for r in misses) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
