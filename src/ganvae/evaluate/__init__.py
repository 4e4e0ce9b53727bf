"""One evaluator per data kind, each measuring every model of a comparison the same way:

- `images`: fidelity, diversity, mode coverage, sharpness, memorisation, reconstruction, latent structure
  (`EvalConfig`, `Reference`, `evaluate_model`);
- `tables`: fidelity (SDMetrics' quality report), category coverage, utility and privacy of synthetic rows
  (`evaluate_rows`, `fidelity`);
- `interactions`: ranking figures of recommenders on held-out items (`scores_in_batches`, `ranking`).

Import the kind's module (`from ganvae.evaluate.images import Reference`): the table evaluator imports
pandas, which an image comparison does not need.
"""
