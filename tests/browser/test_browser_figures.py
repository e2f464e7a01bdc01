"""A figure whose data moves with a slider keeps all of it inside its axes, at every end of its sliders,
as the browser draws it (Plotly's own ranges, read from the page): the lesson's densities of steps 4
and 5 with μ and σ at their ends (σ small: a tall, narrow peak), in presenter mode, where the fonts and
the legend are largest. Each curve point lies within the drawn x and y ranges, and the legend sits
above the plot area, not over it."""

from __future__ import annotations

import itertools

import pytest

from harness.browser import require_browser

pytestmark = pytest.mark.browser

require_browser()

from harness.browser import new_page, wait_for_app  # noqa: E402
from harness.clipping import settle, url_of  # noqa: E402
from ui.lesson import kl, normal  # noqa: E402

# Per figure on the page: its drawn ranges, and the points of its traces outside them (x, y).
OUTSIDE_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
  const L = plot._fullLayout, out = [];
  for (const trace of plot._fullData) {
    if (!trace.x || !trace.y || trace.type !== 'scatter') continue;
    const xa = L[(trace.xaxis || 'x').replace('x', 'xaxis')], ya = L[(trace.yaxis || 'y').replace('y', 'yaxis')];
    for (let i = 0; i < trace.x.length; i++) {
      const x = trace.x[i], y = trace.y[i];
      if (x < Math.min(...xa.range) || x > Math.max(...xa.range) || y < Math.min(...ya.range) || y > Math.max(...ya.range)) out.push([x, y]);
    }
  }
  const legend = L.legend._effHeight !== undefined ? plot.querySelector('.legend').getBoundingClientRect() : null;
  const area = plot.querySelector('.bglayer rect, .nsewdrag').getBoundingClientRect();
  return {outside: out.slice(0, 5), count: out.length, legendOverPlot: legend ? legend.bottom > area.top + 1 : false};
})"""

CASES = [
    ("step=5", "ls_mu", "ls_sigma", kl.MU_RANGE, kl.SIGMA_RANGE),
    ("step=4", "ls_mu1", "ls_sigma1", normal.MU_RANGE, normal.SIGMA_RANGE),
]


@pytest.mark.parametrize("step, mu_key, sigma_key, mu_range, sigma_range", CASES, ids=["kl", "normal"])
def test_density_curves_stay_inside_their_axes_at_every_slider_end(chromium, server, step, mu_key, sigma_key, mu_range, sigma_range):
    page = new_page(chromium, 1280, 720)
    page.set_default_timeout(60_000)
    try:
        for mu, sigma in itertools.product(mu_range, sigma_range):
            page.goto(url_of(server, "lesson", f"{step}&{mu_key}={mu}&{sigma_key}={sigma}", "fr", True))
            wait_for_app(page)
            settle(page)
            page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .legend').length > 0")
            figures = page.evaluate(OUTSIDE_JS)
            assert figures, (step, mu, sigma)
            for figure in figures:
                assert figure["count"] == 0, (step, mu, sigma, figure)
                assert not figure["legendOverPlot"], (step, mu, sigma, figure)
    finally:
        page.context.close()
