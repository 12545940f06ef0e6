"""Prompt in, images out: parse the words, fill what they leave open, run the generator once."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from . import hub
from .errors import T2ILabError


@lru_cache(maxsize=8)
def _load(name: str, path: str, version: tuple) -> torch.nn.Module:
    return hub.load(name)


def _cached(name: str) -> torch.nn.Module:
    """hub.load, cached per file *version*: a model trained again into the same folder is reloaded."""
    path, _ = hub.resolve(name)
    try:
        st = path.stat()
        version = (st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        version = ()
    return _load(name, str(path.resolve()), version)


def default_model(prompt: str | None) -> str:
    """The shipped generator used when no model is named: the VAE (else GAN) of the prompt's dataset."""
    from .text import guess_dataset

    dataset = guess_dataset(prompt or "")
    shipped = hub.manifest()
    names = [f"{dataset}-vae", f"{dataset}-gan"] + [k for k, v in shipped.items() if v["dataset"] == dataset]
    model = next((n for n in names if n in shipped and shipped[n]["kind"] != "judge"), None)
    if model is None:
        raise T2ILabError(f"no shipped model for {dataset!r}: train one with `t2ilab train vae --dataset {dataset}`")
    return model


def get_model(model: str | torch.nn.Module | None, prompt: str | None = None) -> torch.nn.Module:
    """A model object from a name, path or module; with none, the shipped VAE for the prompt's dataset."""
    if isinstance(model, torch.nn.Module):
        return model
    return _cached(str(default_model(prompt) if model is None else model))


