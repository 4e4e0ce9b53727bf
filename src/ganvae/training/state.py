"""Trainer state as safetensors + JSON: optimizer states and RNG states without pickle.

`torch.save` would pickle the optimizer state, and loading a pickle can execute code; so the state dict
is flattened here into tensors (safetensors) and plain values (JSON).
"""

from __future__ import annotations

from typing import Any

import torch


def optimizer_to_flat(
    name: str, opt: torch.optim.Optimizer
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    sd = opt.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    state_meta: dict[str, dict[str, Any]] = {}
    for idx, entries in sd["state"].items():
        meta: dict[str, Any] = {}
        for key, value in entries.items():
            if torch.is_tensor(value):
                tensors[f"opt.{name}.{idx}.{key}"] = value.detach().cpu().contiguous()
                meta[key] = {"tensor": True}
            else:
                meta[key] = value
        state_meta[str(idx)] = meta
    return tensors, {"state": state_meta, "param_groups": sd["param_groups"]}


def optimizer_from_flat(
    name: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict
) -> None:
    state: dict[int, dict[str, Any]] = {}
    for idx, entries in meta["state"].items():
        state[int(idx)] = {
            key: tensors[f"opt.{name}.{idx}.{key}"] if isinstance(v, dict) and v.get("tensor") else v
            for key, v in entries.items()
        }
    groups = []
    for g in meta["param_groups"]:
        g = dict(g)
        for key, value in g.items():
            if key != "params" and isinstance(value, list):
                g[key] = tuple(value)  # JSON turned tuples (betas) into lists
        groups.append(g)
    opt.load_state_dict({"state": state, "param_groups": groups})
    # Saved states are contiguous, but the loop trains conv weights channels_last. A fused Adam walks a
    # parameter's and its states' memory in one order, so each state takes its parameter's layout again
    # (without this a resumed run drifted from an uninterrupted one).
    for param, entries in opt.state.items():
        for key, value in entries.items():
            if torch.is_tensor(value) and value.shape == param.shape and value.stride() != param.stride():
                entries[key] = torch.empty_like(param, dtype=value.dtype).copy_(value)


def rng_to_flat() -> dict[str, torch.Tensor]:
    out = {"rng.cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng.cuda.{i}"] = s
    return out


def rng_from_flat(tensors: dict[str, torch.Tensor]) -> None:
    torch.set_rng_state(tensors["rng.cpu"].to(torch.uint8))
    cuda = sorted(k for k in tensors if k.startswith("rng.cuda."))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensors[k].to(torch.uint8) for k in cuda])
