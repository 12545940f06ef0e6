"""Models: shapes, ranges, conditioning, seeds, and that weights round-trip through the hub."""
import pytest
import torch

from t2ilab import hub
from t2ilab.errors import T2ILabError
from t2ilab.models import build
from t2ilab.models.gan import ConditionalGAN
from t2ilab.models.judge import Judge
from t2ilab.models.vae import ConditionalVAE


def labels(n, classes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.randint(k, (n,), generator=g) for k in classes], 1)


@pytest.mark.parametrize("body", ["conv", "mlp"])
@pytest.mark.parametrize("channels, size, classes", [(3, 32, (4, 6, 2, 5)), (1, 28, (10,)), (1, 28, ())])
def test_vae_shapes_and_generation(channels, size, classes, body):
    torch.manual_seed(0)
    vae = ConditionalVAE(channels=channels, size=size, classes=classes, latent=8, body=body, hidden=64)
    x = torch.rand(5, channels, size, size)
    y = labels(5, classes) if classes else None
    logits, mu, logvar = vae(x, y)
    assert logits.shape == x.shape and mu.shape == logvar.shape == (5, 8)
    y = labels(5, classes) if classes else torch.zeros(5, 0, dtype=torch.long)
    a = vae.generate(y, generator=torch.Generator().manual_seed(1))
    b = vae.generate(y, generator=torch.Generator().manual_seed(1))
    c = vae.generate(y, generator=torch.Generator().manual_seed(2))
    assert a.shape == (5, channels, size, size) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_vae_condition_is_one_hot_per_attribute():
    vae = ConditionalVAE(classes=(4, 6, 2, 5))
    c = vae.condition(torch.tensor([[3, 5, 1, 4], [0, 0, 0, 0]]))
    assert c.shape == (2, 17) and c.sum(1).tolist() == [4.0, 4.0]
    assert c[0, 3] == 1 and c[0, 4 + 5] == 1 and c[0, 10 + 1] == 1 and c[0, 12 + 4] == 1


def test_vae_condition_changes_the_image():
    torch.manual_seed(0)
    vae = ConditionalVAE(classes=(4, 6, 2, 5))
    z = torch.randn(1, 16)
    red, blue = vae.generate(torch.tensor([[0, 0, 1, 0]]), z=z), vae.generate(torch.tensor([[0, 4, 1, 0]]), z=z)
    assert (red - blue).abs().max() > 1e-4


def test_vae_mlp_body_is_one_hidden_layer_each_way():
    vae = ConditionalVAE(channels=1, size=28, classes=(), latent=20, body="mlp", hidden=400)
    # the classic VAE's size: 784-400-(20+20) and 20-400-784
    assert sum(p.numel() for p in vae.parameters()) == (784 * 400 + 400) + (400 * 40 + 40) + (20 * 400 + 400) + (400 * 784 + 784)
    with pytest.raises(T2ILabError, match="body must be 'conv' or 'mlp'"):
        ConditionalVAE(body="transformer")


@pytest.mark.parametrize("make", [Judge, ConditionalVAE, ConditionalGAN])
def test_an_unsupported_image_size_is_one_clear_line(make):
    with pytest.raises(T2ILabError, match="^image size must be 28 or 32, not 64: the models are built for 32×32"):
        make(size=64)


@pytest.mark.parametrize("body", ["conv", "mlp"])
def test_vae_output_bias_starts_at_the_mean_image(body):
    torch.manual_seed(0)
    images = torch.rand(50, 1, 28, 28) * torch.linspace(0.05, 0.9, 28)  # brighter to the right
    vae = ConditionalVAE(channels=1, size=28, classes=(), latent=4, body=body, widths=(8, 8, 8), hidden=16)
    vae.init_output_bias(images)
    last = [m for m in vae.decoder.modules() if isinstance(m, (torch.nn.Linear, torch.nn.ConvTranspose2d))][-1]
    mean = images.mean(0).flatten() if body == "mlp" else images.mean().reshape(1)
    assert torch.allclose(torch.sigmoid(last.bias), mean, atol=1e-5)


@pytest.mark.parametrize("options", [{}, {"projection": True, "auxiliary": False}, {"spectral": True},
                                     {"upsample": True}])
def test_gan_shapes_and_options(options):
    torch.manual_seed(0)
    gan = ConditionalGAN(channels=3, size=32, classes=(4, 6, 2, 5), latent=8, **options)
    y = labels(6, (4, 6, 2, 5))
    fake = gan.generator(torch.randn(6, 8), y)
    assert fake.shape == (6, 3, 32, 32) and fake.min() >= -1 and fake.max() <= 1
    logit, cls = gan.discriminator(fake, y)
    assert logit.shape == (6,)
    assert len(cls) == (0 if options.get("auxiliary") is False else 4)
    names = dict(gan.named_parameters())
    assert any("weight_orig" in n for n in names) == bool(options.get("spectral"))
    assert any("embed" in n for n in names) == bool(options.get("projection"))
    img = gan.generate(y, generator=torch.Generator().manual_seed(0))
    assert 0 <= img.min() and img.max() <= 1


def test_gan_28px_for_fashion():
    gan = ConditionalGAN(channels=1, size=28, classes=(10,), latent=8)
    assert gan.generate(labels(3, (10,))).shape == (3, 1, 28, 28)


