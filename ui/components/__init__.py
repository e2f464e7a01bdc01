"""Display pieces shared by pages: widgets, figures, the live (in-browser) decoder component, the latent
panels, the drawing/upload inputs. May import `ui.shell` and `vae`."""
