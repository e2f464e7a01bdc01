"""Training: the run settings, the loop (single process or torchrun), resuming after Ctrl-C, the GAN decoder.
`python -m vae.training` = `vae-explorer train` (torchrun runs it as a module). May import `vae.artifacts`,
`vae.core`, `vae.data`; never `vae.analysis`."""
