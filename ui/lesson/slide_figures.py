"""The lesson's nine figures for the slide deck (ui/lesson/slides.py), drawn with matplotlib from the same
computations as the Lesson page: the shipped models, vae/analysis/lesson.py, vae.core.latent and the lesson's
default inputs (test image 0, seed 0, the KL step's μ and σ). No st.* call: the command line builds
the deck too, so every text is looked up in an explicit language, not the session's.

Each step function returns the PNG (FIGSIZE at DPI) and the facts its key points quote (numbers and
names, formatted by the catalogue in that language)."""

from __future__ import annotations

import dataclasses
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.patches import Ellipse
from matplotlib.ticker import FuncFormatter
from PIL import Image

from ui.components.figures import DIGIT_COLOURS, sample_overlays
from ui.lesson.autoencoder import N_POSTERIOR_SAMPLES
from ui.lesson.common import Z_AXIS, Lesson, original, posterior_of
from ui.lesson.gan import MODEL as GAN_MODEL
from ui.lesson.gan import SHOWN as GAN_SHOWN
from ui.lesson.how_built import manifold_png
from ui.lesson.kl import MU_DEFAULT, SIGMA_DEFAULT
from ui.lesson.normal import RADII
from ui.shell.i18n import DEFAULT_LANGUAGE, LIST_SEPARATORS, number, numbers_listed, say
from ui.shell.resources import adversarial_of, density_of, model_key, model_of, test_set, zoo
from vae.analysis.lesson import (
    anomaly_pair,
    fraction_within,
    history_columns,
    kl_numeric,
    kl_posterior_prior,
    mass_within_radius,
    normal_pdf,
    posterior_samples,
    reparameterize_with_grad,
)
from vae.core.latent import decode, encode, lerp, prior_samples
from vae.data.images import grid

DPI = 150
FIGSIZE = (7.2, 5.4)  # inches: the picture beside the key points on a 16:9 slide
ROW, ROW2, SEED = 0, 1, 0  # the lesson's default test images and seed (ls_index, ls_index2, ls_seed)
N_GENERATED = 16  # step 7's default number of images (ls_n)
RED, BLUE, GREY = "#d62728", "#1f77b4", "#9aa5b1"


@dataclass(frozen=True)
class StepFigure:
    png: bytes  # FIGSIZE at DPI
    facts: dict  # what the step's key points quote: numbers (formatted by the catalogue) and names


# ---- text and drawing helpers -------------------------------------------------------------------
def vector(values: np.ndarray, lang: str, spec: str = ".3f", most: int = 8) -> str:
    """Coordinates written out in the language, as many digits as the lesson's tables; past `most`
    of them, an ellipsis."""
    shown = numbers_listed(values[:most], spec, lang)
    return shown + (LIST_SEPARATORS[lang] + "…" if len(values) > most else "")


def count(n: int, lang: str) -> str:
    """An integer with the language's thousands separator (10,000 / 10 000)."""
    return f"{int(n):,}" if lang == DEFAULT_LANGUAGE else number(int(n), ".0f", lang)


def who(lesson: Lesson, row: int, lang: str) -> str:
    index = int(lesson.atlas.test_index[row])
    if lesson.data is None or lesson.data.labels is None:
        return say(lang, "lesson.who_nolabel", index=index)
    return say(lang, "lesson.who", index=index, label=int(lesson.data.labels[index]))


def new_figure() -> Figure:
    return Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")


def subfigures(
    fig: Figure, rows: int, cols: int, height_ratios: Sequence[float] | None = None, width_ratios: Sequence[float] | None = None
) -> list[SubFigure]:
    """The figure's rows × cols subfigures in reading order (matplotlib types its result SubFigure | array)."""
    return list(fig.subfigures(rows, cols, squeeze=False, height_ratios=height_ratios, width_ratios=width_ratios).ravel())


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    return buf.getvalue()


