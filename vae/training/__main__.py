"""`python -m vae.training [options]` (and `torchrun ... -m vae.training`): train a VAE, as `vae-explorer train`."""

from vae.training.train import main

raise SystemExit(main())
