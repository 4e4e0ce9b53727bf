"""Write a small labelled image folder cut from Fashion-MNIST's training set (issue 21's target data).

    python bench/small_folder.py /tmp/fm375 --images 375 --size 25

One sub-folder per class (class-balanced, seeded), each image resized with Pillow's antialiased
Lanczos filter to an odd size, so that the folder exercises the odd-size networks. ganvae's default
split (20 % test, stratified) then leaves 300 training images.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from ganvae.data import load_images


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--images", type=int, default=375)
    p.add_argument("--size", type=int, default=25)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    data = load_images("fashion-mnist")
    x, y = data.x_train.numpy(), data.y_train.numpy()
    rng = np.random.default_rng(a.seed)
    k = data.num_classes
    per = [a.images // k + (c < a.images % k) for c in range(k)]
    for c, name in enumerate(data.class_names):
        folder = a.out / name.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        for j, i in enumerate(rng.choice(np.flatnonzero(y == c), per[c], replace=False)):
            img = Image.fromarray((x[i, 0] * 255).round().astype(np.uint8), mode="L")
            img.resize((a.size, a.size), Image.LANCZOS).save(folder / f"{j:04d}.png")
    print(f"wrote {sum(per)} images of {a.size}x{a.size} in {k} class folders under {a.out}")


if __name__ == "__main__":
    main()