def show_images(ax: Axes, images: np.ndarray, ncols: int, title: str = "") -> None:
    """uint8 images (N, H, W[, C]) as one grid, pixels kept sharp."""
    tiled = grid(images, ncols)
    ax.imshow(tiled[..., 0] if tiled.shape[-1] == 1 else tiled, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)


def localize(ax: Axes, lang: str, axes: str = "xy") -> None:
    """Numeric tick labels written the language's way (decimal comma in French); `axes` leaves out
    an axis whose ticks are names (z1, z2, …)."""
    if lang != DEFAULT_LANGUAGE:
        for axis in (ax.xaxis if "x" in axes else None, ax.yaxis if "y" in axes else None):
            if axis is not None:
                axis.set_major_formatter(FuncFormatter(lambda v, _: number(v, "g", lang)))


def image_of(lesson: Lesson, row: int) -> np.ndarray:
    """The test image of an atlas row, or its decoded mean without the data (as the lesson does)."""
    image = original(lesson, row)
    return image if image is not None else decode(lesson.model, lesson.atlas.mean[row])[0]


def latent_map(ax: Axes, lesson: Lesson, lang: str) -> None:
    """The encoded test set (raw 2-D codes, else PCA), coloured by digit when the labels are there."""
    raw = lesson.latent_dim == 2
    coords = lesson.atlas.coords("raw" if raw else "pca")  # (N, 2)
    if lesson.data is not None and lesson.data.labels is not None:
        labels = lesson.data.labels[lesson.atlas.test_index]
        for digit in range(10):
            m = labels == digit
            ax.scatter(coords[m, 0], coords[m, 1], s=2, color=DIGIT_COLOURS[digit], alpha=0.5, label=str(digit), rasterized=True)
        ax.legend(ncols=5, fontsize=7, markerscale=4, loc="lower right", framealpha=0.8)
    else:
        ax.scatter(coords[:, 0], coords[:, 1], s=2, color=GREY, alpha=0.5, rasterized=True)
    axis = say(lang, "lesson.map.axis_raw" if raw else "lesson.map.axis_pca")
    ax.set_xlabel(f"{axis}1")
    ax.set_ylabel(f"{axis}2")
    if raw:
        ax.set_aspect("equal", adjustable="datalim")
    localize(ax, lang)


