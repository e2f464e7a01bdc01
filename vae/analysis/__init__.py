"""What the pages compute from models and artifacts: placing a user's input, anomalies, the aggregate
posterior, model comparison, the zoo, the composer's search, the lesson's maths, exploration helpers.
May import `vae.artifacts`, `vae.core`, `vae.data`; never `vae.training`."""
