"""Trained models written in formats other programs run without ganvae (`ganvae export`)."""
