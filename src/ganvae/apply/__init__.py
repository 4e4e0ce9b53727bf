"""Applying one trained model to new input (`ganvae sample`, `generate`, `morph`, `score`, `recommend`,
`synthesize`): which commands a model can serve (`capabilities`)."""
