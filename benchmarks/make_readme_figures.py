"""Write the README's pictures: reconstructions and prior samples of each dataset's default models,
and screenshots of the Generate page (16 prior samples beside 16 learned-density samples, the same
seed) taken in headless Chromium against the dashboard.

Only model outputs are written (decoded test codes and samples), never dataset images.

    python benchmarks/make_readme_figures.py [--screenshots-only | --presenter-only | --phone-only]

--presenter-only writes three lesson sub-steps as a French lecture shows them (presenter mode,
1280×720), chosen among those that show model outputs only.
--phone-only writes the latent sliders page's first screen as a student's phone shows it (390×844,
Chromium's mobile emulation with touch, French): the decoded picture and the sliders, model outputs only.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from vae import load_model
from vae.core.latent import decode, prior_samples
from vae.data.datasets import load_split, to_tensor
from vae.data.images import grid, png_bytes

ROOT = Path(__file__).resolve().parent.parent

OUT = ROOT / "assets" / "readme"
FIGURES = {"mnist": ("mnist-z16", 2), "celeba": ("celeba-z64", 1)}


def generate_screenshots() -> None:
    """The Generate page of each default model, 16 samples of each source, seed 0, T = 1."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, new_page, streamlit_server, wait_for_app

    with sync_playwright() as p, streamlit_server(timeout=120) as (url, _):
        browser = launch_chromium(p)
        for dataset, (name, _) in FIGURES.items():
            page = new_page(browser, 1280, 900)
            page.goto(f"{url}/generate?dataset={dataset}&model={name}&gen_n=16")
            wait_for_app(page, 120_000)
            columns = (
                page.locator('[data-testid="stHorizontalBlock"]').filter(has=page.locator('[data-testid="stImage"]')).last
            )  # the two sources
            path = OUT / f"generate-{dataset}.png"
            columns.screenshot(path=str(path))
            print(f"wrote {path} ({name}: prior and learned density, 16 each)")
            page.context.close()
        browser.close()


# (step, sub-step, file): the normal distribution, the KL with sliders, the prior's holes
PRESENTER_SHOTS = ((4, 1, "presenter-fr-step4.png"), (5, 1, "presenter-fr-step5.png"), (7, 3, "presenter-fr-step7.png"))


def presenter_screenshots() -> None:
    """Whole 1280×720 screens of the lesson in French presenter mode: what the class sees."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, new_page, streamlit_server, wait_for_app

    with sync_playwright() as p, streamlit_server(timeout=120) as (url, _):
        browser = launch_chromium(p)
        page = new_page(browser, 1280, 720)
        for step, part, name in PRESENTER_SHOTS:
            page.goto(f"{url}/lesson?lang=fr&presenter=1&step={step}&part={part}")
            wait_for_app(page, 120_000)
            page.wait_for_timeout(1500)  # KaTeX, plots and images settle
            path = OUT / name
            page.screenshot(path=str(path))
            print(f"wrote {path} (step {step}.{part}, French, presenter mode, 1280×720)")
        browser.close()


PHONE = {"width": 390, "height": 844}
PHONE_SHOT = "phone-fr.png"


def phone_screenshot() -> None:
    """The first screen of the latent sliders page on a phone, in French (mnist-z16, sliders at the prior mean)."""
    from playwright.sync_api import sync_playwright

    from harness.browser import launch_chromium, new_page, streamlit_server, wait_for_app
    from harness.clipping import settle

    with sync_playwright() as p, streamlit_server(timeout=120) as (url, _):
        browser = launch_chromium(p)
        page = new_page(browser, PHONE["width"], PHONE["height"], mobile=True, touch=True, scale=1.5)
        page.goto(f"{url}/latent_sliders?dataset=mnist&model=mnist-z16&lang=fr")
        wait_for_app(page, 120_000)
        settle(page)  # fonts and the decoded picture
        path = OUT / PHONE_SHOT
        page.screenshot(path=str(path))
        print(f"wrote {path} (latent sliders, French, phone 390×844, {path.stat().st_size // 1024} KB)")
        browser.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    if "--presenter-only" in sys.argv:
        presenter_screenshots()
        return 0
    if "--phone-only" in sys.argv:
        phone_screenshot()
        return 0
    if "--screenshots-only" in sys.argv:
        generate_screenshots()
        return 0
    for dataset, (name, scale) in FIGURES.items():
        model = load_model(ROOT / "models" / name)
        images, _ = load_split(dataset, "test")
        x = to_tensor(images[:32])
        with torch.inference_mode():
            recon = decode(model, model.encode(x).mean.numpy())
        samples = decode(model, prior_samples(model.config.latent_dim, 32, seed=0))
        for kind, arr in (("reconstructions", recon), ("samples", samples)):
            path = OUT / f"{dataset}-{kind}.png"
            path.write_bytes(png_bytes(grid(arr, 16, pad=2), scale=scale))
            print(f"wrote {path} ({name}, {len(arr)} images)")
    generate_screenshots()
    presenter_screenshots()
    phone_screenshot()
    return 0


if __name__ == "__main__":
    sys.exit(main())