# ---- the nine steps -------------------------------------------------------------------------------
def autoencoder(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    posterior = posterior_of(lesson, ROW)
    mu, sigma, logvar = posterior.mean[0].numpy(), posterior.std[0].numpy(), posterior.logvar[0].numpy()
    samples = posterior_samples(mu, logvar, N_POSTERIOR_SAMPLES, SEED)  # (n, D)
    images = decode(lesson.model, np.vstack([mu[None], samples]))
    fig = new_figure()
    top, bottom = subfigures(fig, 2, 1, height_ratios=[1, 2])
    axes = top.subplots(1, 3, width_ratios=[1, 1, N_POSTERIOR_SAMPLES])
    show_images(axes[0], image_of(lesson, ROW)[None], 1, "x")
    show_images(axes[1], images[:1], 1, say(lang, "lesson.s1.decoded_mu"))
    show_images(axes[2], images[1:], N_POSTERIOR_SAMPLES, say(lang, "slides.s1.samples"))
    ax = bottom.subplots()
    if lesson.latent_dim == 2:
        for k, style in ((1, "-"), (2, "--")):
            ax.add_patch(
                Ellipse(
                    (float(mu[0]), float(mu[1])), 2 * k * sigma[0], 2 * k * sigma[1], fill=False, color=RED, linestyle=style, label=f"{k}σ"
                )
            )
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("z1")
        ax.set_ylabel("z2")
        ax.scatter(samples[:, 0], samples[:, 1], marker="x", color="#555", label=say(lang, "lesson.s1.sample_points"))
        ax.scatter([mu[0]], [mu[1]], s=60, color=RED, label="μ")
    else:
        dims = np.arange(len(mu))
        for k, z in enumerate(samples):
            ax.scatter(dims, z, marker="x", s=14, color="#999", label=say(lang, "lesson.s1.sample_points") if k == 0 else None)
        ax.errorbar(dims, mu, yerr=sigma, fmt="o", color=RED, label="μ ± σ")
        ax.set_xticks(dims, [f"z{i + 1}" for i in dims], fontsize=7)
        ax.set_ylabel(say(lang, "lesson.s1.value"))
    ax.legend(fontsize=8)
    localize(ax, lang, "xy" if lesson.latent_dim == 2 else "y")
    facts = dict(who=who(lesson, ROW, lang), mu=vector(mu, lang), sigma=vector(sigma, lang), n=N_POSTERIOR_SAMPLES, seed=SEED)
    return StepFigure(png(fig), {**facts, "name": lesson.name, "sigma_mean": float(sigma.mean())})


def uses(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    model, atlas = lesson.model, lesson.atlas
    generated = decode(model, prior_samples(lesson.latent_dim, 8, SEED))
    a, b = (posterior_of(lesson, r).mean[0].numpy() for r in (ROW, ROW2))
    worst, typical = anomaly_pair(atlas.neg_elbo_nats)
    scores = atlas.neg_elbo_nats
    fig = new_figure()
    axes = fig.subplots(3, 1, height_ratios=[1, 1, 1.3])
    show_images(axes[0], generated, 8, say(lang, "lesson.s2.generation"))
    show_images(axes[1], decode(model, lerp(a, b, 8)), 8, say(lang, "lesson.s2.interpolation"))
    pair = np.stack([image_of(lesson, typical), image_of(lesson, worst)])
    show_images(axes[2], pair, 2, say(lang, "slides.s2.scores", typical=float(scores[typical]), worst=float(scores[worst])))
    facts = dict(seed=SEED, a=who(lesson, ROW, lang), b=who(lesson, ROW2, lang), n_test=count(len(scores), lang))
    return StepFigure(png(fig), {**facts, "typical_nats": float(scores[typical]), "worst_nats": float(scores[worst])})


def latent_space(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    raw = lesson.latent_dim == 2
    mu = posterior_of(lesson, ROW).mean[0].numpy()
    xy = mu if raw else lesson.atlas.pca.transform(mu[None].astype(np.float64))[0]
    fig = new_figure()
    ax = fig.subplots()
    latent_map(ax, lesson, lang)
    ax.scatter([xy[0]], [xy[1]], s=260, facecolors="none", edgecolors="black", linewidths=2.5)
    inset = ax.inset_axes((0.01, 0.74, 0.22, 0.25))
    show_images(inset, decode(lesson.model, mu), 1)
    view = say(lang, "slides.s3.view_raw" if raw else "slides.s3.view_pca")
    facts = dict(d=lesson.latent_dim, who=who(lesson, ROW, lang), mu=vector(mu, lang), view=view)
    return StepFigure(png(fig), {**facts, "n_test": count(len(lesson.atlas.mean), lang)})


def normal(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    target = z2 or lesson
    fig = new_figure()
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.25])
    density = normal_pdf(Z_AXIS, 0.0, 1.0)
    left.plot(Z_AXIS, density, color=BLUE, lw=2, label=say(lang, "lesson.prior_curve"))
    for k, alpha in ((2, 0.15), (1, 0.3)):
        inside = np.abs(Z_AXIS) <= k
        label = say(lang, "slides.s4.within", k=k, share=math.erf(k / math.sqrt(2)))
        left.fill_between(Z_AXIS[inside], density[inside], color=BLUE, alpha=alpha, label=label)
    left.set_xlim(-4, 4)
    left.set_xlabel("z")
    left.set_ylabel(say(lang, "lesson.density"))
    left.legend(fontsize=7, loc="upper left")
    localize(left, lang)
    latent_map(right, target, lang)
    theta = np.linspace(0, 2 * np.pi, 200)
    for r, style in zip(RADII, ("-", "--", ":")):
        right.plot(r * np.cos(theta), r * np.sin(theta), color="black", lw=1.5, linestyle=style)
    right.set_title(target.name, fontsize=9)
    codes = target.atlas.mean if target.latent_dim == 2 else target.atlas.coords("pca")
    facts = {f"mass{r}": float(mass_within_radius(r)) for r in RADII} | {f"inside{r}": fraction_within(codes, r) for r in RADII}
    return StepFigure(
        png(fig), {**facts, "within1": math.erf(1 / math.sqrt(2)), "within2": math.erf(2 / math.sqrt(2)), "name": target.name}
    )


def kl(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    mu, sigma = MU_DEFAULT, SIGMA_DEFAULT
    value = float(kl_posterior_prior(mu, sigma))
    posterior = posterior_of(lesson, ROW)
    per_dim = posterior.kl_per_dim()[0].numpy()  # (D,) nats
    fig = new_figure()
    top, bottom = subfigures(fig, 2, 1)
    densities, curve = top.subplots(1, 2)
    densities.plot(Z_AXIS, normal_pdf(Z_AXIS, 0, 1), "--", color=BLUE, label=say(lang, "lesson.prior_curve"))
    densities.fill_between(
        Z_AXIS, normal_pdf(Z_AXIS, mu, sigma), color=RED, alpha=0.3, label=say(lang, "lesson.q_curve", mu=mu, sigma=sigma)
    )
    densities.set_xlim(-4, 4)
    densities.set_title(f"KL = {number(value, '.3f', lang)} nats", fontsize=9)
    densities.legend(fontsize=7)
    sigmas = np.linspace(0.05, 3.0, 300)
    for m, colour in ((0.0, BLUE), (mu, RED)):
        curve.plot(sigmas, kl_posterior_prior(m, sigmas), color=colour, label=f"μ = {number(m, '.1f', lang)}")
    curve.scatter([sigma], [value], color=RED, zorder=3)
    curve.set_ylim(0, 5)
    curve.set_xlabel("σ")
    curve.set_ylabel("KL (nats)")
    curve.legend(fontsize=7)
    bars = bottom.subplots()
    bars.bar(np.arange(len(per_dim)), per_dim, color=RED)
    bars.set_xticks(np.arange(len(per_dim)), [f"z{i + 1}" for i in range(len(per_dim))])
    bars.set_ylabel(say(lang, "lesson.s5.kl_axis"), fontsize=8)
    bars.set_title(who(lesson, ROW, lang), fontsize=9)
    bars.tick_params(axis="x", labelsize=7)
    for ax, axes in ((densities, "xy"), (curve, "xy"), (bars, "y")):
        localize(ax, lang, axes)
    facts = dict(mu=mu, sigma=sigma, kl=value, kl_numeric=kl_numeric(mu, sigma), who=who(lesson, ROW, lang))
    return StepFigure(png(fig), {**facts, "total": float(posterior.kl()[0]), "mean": float(lesson.atlas.kl_nats.mean())})


def reparameterization(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    x = image_of(lesson, ROW)
    r = reparameterize_with_grad(lesson.model, x, SEED)
    images = decode(lesson.model, np.stack([r["mu"], r["z"]]))
    fig = new_figure()
    top, bottom = subfigures(fig, 2, 1, height_ratios=[1, 1.2])
    diagram, pictures = top.subplots(1, 2, width_ratios=[2.2, 1])
    diagram.set_xlim(0, 10)
    diagram.set_ylim(0, 4)
    diagram.set_axis_off()
    boxes = ((1.1, say(lang, "slides.s6.encoder")), (5.0, "z = μ + σ·ε"), (8.7, say(lang, "slides.s6.decoder")))
    for cx, label in boxes:
        diagram.text(cx, 1.4, label, ha="center", va="center", fontsize=9, bbox=dict(boxstyle="round", fc="#eef3fa", ec=BLUE))
    arrow = dict(arrowstyle="->", lw=1.5)
    for (x0, x1), label in (((2.1, 3.6), "μ, σ"), ((6.4, 7.6), "z")):
        diagram.annotate("", xy=(x1, 1.4), xytext=(x0, 1.4), arrowprops=arrow)
        diagram.text((x0 + x1) / 2, 1.75, label, ha="center", fontsize=8)
    diagram.annotate("", xy=(5.0, 1.85), xytext=(5.0, 3.3), arrowprops=arrow)
    diagram.text(5.0, 3.55, "ε ~ N(0, I)", ha="center", fontsize=9)
    diagram.text(5.0, 0.35, say(lang, "slides.s6.gradient"), ha="center", fontsize=8, color="#2ca02c")
    shown = np.concatenate([x[None, ..., None] if x.ndim == 2 else x[None], images])  # (3, H, W, 1)
    show_images(pictures, shown, 3, f"x | {say(lang, 'lesson.s6.decoded_mu')} | {say(lang, 'lesson.s6.decoded_z')}")
    ax = bottom.subplots()
    dims, width = np.arange(len(r["eps"])), 0.27
    ax.bar(dims - width, r["eps"], width, color=GREY, label="ε")
    ax.bar(dims, r["dz_dsigma"], width, color=RED, label="∂z/∂σ (autograd)")
    ax.bar(dims + width, r["dz_dmu"], width, color=BLUE, label="∂z/∂μ (autograd)")
    ax.set_xticks(dims, [f"z{i + 1}" for i in dims], fontsize=7)
    ax.axhline(0, color="black", lw=0.5)
    ax.legend(fontsize=7, ncols=3)
    localize(ax, lang, "y")
    facts = dict(seed=SEED, loss=r["loss_nats"], norm=r["encoder_grad_norm"], who=who(lesson, ROW, lang))
    return StepFigure(png(fig), {**facts, "sigma_gap": float(np.abs(r["dz_dsigma"] - r["eps"]).max())})


def generate(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    key, ncols = model_key(lesson.name), int(math.ceil(math.sqrt(N_GENERATED)))
    projection = "raw" if lesson.latent_dim == 2 else "pca"
    density = density_of(key)
    fig = new_figure()
    top, bottom = subfigures(fig, 2, 1, height_ratios=[1, 1.1])
    prior_ax, learned_ax = top.subplots(1, 2)
    show_images(prior_ax, decode(lesson.model, prior_samples(lesson.latent_dim, N_GENERATED, SEED)), ncols, say(lang, "map.samples.prior"))
    if density is not None:
        show_images(learned_ax, decode(lesson.model, density.sample(N_GENERATED, SEED)), ncols, say(lang, "map.samples.learned"))
    else:
        learned_ax.set_axis_off()
    ax = bottom.subplots()
    coords = lesson.atlas.coords(projection)
    ax.scatter(coords[:, 0], coords[:, 1], s=2, color=GREY, alpha=0.5, label=say(lang, "map.legend.points"), rasterized=True)
    for source, colour, xy in sample_overlays(key, projection):
        ax.scatter(xy[:, 0], xy[:, 1], s=10, marker="x", color=colour, alpha=0.8, label=say(lang, f"map.samples.{source}"))
    axis = say(lang, f"map.axis.{projection}")
    ax.set_xlabel(f"{axis} 1", fontsize=8)
    ax.set_ylabel(f"{axis} 2", fontsize=8)
    ax.legend(fontsize=7, markerscale=2, loc="upper right")
    localize(ax, lang)
    return StepFigure(png(fig), dict(d=lesson.latent_dim, n=N_GENERATED, seed=SEED, name=lesson.name))


def how_built(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    target = z2 or lesson
    card, config = target.card, target.model.config
    cols = history_columns([dataclasses.asdict(row) for row in card.history] if card else [])
    fig = new_figure()
    left, right = subfigures(fig, 1, 2, width_ratios=[1, 1.1])
    for ax, (term, colour) in zip(left.subplots(2, 1), (("recon", BLUE), ("kl", RED))):
        for split, style in (("train", "-"), ("test", "--")):
            ax.plot(cols["epoch"], cols[f"{split}_{term}_nats"], style, color=colour, label=say(lang, f"lesson.s8.{split}"))
        ax.set_title(say(lang, f"lesson.s8.{term}_curve"), fontsize=9)
        ax.set_xlabel(say(lang, "lesson.s8.epoch"), fontsize=8)
        ax.legend(fontsize=7)
        localize(ax, lang)
    ax = right.subplots()
    if config.latent_dim == 2:
        manifold = np.asarray(Image.open(io.BytesIO(manifold_png(model_key(target.name)))))  # uint8 (H, W) grey
        ax.imshow(manifold, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        ax.set_title(f"[{vector(np.array([-2.5, 2.5]), lang, '.1f')}]²", fontsize=9)  # manifold_png's default range
        ax.set_axis_off()
    else:
        show_images(ax, decode(target.model, prior_samples(config.latent_dim, 16, 0)), 4, say(lang, "map.samples.prior"))
    facts = dict(
        name=target.name, d=config.latent_dim, params=count(target.model.num_parameters(), lang), test=count(len(target.atlas.mean), lang)
    )
    if card is not None:
        test, minutes = card.test, card.training_seconds / 60
        facts |= dict(train=count(card.train_images, lang), epochs=card.epochs, batch=card.batch_size, lr=card.lr, minutes=minutes)
        facts |= dict(recon=test.recon_nats, kl=test.kl_nats, elbo=test.neg_elbo_nats, psnr=test.psnr_db)
    return StepFigure(png(fig), facts)


def gan(lesson: Lesson, z2: Lesson | None, lang: str) -> StepFigure:
    """celeba-z64's plain and adversarial decoders on the same codes; without them, the lesson's note."""
    found = adversarial_of(model_key(GAN_MODEL)) if any(e.name == GAN_MODEL and e.available for e in zoo()) else None
    fig = new_figure()
    if found is None or isinstance(found, str):
        ax = fig.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, say(lang, "lesson.s9.no_model", model=GAN_MODEL), ha="center", va="center", wrap=True)
        return StepFigure(png(fig), {})
    adversarial, report = found
    key = model_key(GAN_MODEL)
    plain, density, data = model_of(key), density_of(key), test_set("celeba")
    codes = density.sample(GAN_SHOWN, SEED) if density is not None else prior_samples(plain.config.latent_dim, GAN_SHOWN, SEED)
    rows: list[tuple[np.ndarray, str]] = [
        (decode(m, codes), say(lang, f"lesson.s9.{name}")) for name, m in (("plain", plain), ("adversarial", adversarial))
    ]
    if data is not None:
        images = np.array(data.images[:GAN_SHOWN])  # a copy: the test set is shared read-only
        mu = encode(plain, images)[0]  # the same encoder: the same codes for both decoders
        rows.append((images, say(lang, "lesson.s9.originals")))
        rows += [(decode(m, mu), say(lang, f"lesson.s9.{name}")) for name, m in (("plain", plain), ("adversarial", adversarial))]
    for ax, (images, title) in zip(np.atleast_1d(fig.subplots(len(rows), 1)), rows):
        show_images(ax, images, GAN_SHOWN, title)
    facts = dict(minutes=report.get("minutes", "?"), weight=report.get("weight", "?"))
    if "plain" in report and "adversarial" in report:
        for name in ("plain", "adversarial"):
            facts |= {f"psnr_{name}": report[name]["psnr_db"], f"fd_{name}": report[name]["fd"]["learned"]}
    return StepFigure(png(fig), facts)


STEP_FIGURES: tuple[Callable[[Lesson, Lesson | None, str], StepFigure], ...] = (
    autoencoder,
    uses,
    latent_space,
    normal,
    kl,
    reparameterization,
    generate,
    how_built,
    gan,
)  # in the order of ui.lesson.STEPS
