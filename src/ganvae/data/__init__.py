"""Image data: load any source (built-in name, folder, .npz, IDX) as one `ImageData`, or download one.

>>> from ganvae.data import load_images
>>> load_images("digits").x_train.shape
torch.Size([1437, 1, 8, 8])
"""

from ganvae.data.fetch import fetch_dataset
from ganvae.data.images import ImageData
from ganvae.data.load import load_images

__all__ = ["ImageData", "fetch_dataset", "load_images"]
