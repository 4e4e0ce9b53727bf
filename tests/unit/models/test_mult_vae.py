"""Mult-VAE's sparse input layer against the dense computation it replaces (Liang et al.'s
`Linear(dropout(normalize(x)))`)."""

import pytest
import torch
import torch.nn.functional as F

from ganvae.models.mult_vae import SparseRowsLinear


def _rows(n=40, m=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, m, generator=g) < 0.1).float()
    x[3] = 0.0  # a user with no interactions
    x[5, :4] = torch.tensor([2.0, 0.0, 5.0, 1.0])  # counts, not only 0/1
    return x


@pytest.mark.parametrize("route", ["sparse", "dense"])  # CPU / GPU route, both run here on the CPU
def test_eval_output_and_gradients_equal_the_dense_layer(route):
    torch.manual_seed(0)
    x = _rows()
    layer = SparseRowsLinear(60, 16, dropout=0.5).eval()
    dense_w = layer.weight.detach().clone().requires_grad_(True)
    dense_b = layer.bias.detach().clone().requires_grad_(True)
    ref = F.linear(F.normalize(x, dim=1), dense_w, dense_b)
    out = getattr(layer, route)(x)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(out[3], layer.bias.detach())  # an empty row gives the bias alone
    out.tanh().pow(2).sum().backward()
    ref.tanh().pow(2).sum().backward()
    torch.testing.assert_close(layer.weight.grad, dense_w.grad, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(layer.bias.grad, dense_b.grad, atol=1e-6, rtol=1e-5)


def test_training_dropout_is_inverted_dropout_of_the_normalised_row():
    torch.manual_seed(0)
    x = _rows(n=6, m=30)
    layer = SparseRowsLinear(30, 8, dropout=0.5).train()
    with torch.no_grad():
        layer.weight.copy_(torch.eye(8, 30))  # output j = the input's entry j: dropout is visible
        layer.bias.zero_()
        draws = torch.stack([layer.sparse(x) for _ in range(4000)])
    normalised = F.normalize(x, dim=1)[:, :8]
    nonzero = normalised != 0
    # each kept entry is scaled by 1 / (1 - p), each dropped one is 0, zeros stay 0
    kept = draws[:, nonzero]
    assert torch.all((kept == 0) | torch.isclose(kept, 2 * normalised[nonzero].expand_as(kept)))
    assert torch.all(draws[:, ~nonzero] == 0)
    assert abs(float((kept != 0).float().mean()) - 0.5) < 0.03
    torch.testing.assert_close(draws.mean(0), normalised, atol=0.06, rtol=0.0)  # unbiased


def test_encoder_flops_count_the_sparse_input_layer():
    from ganvae.models import build_model
    from ganvae.nn.flops import capacity_table

    n, hidden, latent = 50, 16, 4
    model = build_model("mult-vae", (n,), overrides={"hidden": hidden, "latent_dim": latent})
    rows = {r["part"]: r["flops"] for r in capacity_table(model)}
    # `parts` feeds dense random rows, so the input layer does every multiply-add of a dense one
    assert rows["encoder"] == 2 * (n * hidden + hidden * 2 * latent)
    assert rows["decoder"] == 2 * (latent * hidden + hidden * n)


def test_input_weight_is_nn_linears_stored_transposed_so_no_step_copies_it():
    torch.manual_seed(0)
    reference = torch.nn.Linear(60, 16)
    torch.manual_seed(0)
    layer = SparseRowsLinear(60, 16, dropout=0.5)
    assert torch.equal(layer.weight, reference.weight)  # the same draw: seeded runs are unchanged
    assert layer.weight.shape == (16, 60) and layer.weight.t().is_contiguous()
    opt = torch.optim.Adam(layer.parameters(), fused=True)
    layer.sparse(_rows()).sum().backward()
    assert layer.weight.grad.t().is_contiguous()  # the gradient arrives in the same order
    opt.step()
    state = {k: v.contiguous() for k, v in layer.state_dict().items()}  # as checkpoints are written
    assert state["weight"].shape == (16, 60)  # nn.Linear's key and shape
    fresh = SparseRowsLinear(60, 16, dropout=0.5)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.weight, layer.weight) and fresh.to("cpu").weight.t().is_contiguous()
