"""What drawing costs, apart from training: the seconds per image of `model.sample`, timed by the
evaluation (`evaluate.images`) while it draws its samples. A GAN or VAE pays one network pass per image; a
diffusion model pays one UNet pass per sampler step, so this is where it pays what a GAN pays in training
(the claim "diffusion sampling is much slower", `experiment.claims`).

The figure is one timed call over the evaluation's whole sample set (hundreds to thousands of images)
divided by their number, so even a GAN's microseconds per image lie far above the clock's resolution;
`MEASURABLE_S` is the floor below which a time is not compared as a ratio at all.
"""

from __future__ import annotations

from ganvae.metrics.meta import declare

declare("sample_s_per_image", "sampling time per image (s)", better="lower", unit="s", bounds=(0.0, None))

# below this a per-image time is clock noise, not a cost: a ratio with it in the denominator means nothing
# (perf_counter resolves well under a microsecond, and a time is a whole sample set's over its size)
MEASURABLE_S = 1e-7
