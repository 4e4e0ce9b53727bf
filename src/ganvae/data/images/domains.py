"""Two image domains for unpaired translation (`ganvae task translate`): `DomainData`, images labelled
0 (source) and 1 (target), made from two class groups of a labelled dataset or from two folders.

- Class groups: `--data fashion-mnist --source Sneaker --target "Ankle boot"`, or several classes per side
  (`--source 0,1,2`). Each class is named by the one class rule (`ganvae.data.classes`); the dataset's own
  train/test split is kept, so the test images of both domains are the dataset's test images.
- Folders: `--source DIR --target DIR`, each a folder of images (class sub-folders are merged: the domain
  is the folder). Each folder gets its own seeded 80/20 split (`ganvae.data.images.load`). A gray domain
  beside a colour one is copied to three channels; images of different sizes need `--image-size`.

Anything that would make the task meaningless is refused in one line before anything is written: source
equal to target, a class or folder that does not exist, overlapping groups, a domain without training or
test images.

>>> d = load_domains("1", "0", data="digits")
>>> d.class_names, d.kind, d.num_classes
(['1', '0'], 'domains', 2)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch

from ganvae.data.images import ImageData
from ganvae.errors import ConfigError, DataError

SOURCE, TARGET = 0, 1


@dataclass
class DomainData(ImageData):
    """Images of two domains: label 0 is the source domain, 1 the target; `class_names` names both."""

    kind: ClassVar[str] = "domains"

    @property
    def source_name(self) -> str:
        return (self.class_names or ["source"])[SOURCE]

    @property
    def target_name(self) -> str:
        return (self.class_names or ["", "target"])[TARGET]

    def images(self, split: str, domain: int) -> torch.Tensor:
        """The `split` ("train" / "test") images of `domain` (SOURCE or TARGET)."""
        x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
        return x[y == domain]


def load_domains(
    source: str,
    target: str,
    *,
    data: str | None = None,
    image_size: int | tuple[int, int] | None = None,
) -> DomainData:
    """The two domains: class groups of the labelled dataset `data`, or (no `data`) two image folders."""
    source, target = str(source or "").strip(), str(target or "").strip()
    if not source or not target:
        raise ConfigError(
            "give both --source and --target: two folders of images, or two class groups of --data "
            '(e.g. --data fashion-mnist --source Sneaker --target "Ankle boot")'
        )
    if data:
        return _class_groups(data, source, target, image_size)
    return _folders(source, target, image_size)


def parse_group(text: str, class_names: list[str], option: str) -> list[int]:
    """The class indices a group names: comma-separated class names or indices (the class rule).

    >>> parse_group("0, 2,0", [str(i) for i in range(10)], "--source")
    [0, 2]
    """
    from ganvae.data.classes import resolve_class

    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ConfigError(f"{option} names no class; give a class name or index, e.g. {class_names[0]!r}")
    picked: list[int] = []
    for part in parts:
        try:
            index = resolve_class(part, class_names, what=option)
        except ConfigError as exc:
            # a user who meant folders but also gave --data meets this message: say what the other mode is
            if _looks_like_path(part):
                raise ConfigError(f"{exc} (to translate between two folders, leave out --data)") from None
            raise
        if index not in picked:
            picked.append(index)
    return picked


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.startswith((".", "~"))


def _class_groups(
    spec: str, source: str, target: str, image_size: int | tuple[int, int] | None
) -> DomainData:
    from ganvae.data import load_images

    full = load_images(spec, image_size=image_size)
    if not full.labelled:
        raise DataError(
            f"{full.name} has no labels, so --source and --target cannot name classes of it; give a "
            "labelled dataset (class sub-folders), or two folders as --source and --target without --data"
        )
    names = list(full.class_names or [])
    groups = [parse_group(source, names, "--source"), parse_group(target, names, "--target")]
    if groups[SOURCE] == groups[TARGET] or set(groups[SOURCE]) == set(groups[TARGET]):
        raise ConfigError(
            f"--source and --target name the same classes ({_group_name(groups[SOURCE], names)}); "
            "translation needs two different domains"
        )
    shared = sorted(set(groups[SOURCE]) & set(groups[TARGET]))
    if shared:
        raise ConfigError(
            f"class {names[shared[0]]!r} is in both --source and --target; each class belongs to one domain"
        )
    parts: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
    for split in ("train", "test"):
        x, y = getattr(full, f"x_{split}"), getattr(full, f"y_{split}")
        xs, ys = [], []
        for domain, group in enumerate(groups):
            mask = torch.isin(y, torch.tensor(group))
            if not bool(mask.any()):
                raise DataError(
                    f"the {'source' if domain == SOURCE else 'target'} domain "
                    f"({_group_name(group, names)}) has no {split} images in {full.name}; pick classes "
                    f"that have {split} images"
                )
            xs.append(x[mask])
            ys.append(torch.full((int(mask.sum()),), domain, dtype=torch.long))
        parts[split] = (torch.cat(xs), torch.cat(ys))
    domain_names = [_group_name(g, names) for g in groups]
    return DomainData(
        f"{full.name}: {domain_names[SOURCE]} ↔ {domain_names[TARGET]}",
        parts["train"][0],
        parts["test"][0],
        parts["train"][1],
        parts["test"][1],
        domain_names,
        full.source,
        {**full.meta, "domains": "classes", "groups": [[names[i] for i in g] for g in groups]},
    )


def _group_name(group: list[int], names: list[str]) -> str:
    return "+".join(names[i] for i in group)


def _folders(source: str, target: str, image_size: int | tuple[int, int] | None) -> DomainData:
    from ganvae.data import load_images

    paths = []
    for option, text in (("--source", source), ("--target", target)):
        path = Path(text).expanduser()
        if not path.is_dir():
            what = "does not exist" if not path.exists() else "is not a folder"
            raise DataError(
                f"{option} {text} {what}; give a folder of images, or name classes of a labelled "
                "dataset with --data (e.g. --data digits --source 0 --target 1)"
            )
        paths.append(path.resolve())
    if paths[SOURCE] == paths[TARGET]:
        raise ConfigError(f"--source and --target are the same folder ({paths[SOURCE]}); give two domains")
    if paths[SOURCE] in paths[TARGET].parents or paths[TARGET] in paths[SOURCE].parents:
        raise ConfigError("one of --source and --target is inside the other; give two separate folders")
    loaded = []
    for option, path in zip(("--source", "--target"), paths, strict=True):
        try:
            loaded.append(load_images(path, image_size=image_size))
        except DataError as exc:  # an empty domain, a folder too small to split: say which option
            raise DataError(f"{option}: {exc}") from None
    shapes = [d.shape for d in loaded]
    if shapes[SOURCE][1:] != shapes[TARGET][1:]:
        (_, h0, w0), (_, h1, w1) = shapes
        raise DataError(
            f"source images are {h0}x{w0} and target images {h1}x{w1}; pass --image-size to give both "
            "one size"
        )
    channels = max(s[0] for s in shapes)  # a gray domain beside a colour one: three equal channels
    names = [p.name for p in paths]
    if names[SOURCE] == names[TARGET]:
        names = [str(p) for p in paths]
    parts = {}
    for split in ("train", "test"):
        xs = [getattr(d, f"x_{split}").expand(-1, channels, -1, -1) for d in loaded]
        ys = [torch.full((len(x),), domain, dtype=torch.long) for domain, x in enumerate(xs)]
        parts[split] = (torch.cat(xs).contiguous(), torch.cat(ys))
    meta = {
        "domains": "folders",
        "split": "seeded",
        "folders": [str(p) for p in paths],
        **({"image_size": loaded[0].meta["image_size"]} if "image_size" in loaded[0].meta else {}),
    }
    return DomainData(
        f"{names[SOURCE]} ↔ {names[TARGET]}",
        parts["train"][0],
        parts["test"][0],
        parts["train"][1],
        parts["test"][1],
        names,
        f"{paths[SOURCE]} | {paths[TARGET]}",
        meta,
    )
