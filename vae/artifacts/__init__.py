"""What is stored beside the weights and keyed by their hash: the atlas, projections, attribute directions,
the learned density, sample quality, the ONNX export. Each has its builder (`vae-explorer <name>`).
May import `vae.core` and `vae.data`."""
