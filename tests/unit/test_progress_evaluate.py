"""The IW bound shows a progress bar over images when asked to, and only then; the numbers do not change."""

import numpy as np
import torch

from vae.core.evaluate import iw_bound


def test_iw_bound_progress_bar_over_images(tiny_mnist, capsys):
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    quiet = iw_bound(tiny_mnist, x, k=16, chunk=8)
    assert capsys.readouterr().err == ""
    shown = iw_bound(tiny_mnist, x, k=16, chunk=8, progress=True)
    err = capsys.readouterr().err
    assert "IW bound, k=16" in err and "5/5" in err and "image" in err
    np.testing.assert_array_equal(quiet, shown)
    assert shown.shape == (5,) and np.isfinite(shown).all()