@pytest.mark.parametrize("size", [28, 32])
def test_upsample_generator_enlarges_then_convolves_without_transposed_convolutions(size):
    gan = ConditionalGAN(channels=1, size=size, classes=(10,), latent=8, upsample=True)
    kinds = {type(m).__name__ for m in gan.generator.modules()}
    assert "ConvTranspose2d" not in kinds and {"Upsample", "Conv2d"} <= kinds
    assert gan.generate(labels(3, (10,))).shape == (3, 1, size, size)
    assert gan.config["upsample"] is True and "upsample" not in ConditionalGAN(channels=1, size=size, classes=(10,)).config


def test_judge_predicts_and_embeds():
    judge = Judge(channels=3, size=32, classes=(4, 6, 2, 5), hidden=32)
    x = torch.rand(7, 3, 32, 32)
    assert judge.predict(x).shape == (7, 4) and judge.embed(x).shape == (7, 32)
    assert judge.predict(x, batch=3).tolist() == judge.predict(x).tolist()


@pytest.mark.parametrize("kind, model", [("gan", ConditionalGAN(latent=8, spectral=True, dataset="shapes")),
                                         ("gan", ConditionalGAN(latent=8, upsample=True, dataset="shapes")),
                                         ("vae", ConditionalVAE(latent=4, dataset="shapes")),
                                         ("vae", ConditionalVAE(latent=4, body="mlp", hidden=32, dataset="shapes"))])
def test_generators_round_trip_through_the_hub(tmp_path, kind, model):
    hub.save(model, tmp_path / "m.safetensors")
    back = hub.load(tmp_path / "m.safetensors")
    assert (back.kind, back.dataset, type(back)) == (kind, "shapes", type(model))
    y = labels(3, (4, 6, 2, 5))
    model.eval()
    assert torch.equal(model.generate(y, generator=torch.Generator().manual_seed(0)),
                       back.generate(y, generator=torch.Generator().manual_seed(0)))


def test_build_rejects_unknown_kind():
    from t2ilab.errors import T2ILabError

    with pytest.raises(T2ILabError, match="unknown model kind 'diffusion'"):
        build("diffusion", {})


def test_kind_is_part_of_the_class_and_dataset_of_the_constructor():
    from t2ilab.models import KINDS

    assert {k: cls.kind for k, cls in KINDS.items()} == {"gan": "gan", "vae": "vae", "judge": "judge"}
    assert (KINDS["judge"] is Judge) and Judge.kind == "judge"
    judge = build("judge", {"channels": 1, "size": 28, "classes": [10], "hidden": 8}, dataset="fashion")
    assert isinstance(judge, Judge) and (judge.kind, judge.dataset) == ("judge", "fashion")
    assert "dataset" not in judge.config            # config: the architecture; the dataset is its own field
    assert ConditionalVAE(latent=4).dataset is None  # built without one: says so, nothing is guessed


def test_save_takes_kind_and_dataset_from_the_model(tmp_path):
    from safetensors import safe_open

    from t2ilab.errors import T2ILabError

    path = tmp_path / "j.safetensors"
    hub.save(Judge(channels=1, size=28, classes=(10,), hidden=8, dataset="fashion"), path)
    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
    assert (meta["kind"], meta["dataset"]) == ("judge", "fashion")
    with pytest.raises(T2ILabError, match="names no dataset: build it with dataset=NAME"):
        hub.save(Judge(hidden=8), tmp_path / "none.safetensors")
    with pytest.raises(T2ILabError, match=r"has classes \[10\], but 'shapes' has \[4, 6, 2, 9\]"):
        hub.save(Judge(channels=1, size=28, classes=(10,), hidden=8, dataset="shapes"), tmp_path / "x.safetensors")
    hub.save(ConditionalVAE(widths=(8, 8, 8), latent=4, dataset="shapes"), tmp_path / "v.safetensors")
    with safe_open(str(tmp_path / "v.safetensors"), "pt") as f:     # each model writes its own kind
        assert (f.metadata()["kind"], f.metadata()["dataset"]) == ("vae", "shapes")
    assert not (tmp_path / "none.safetensors").exists() and not (tmp_path / "x.safetensors").exists()


@pytest.mark.parametrize("make", [lambda: ConditionalVAE(widths=(8, 8, 8), latent=4),
                                  lambda: ConditionalGAN(latent=4)])
def test_generate_names_the_mistake_in_its_labels_and_z(make):
    model = make()
    good = torch.tensor([[0, 5, 1, 4]])
    assert model.generate(good, z=torch.zeros(1, 4)).shape == (1, 3, 32, 32)
    for bad, says in [(torch.tensor([[0.0, 1.0, 0.0, 1.0]]), r"integer tensor \[B, 4\].*\(1, 4\)"),
                      (torch.tensor([0, 1, 0, 1]), r"\[B, 4\].*got \(4,\)"),
                      (torch.tensor([[0, 1, 0]]), r"got \(1, 3\)"),
                      ([[0, 1, 0, 1]], "got list"),
                      (torch.tensor([[0, 6, 1, 4]]), "attribute 1 of labels must be from 0 to 5, got values from 6 to 6"),
                      (torch.tensor([[0, 0, 1, -1]]), "attribute 3 .* 0 to 8, got values from -1 to -1")]:
        with pytest.raises(T2ILabError, match=says):
            model.generate(bad)
    with pytest.raises(T2ILabError, match=r"z must be a tensor \[1, 4\] .* got \(1, 5\)"):
        model.generate(good, z=torch.zeros(1, 5))


def test_an_unconditional_vae_reads_only_the_batch_size_of_labels():
    vae = ConditionalVAE(classes=(), widths=(8, 8, 8), latent=4)
    assert vae.generate(torch.zeros(3, 4, dtype=torch.long)).shape == (3, 3, 32, 32)
    assert vae.generate(torch.zeros(2, 0, dtype=torch.long)).shape == (2, 3, 32, 32)
