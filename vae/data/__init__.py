"""Data: MNIST and CelebA loaded from the data root ($VAE_DATA_DIR, ./data, ../shared/data), a user's own
image made into a model input, and image conversions. Imports nothing from the rest of `vae`."""
