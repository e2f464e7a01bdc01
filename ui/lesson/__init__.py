"""The VAE lesson: nine steps, one module each, every figure from a real shipped MNIST model.

STEPS is the course plan in order; step k (1-based, `?step=k` in the URL) is STEPS[k - 1]. Each step
module has TITLE, the i18n key of its title, and render(lesson, z2), an st.fragment so that a widget
reruns only its own step; z2 is the course's 2-D model that steps 4 and 8 are about (None if there is
none). What several steps share (the Lesson, inputs kept in the URL, the cached map) is in common.py;
the maths is in vae/analysis/lesson.py. pages/lesson.py only picks the model and the step and calls render.
The slide deck (slides.py, slide_figures.py) and the presenter's clicker live here too.
May import `ui.components`, `ui.shell` and `vae`.
"""

from ui.lesson import autoencoder, gan, generate, how_built, kl, latent_space, normal, reparameterization, uses
from ui.lesson.common import MAIN_MODEL, Lesson, open_lesson, two_d_lesson

STEPS = (autoencoder, uses, latent_space, normal, kl, reparameterization, generate, how_built, gan)

__all__ = ["MAIN_MODEL", "STEPS", "Lesson", "open_lesson", "two_d_lesson"]