def generate(prompt: str, model: str | torch.nn.Module | None = None, n: int = 8, seed: int = 0,
             z: torch.Tensor | None = None, attributes: dict | None = None,
             adapter: str | Path | torch.nn.Module | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` images [n, C, H, W] in [0,1] for `prompt`, and the attribute labels they were made from.

    The same seed gives the same images (on the same machine): it fixes both the open attributes
    and the latent noise. `attributes` (e.g. from `expand_prompt`) replace the parse of `prompt`.
    `adapter` (a folder made by `t2ilab feedback`, or a `t2ilab.rl.PreferenceAdapter`) draws the
    open attributes and z with the learned taste instead of uniformly.
    """
    from .text import labels_for

    from .validate import check_seed

    if isinstance(n, bool) or not isinstance(n, int) or n < 1 or n > 1024:
        raise T2ILabError(f"-n {n} is out of range: ask for 1 to 1024 images")
    check_seed(seed)
    if adapter is not None:  # a learned taste: on its own base model (checked), else the model it names
        from .rl import load_adapter

        ad = adapter if isinstance(adapter, torch.nn.Module) else load_adapter(adapter, model=model)
        draw = ad.sample(prompt if attributes is None else attributes, n, seed=seed)
        return ad.images(draw), draw.labels
    net = get_model(model, prompt)
    if getattr(net, "kind", None) == "judge":
        raise T2ILabError("that model is a judge, which reads images: pick a generator (a -vae or -gan model)")
    labels = labels_for(prompt if attributes is None else attributes, net.dataset, n=n, seed=seed)
    gen = torch.Generator().manual_seed(seed)
    return net.generate(labels, z=z, generator=gen).cpu(), labels


def grid(images: torch.Tensor, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """Images [n, C, H, W] tiled `nrow` to a row with `padding` pixels of `pad_value` around each
    (torchvision's `make_grid`: a grey image is drawn as RGB, a single image has no border)."""
    n, c, h, w = images.shape
    if c == 1:
        images = images.expand(n, 3, h, w)
    if n == 1:
        return images[0]
    cols, rows = min(nrow, n), -(-n // min(nrow, n))
    out = torch.full((3, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value,
                     dtype=images.dtype)
    for i, image in enumerate(images):
        y, x = padding + (i // cols) * (h + padding), padding + (i % cols) * (w + padding)
        out[:, y:y + h, x:x + w] = image
    return out


def save_grid(images: torch.Tensor, out: str | Path, scale: int = 4, force: bool = False) -> Path:
    """Save images as one PNG (or JPEG) grid, enlarged `scale` times (nearest neighbour) so pixels
    stay crisp. An existing file is replaced only if t2ilab wrote it, or with `force`.

    PIL writes the bytes (torchvision's import took 2.3 s of a 4.2 s `t2ilab generate`); the pixels
    are those `torchvision.utils.save_image` wrote: x * 255 + 0.5, clamped, truncated to uint8."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    from .validate import MARK, check_output_file

    out = check_output_file(out, (".png", ".jpg", ".jpeg"), "output", force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    big = torch.nn.functional.interpolate(images, scale_factor=scale, mode="nearest")
    pixels = grid(big, nrow=min(8, len(images))).mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0)
    try:
        image = Image.fromarray(pixels.to(torch.uint8).numpy())
        if out.suffix.lower() == ".png":
            info = PngInfo()
            info.add_text("Software", MARK)  # marks the file as ours: the next run may replace it
            image.save(out, pnginfo=info)
        else:
            image.save(out, comment=MARK)
    except OSError as e:
        raise T2ILabError(f"could not write {out} ({e.strerror or e}): choose another file") from None
    return out


def generate_grid(prompt: str, model: str | torch.nn.Module | None = None, n: int = 8, seed: int = 0,
                  out: str | Path = "out.png", attributes: dict | None = None,
                  adapter: str | Path | None = None, force: bool = False) -> Path:
    """`t2ilab generate`: images for a prompt saved as a grid PNG (with `adapter`: a learned taste).
    An existing `out` is replaced only if t2ilab wrote it, or with `force`.

    Without a model, one line on stderr names the shipped model it picked."""
    import sys

    from .validate import check_output_file, check_seed

    check_output_file(out, (".png", ".jpg", ".jpeg"), "output", force=force)  # before any work
    check_seed(seed, "--seed")
    if model is None and adapter is None:  # an adapter names its own base model
        model = default_model(prompt)
        print(f"t2ilab generate: using the shipped model {model} (choose another with --model)", file=sys.stderr)
    images, _ = generate(prompt, model=model, n=n, seed=seed, attributes=attributes, adapter=adapter)
    return save_grid(images, out, force=force)


_OFFLINE = "; the offline parser was used instead"


def expand_prompt(prompt: str, model: str | torch.nn.Module | None = None) -> tuple[str | torch.nn.Module, dict, str]:
    """`t2ilab generate --expand`: (model, attributes, one-line note) with the language model at $T2ILAB_LLM_URL.

    `model` comes back as given, or as the shipped model's name (`default_model`) when it was None.

    The note says what the language model answered, or why the offline parser answered instead
    (no endpoint set, or the call failed: `t2ilab.text.llm.expand` falls back, never fails).
    """
    import json
    import os
    import warnings

    from .text import expand
    from .text.parse import check_prompt

    check_prompt(prompt)  # an empty or overlong prompt is the user's mistake, not a fallback
    try:
        model = default_model(prompt) if model is None else model
    except T2ILabError as e:
        raise T2ILabError(f"{e}; with --expand, name the model (e.g. --model shapes-vae) so that the "
                          f"language model knows which attributes to answer") from None
    net = get_model(model)
    if getattr(net, "kind", None) == "judge":
        raise T2ILabError("that model is a judge, which reads images: pick a generator (a -vae or -gan model)")
    reason = "" if os.environ.get("T2ILAB_LLM_URL", "").strip() else "T2ILAB_LLM_URL is not set"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            attributes, source = expand(prompt, net.dataset)
        except T2ILabError as e:
            reason = str(caught[-1].message).replace("; using the offline parser", "") if caught else reason
            if not reason:
                raise
            raise T2ILabError(f"{reason}{_OFFLINE}, and it refused the prompt: {e}") from None
    if source == "llm":
        note = f"the language model read the prompt as {json.dumps(attributes, ensure_ascii=False)}"
    else:
        reason = str(caught[-1].message).replace("; using the offline parser", "") if caught else reason
        note = reason + _OFFLINE
    return model, attributes, note
