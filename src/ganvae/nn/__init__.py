"""Network building blocks shared by the model families."""

from ganvae.nn.conv import ConvDecoder, ConvEncoder, Plan
from ganvae.nn.flops import count_parameters, flops_per_sample

__all__ = ["ConvDecoder", "ConvEncoder", "Plan", "count_parameters", "flops_per_sample"]
