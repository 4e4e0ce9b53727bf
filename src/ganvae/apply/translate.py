"""`ganvae translate RUN image.png --out styled.png [--reverse]`: one image translated by a model trained
by `ganvae task translate` (source → target, or target → source with `reverse`).

The image is fitted to the model as `ganvae morph` fits it (`ganvae.data.images.named`): resized to the
model's size and converted between colour and gray; unlike morph, every conversion is said in the
result's `notes`, since the user gave one picture and should know what the model saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ganvae.errors import DataError


def translate_file(folder: Path, image: Path, out: Path, *, reverse: bool = False) -> dict[str, Any]:
    """Translate `image` with the model in `folder`; write `out` (PNG, the model's size); return what was
    done: model, direction (domain names), notes on conversions."""
    from ganvae.atomic import atomic_path
    from ganvae.data.images.domains import SOURCE, TARGET
    from ganvae.data.images.folder import decode_image, is_image_file
    from ganvae.data.images.named import load_named_images
    from ganvae.grid import make_grid, to_pil
    from ganvae.models.base import GenerativeModel
    from ganvae.models.domains import translate

    image = Path(image)
    if not is_image_file(image):
        what = "does not exist" if not image.exists() else "is not an image file (png, jpg, ...)"
        raise DataError(f"{image} {what}; give one image to translate")
    model = GenerativeModel.load(folder)
    channels, height, width = model.shape
    pixels, gray = decode_image(image, image.parent)
    notes = []
    if (1 if gray else 3) != channels:
        notes.append(
            f"{image.name} is {'gray' if gray else 'colour'}; converted to "
            + ("gray (luma)" if channels == 1 else "colour (three equal channels)")
            + f" for the model's {channels} channel{'s' if channels > 1 else ''}"
        )
    if pixels.shape[:2] != (height, width):
        notes.append(
            f"{image.name} is {pixels.shape[0]}x{pixels.shape[1]}; resized to the model's {height}x{width}"
        )
    _, x = load_named_images(image, model.shape)
    src, dst = (TARGET, SOURCE) if reverse else (SOURCE, TARGET)
    out_image = translate(model, x, dst)
    with atomic_path(out, suffix=".png") as tmp:
        to_pil(make_grid(out_image, nrow=1, pad=0)).save(tmp, format="PNG")
    names = model.class_names or ["source", "target"]
    return {"model": model.registered_name, "from": names[src], "to": names[dst], "notes": notes}
