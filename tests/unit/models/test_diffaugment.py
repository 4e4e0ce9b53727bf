"""DiffAugment (Zhao et al. 2020): each transform against an independent reference (torch.roll with zero
fill, a hand-computed colour transform, a rectangle mask), gradients through every policy by autograd's
finite-difference check, shapes and dtypes kept, seeded draws, the policy text; and ADA's probability mask:
p = 0 the identity, p = 1 DiffAugment as published (the same draws), each op on each image with probability
p otherwise (against a replay of the generator, and in counts)."""

from __future__ import annotations

import pytest
import torch

from ganvae.errors import ConfigError
from ganvae.nn import diffaugment as da
from ganvae.nn.diffaugment import FULL, cutout, diff_augment, parse_policy, translate

POLICIES = ["color", "translation", "cutout", "color,translation,cutout"]


def _roll_zero_fill(img: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Reference translation of one C x H x W image: torch.roll, then zero what wrapped around."""
    out = torch.roll(img, shifts=(dy, dx), dims=(1, 2)).clone()
    if dy > 0:
        out[:, :dy] = 0
    elif dy < 0:
        out[:, dy:] = 0
    if dx > 0:
        out[:, :, :dx] = 0
    elif dx < 0:
        out[:, :, dx:] = 0
    return out


def test_translation_by_k_pixels_is_a_roll_with_zero_fill():
    x = torch.rand(7, 2, 5, 6, generator=torch.Generator().manual_seed(0))
    dy = torch.tensor([0, 1, -1, 3, -4, 5, 2])
    dx = torch.tensor([0, -2, 1, 0, 5, -1, -6])  # -6: the whole image leaves (all zero)
    out = translate(x, dy, dx)
    for i in range(len(x)):
        torch.testing.assert_close(out[i], _roll_zero_fill(x[i], int(dy[i]), int(dx[i])), rtol=0, atol=0)
    assert out[4].abs().sum() > 0 and out[6].abs().sum() == 0


def test_the_translation_policy_shifts_by_at_most_an_eighth_of_each_side():
    x = torch.rand(64, 1, 16, 8, generator=torch.Generator().manual_seed(1)) + 0.5  # no zero pixels
    out = diff_augment(x, ("translation",), torch.Generator().manual_seed(2))
    seen = set()
    for i in range(len(x)):  # 16 x 8: up to 2 rows and 1 column each way
        match = [
            (dy, dx)
            for dy in range(-2, 3)
            for dx in range(-1, 2)
            if torch.equal(out[i], _roll_zero_fill(x[i], dy, dx))
        ]
        assert len(match) == 1, i
        seen.add(match[0])
    assert len(seen) >= 10  # of the 15 shifts: drawn, not fixed


def test_cutout_zeroes_a_rectangle_of_the_stated_size():
    x = torch.ones(3, 2, 8, 10)
    out = cutout(x, torch.tensor([2, -1, 6]), torch.tensor([3, 0, 8]), 3, 4)
    expected = torch.ones_like(x)
    expected[0, :, 2:5, 3:7] = 0  # inside: 3 x 4 pixels in every channel
    expected[1, :, 0:2, 0:4] = 0  # clipped at the top: rows -1..1
    expected[2, :, 6:8, 8:10] = 0  # clipped at the bottom right
    torch.testing.assert_close(out, expected, rtol=0, atol=0)


def test_the_cutout_policy_zeroes_half_of_each_side_clipped_at_the_border():
    x = torch.ones(200, 1, 8, 8)
    out = diff_augment(x, ("cutout",), torch.Generator().manual_seed(0))
    assert da.cutout_size(8, 8) == (4, 4) and da.cutout_size(28, 28) == (14, 14)
    full = 0
    for img in out[:, 0]:
        rows, cols = (img == 0).any(1).nonzero().flatten(), (img == 0).any(0).nonzero().flatten()
        # the zeros form one rectangle: every (row, col) of its rows x cols is zero, nothing else
        mask = torch.zeros(8, 8, dtype=torch.bool)
        mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1] = True
        assert torch.equal(img == 0, mask)
        assert 2 <= len(rows) <= 4 and 2 <= len(cols) <= 4  # a 4 x 4 square, centred 0..8: clipped to >= 2
        full += len(rows) * len(cols) == 16
    assert 50 < full < 150  # centres 2..6 of 0..8 keep the whole square: 25/81 of images in expectation


def test_color_follows_the_reference_transforms(monkeypatch):
    # fix the uniforms: brightness u=0.75 (+0.25), saturation u=0.25 (x0.5), contrast u=0.9 (x1.4)
    u = torch.tensor([[0.75, 0.25, 0.9]])
    monkeypatch.setattr(da, "draw", lambda n, k, device, generator=None: u.expand(n, k))
    x = torch.rand(2, 3, 4, 5, generator=torch.Generator().manual_seed(0)) * 2 - 1
    y = x + 0.25
    y = (y - y.mean(1, keepdim=True)) * 0.5 + y.mean(1, keepdim=True)
    y = (y - y.mean((1, 2, 3), keepdim=True)) * 1.4 + y.mean((1, 2, 3), keepdim=True)
    torch.testing.assert_close(diff_augment(x, ("color",)), y)
    gray = x[:, :1]  # one channel: no saturation step
    g = gray + 0.25
    g = (g - g.mean((1, 2, 3), keepdim=True)) * 1.4 + g.mean((1, 2, 3), keepdim=True)
    torch.testing.assert_close(diff_augment(gray, ("color",)), g)


@pytest.mark.parametrize("policy", POLICIES)
def test_gradients_flow_through_every_policy(policy):
    names = parse_policy(policy)
    x = torch.rand(2, 3, 6, 5, dtype=torch.float64, requires_grad=True)

    def augmented(t):  # the same draws at every evaluation of the finite differences
        return diff_augment(t, names, torch.Generator().manual_seed(3))

    assert torch.autograd.gradcheck(augmented, (x,), eps=1e-6, atol=1e-5)
    augmented(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("shape", [(4, 1, 8, 8), (3, 3, 32, 32), (2, 2, 5, 7)], ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16], ids=str)
def test_policies_keep_shape_and_dtype(policy, shape, dtype):
    x = torch.rand(shape).to(dtype)
    out = diff_augment(x, parse_policy(policy), torch.Generator().manual_seed(0))
    assert out.shape == x.shape and out.dtype == dtype and torch.isfinite(out.float()).all()
    assert not torch.equal(out, x)  # it did something


def test_draws_are_seeded_by_torch():
    x = torch.rand(8, 3, 8, 8)
    policy = parse_policy("color,translation,cutout")
    a = diff_augment(x, policy, torch.Generator().manual_seed(5))
    b = diff_augment(x, policy, torch.Generator().manual_seed(5))
    c = diff_augment(x, policy, torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)
    torch.manual_seed(1)
    d = diff_augment(x, policy)
    torch.manual_seed(1)
    assert torch.equal(d, diff_augment(x, policy))  # the global generator, as training uses it


def test_policy_text_and_auto():
    assert parse_policy("") == () and parse_policy("None") == ()
    assert parse_policy(" color, cutout ") == ("color", "cutout")
    assert parse_policy("ADA") == FULL == ("color", "translation", "cutout")  # what ada adapts
    with pytest.raises(ConfigError, match="unknown DiffAugment policy 'flip'"):
        parse_policy("color,flip")
    x = torch.rand(2, 1, 8, 8)
    assert diff_augment(x, ()) is x


# ---- ADA's probability mask ----------------------------------------------------------------------------
def _published(x: torch.Tensor, policy, generator: torch.Generator) -> torch.Tensor:
    """DiffAugment as it was before the probability existed: one n x k draw, every op on every image."""
    ops = [op for name in policy for op in da.POLICIES[name]]
    u = torch.rand(len(x), sum(op.draws for op in ops), generator=generator)
    start = 0
    for op in ops:
        x = op.apply(x, u[:, start : start + op.draws])
        start += op.draws
    return x


@pytest.mark.parametrize("policy", POLICIES)
def test_p_one_is_diffaugment_as_published_and_p_zero_the_identity(policy):
    names = parse_policy(policy)
    x = torch.rand(16, 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1
    expected = _published(x, names, torch.Generator().manual_seed(4))
    g = torch.Generator().manual_seed(4)
    torch.testing.assert_close(diff_augment(x, names, g, p=1.0), expected, rtol=0, atol=0)
    # p = 1 draws nothing more: the generator stands where the published version leaves it
    after = torch.Generator().manual_seed(4)
    _published(x, names, after)
    assert torch.equal(g.get_state(), after.get_state())
    g0 = torch.Generator().manual_seed(4)
    assert diff_augment(x, names, g0, p=0.0) is x  # the identity, and no draw made
    assert torch.equal(g0.get_state(), torch.Generator().manual_seed(4).get_state())


def test_each_op_reaches_each_image_with_probability_p_by_a_replay_of_the_draws():
    """The reference: the ops' uniforms as published, then one uniform per image and op; op j reaches
    image i when that uniform is below p."""
    policy, p = FULL, 0.4
    ops = [op for name in policy for op in da.POLICIES[name]]
    x = torch.rand(300, 3, 8, 8, generator=torch.Generator().manual_seed(1)) * 2 - 1
    replay = torch.Generator().manual_seed(9)
    u = torch.rand(len(x), sum(op.draws for op in ops), generator=replay)
    applied = torch.rand(len(x), len(ops), generator=replay) < p
    expected, start = x.clone(), 0
    for j, op in enumerate(ops):
        out = op.apply(expected, u[:, start : start + op.draws])
        expected[applied[:, j]] = out[applied[:, j]]
        start += op.draws
    got = diff_augment(x, policy, torch.Generator().manual_seed(9), p=p)
    torch.testing.assert_close(got, expected, rtol=0, atol=0)
    # images every op reached are exactly those of p = 1 (the ops' draws do not depend on p)
    every = applied.all(1)
    assert every.any() and (~applied).all(1).any()
    full = diff_augment(x, policy, torch.Generator().manual_seed(9), p=1.0)
    torch.testing.assert_close(got[every], full[every], rtol=0, atol=0)
    torch.testing.assert_close(got[(~applied).all(1)], x[(~applied).all(1)], rtol=0, atol=0)


@pytest.mark.parametrize("p", [0.5, 0.2])
def test_p_applies_an_op_to_about_that_share_of_images(p):
    # cutout changes every image of ones it reaches (its rectangle keeps >= 2 x 2 pixels inside), so the
    # changed images count the applications: Binomial(n, p); bounds at 4.5 standard deviations
    n = 4000
    x = torch.ones(n, 1, 8, 8)
    out = diff_augment(x, ("cutout",), torch.Generator().manual_seed(11), p=p)
    changed = int((out != x).flatten(1).any(1).sum())
    sd = (n * p * (1 - p)) ** 0.5
    assert abs(changed - n * p) < 4.5 * sd, changed
    # each op its own draw: on constant images, brightness (the first op of color) moves the value and
    # cutout adds zeros (1 channel: saturation is the identity; contrast keeps a constant image), so both
    # are seen; each reaches ~n p images and both ~n p^2 (independent), within 4.5 sd
    y = diff_augment(
        torch.full((n, 1, 8, 8), 0.25), ("color", "cutout"), torch.Generator().manual_seed(12), p=p
    )
    bright = ((y != 0.25) & (y != 0)).flatten(1).any(1)  # a value that is neither the image's nor 0
    cut = (y == 0).flatten(1).any(1)
    for count, share in ((bright, p), (cut, p), (bright & cut, p * p)):
        assert abs(int(count.sum()) - n * share) < 4.5 * (n * share * (1 - share)) ** 0.5


def test_gradients_flow_through_the_mask():
    x = torch.rand(6, 3, 6, 5, dtype=torch.float64, requires_grad=True)

    def augmented(t):
        return diff_augment(t, FULL, torch.Generator().manual_seed(3), p=0.5)

    assert torch.autograd.gradcheck(augmented, (x,), eps=1e-6, atol=1e-5)
