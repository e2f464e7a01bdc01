"""The app's shell: models and data loaded once per process, URL
parameters, typed hand-offs between pages, the FR/EN catalogues. May import `vae` only; every other part
of `ui` may import it."""
