"""The model and what defines it: configuration and card schemas, the VAE and its posterior, checkpoints
(safetensors + JSON), the weights hash that keys derived files, latent-space maths, evaluation in nats.
May import `vae.data` only."""
