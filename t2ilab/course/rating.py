"""The rating panel: rate a grid of candidates for a prompt, press update, watch what the adapter learned.

`RatingPanel(session)` drives a `t2ilab.rl.FeedbackSession` (or anything with the same methods:
`candidates`, `rate`, `rate_pair`, `update`, `undo`, `rounds`, `discounted_return`, `prompt`, `n`).
Lesson 04 and the studio page use it. Three ways to rate:

- "like": a toggle under each candidate (description "like candidate 1", ...); liked = 5 stars, the
  others 1 star;
- "stars": 1 to 5 under each candidate ("stars for candidate 1", ...);
- "better of two": only the first two candidates are shown; choose one ("better of two").

Buttons "update" (rate and learn, then show the next round's candidates) and "undo" (take the last
round back: policy and ratings), a slider "γ" for the session's discounted return, and the curves of
every round so far (mean rating, liked share, the simulated rater's gold utility when there is one,
prompt accuracy and KL to the pretrained sampler), redrawn as a PNG after each round.
`panel.auto(rater, rounds)` lets a simulated rater set the same controls and press update, for
self-study and the tests. Every control has a description; every image's tooltip (its title, the
alt text of the static rendering) names the prompt.

The panel's display output also carries a static rendering (HTML with alt texts, a PNG and a line of
text), so a notebook saved with widget state stripped still shows the candidates and the curves.
"""
from __future__ import annotations

import base64
import html
import io

import ipywidgets as widgets

from ..errors import T2ILabError
from ..fonts import pil_font
from .widgets import alt_image, tensor_png

MODES = (("like", "like"), ("stars", "stars"), ("better of two", "pair"))


def _img(png: bytes, alt: str, width: int | None = None) -> str:
    size = f" width='{width}'" if width else ""
    return (f"<img alt='{html.escape(alt, quote=True)}'{size} "
            f"src='data:image/png;base64,{base64.b64encode(png).decode()}' style='image-rendering:pixelated'>")


_COLORS = {"mean_rating": (31, 119, 180), "liked_share": (255, 127, 14), "gold": (44, 160, 44),
           "prompt_accuracy": (148, 103, 189), "kl": (214, 39, 40)}
# (title, [(key, label)], y range or None for 0..max)
_PANELS = (("ratings", [("mean_rating", "mean rating (1-5)")], (1.0, 5.0)),
           ("shares", [("liked_share", "liked share"), ("gold", "gold utility (hidden)"),
                       ("prompt_accuracy", "prompt accuracy")], (0.0, 1.0)),
           ("KL", [("kl", "KL(pi || pi_ref), nats")], None))


def curves_png(rounds: list[dict], prompt: str, width: int = 900, height: int = 236) -> bytes:
    """The per-round curves as PNG bytes, drawn with PIL (a few ms, no matplotlib in the round's path).

    Three panels: the mean rating (1-5); the liked share, the simulated rater's hidden gold utility and
    the judge's prompt accuracy (0-1); the KL to the pretrained sampler (nats).
    """
    from PIL import Image as PILImage
    from PIL import ImageDraw

    font = pil_font(11)
    img = PILImage.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    d.text((8, 4), f"what was learned for \u201c{prompt}\u201d, round by round", fill="black", font=font)
    t = [r.get("round", i + 1) for i, r in enumerate(rounds)]
    pw = width // 3
    for p, (title, keys, yrange) in enumerate(_PANELS):
        x0, x1, y0, y1 = p * pw + 46, (p + 1) * pw - 12, 40, height - 74  # plot box
        values = {k: [r.get(k) for r in rounds] for k, _ in keys}
        if yrange is None:
            top = max([v for vs in values.values() for v in vs if v is not None] + [1e-3])
            yrange = (0.0, top * 1.1)
        lo, hi = yrange
        d.rectangle([x0, y0, x1, y1], outline=(120, 120, 120))
        for frac in (0.0, 0.5, 1.0):
            y = y1 - frac * (y1 - y0)
            d.line([x0 - 3, y, x0, y], fill=(120, 120, 120))
            d.text((x0 - 6, y), f"{lo + frac * (hi - lo):.3g}", fill="black", font=font, anchor="rm")
        n = max(len(t), 1)
        xs = [x0 + (x1 - x0) * (i + 0.5) / n for i in range(len(t))]
        for i, x in enumerate(xs):
            if len(t) <= 12 or i % (len(t) // 8 + 1) == 0:
                d.text((x, y1 + 4), str(t[i]), fill="black", font=font, anchor="ma")
        d.text(((x0 + x1) / 2, y1 + 17), "round", fill=(90, 90, 90), font=font, anchor="ma")
        if not rounds:
            d.text(((x0 + x1) / 2, (y0 + y1) / 2), "no rounds yet", fill=(140, 140, 140), font=font, anchor="mm")
        for j, (key, label) in enumerate(keys):
            color = _COLORS[key]
            pts = [(x, y1 - (min(max(v, lo), hi) - lo) / (hi - lo) * (y1 - y0))
                   for x, v in zip(xs, values[key]) if v is not None]
            if len(pts) > 1:
                d.line(pts, fill=color, width=2)
            for x, y in pts:
                d.ellipse([x - 2.5, y - 2.5, x + 2.5, y + 2.5], fill=color)
            d.line([x0, y1 + 36 + 13 * j, x0 + 14, y1 + 36 + 13 * j], fill=color, width=2)
            d.text((x0 + 18, y1 + 36 + 13 * j), label, fill="black", font=font, anchor="lm")
        d.text((x0, y0 - 4), title, fill="black", font=font, anchor="ld")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class RatingPanel(widgets.VBox):
    """A grid of candidates for the session's prompt, rated by likes, stars or the better of two.

    Stable descriptions (screen readers, browser tests): "prompt", "rate by", "like candidate K",
    "stars for candidate K", "better of two", "update", "undo", "γ"; the candidates are `.images[k]`
    (`ipywidgets.Image`, tooltip naming the prompt), the curves `.curves`, the status line `.status`.
    """

    def __init__(self, session, mode: str = "like", columns: int = 8, scale: int = 3) -> None:
        modes = [m for _, m in MODES]
        if mode not in modes:
            raise T2ILabError(f"mode must be one of {', '.join(modes)}, got {mode!r}")
        self.session, self.scale, self.message = session, int(scale), ""
        n = int(session.n)
        style = {"description_width": "initial"}
        self.prompt = widgets.Text(value=str(session.prompt), description="prompt", continuous_update=False,
                                   style=style, layout=widgets.Layout(width="28em"),
                                   tooltip="the prompt this session learns; a new prompt starts a new session "
                                           "while no round has been rated")
        self.mode = widgets.ToggleButtons(options=list(MODES), value=mode, description="rate by", style=style)
        self.status = widgets.HTML(description="status", style=style)
        side = 32 * self.scale
        self.images = [alt_image(layout=widgets.Layout(width=f"{side}px", height=f"{side}px"))
                       for _ in range(n)]
        self.likes = [widgets.ToggleButton(value=False, description=f"like candidate {k + 1}", icon="heart",
                                           tooltip=f"like candidate {k + 1}",
                                           layout=widgets.Layout(width=f"{max(side, 120)}px"))
                      for k in range(n)]
        self.stars = [widgets.ToggleButtons(options=[(str(s), s) for s in range(1, 6)], value=3,
                                            description=f"stars for candidate {k + 1}",
                                            tooltips=[f"{s} star{'s' * (s > 1)} for candidate {k + 1}" for s in range(1, 6)],
                                            style={"description_width": "0px", "button_width": "22px"},
                                            layout=widgets.Layout(width=f"{max(side, 120)}px"))
                      for k in range(n)]
        self.better = widgets.ToggleButtons(options=[("candidate 1", True), ("candidate 2", False)], value=None,
                                            description="better of two", style=style)
        self.cells = [widgets.VBox([img, like, star], layout=widgets.Layout(align_items="center"))
                      for img, like, star in zip(self.images, self.likes, self.stars)]
        self.grid = widgets.GridBox(self.cells, layout=widgets.Layout(
            grid_template_columns=f"repeat({min(columns, n)}, max-content)", grid_gap="4px"))
        self.update_button = widgets.Button(description="update", button_style="primary", icon="refresh",
                                            tooltip="send the ratings, learn from them, show the next candidates")
        self.undo_button = widgets.Button(description="undo", icon="undo", tooltip="take back the last round")
        self.gamma = widgets.FloatSlider(value=float(getattr(session, "gamma", 0.9)), min=0.0, max=1.0, step=0.05,
                                         description="γ", tooltip="discount of the session's return")
        self.ret = widgets.HTML(description="return", style=style)
        self.curves = alt_image()
        super().__init__([widgets.HBox([self.prompt, self.mode]), self.status, self.grid, self.better,
                          widgets.HBox([self.update_button, self.undo_button, self.gamma, self.ret]), self.curves])
        self.update_button.on_click(lambda _b: self.press_update())
        self.undo_button.on_click(lambda _b: self.press_undo())
        self.mode.observe(lambda _c: self._layout(), names="value")
        self.gamma.observe(lambda _c: self._show_return(), names="value")
        self.prompt.observe(lambda c: self._new_prompt(c["new"]), names="value")
        self._refresh()

    # -- what the controls say ------------------------------------------------------------------
    def scores(self) -> list[float]:
        """The current ratings as 1..5 per candidate (like mode: liked 5, others 1)."""
        if self.mode.value == "like":
            return [5.0 if t.value else 1.0 for t in self.likes]
        return [float(s.value) for s in self.stars]

    def liked(self) -> list[int]:
        """Indices of the liked candidates (like mode)."""
        return [k for k, t in enumerate(self.likes) if t.value]

    # -- the buttons ---------------------------------------------------------------------------
    def press_update(self, gold=None) -> dict | None:
        """Send the ratings, learn, show the next round; returns the round's record (None if refused)."""
        s = self.session
        try:
            if self.mode.value == "pair":
                if self.better.value is None:
                    raise T2ILabError("choose the better of the two candidates first, then press update")
                s.rate_pair(bool(self.better.value))
            else:
                s.rate(self.scores(), gold=gold)
            record = s.update()
        except T2ILabError as e:
            self.message = f"refused: {' '.join(str(e).split())}"
            self._show_status()
            return None
        self.message = (f"round {record.get('round', len(s.rounds))} learned: mean rating "
                        f"{record['mean_rating']:.2f}, KL {record['kl']:.3f} nats")
        self._refresh()
        return record

    def press_undo(self) -> None:
        """Take back the last round: the adapter and the candidates go back to before it."""
        s = self.session
        before = len(s.rounds)
        try:
            s.undo()  # drops the shown (unrated) candidates first, if any
            if len(s.rounds) == before:
                if not before:
                    raise T2ILabError("nothing to undo: no round has been rated yet")
                s.undo()
        except T2ILabError as e:
            self.message = f"refused: {' '.join(str(e).split())}"
            self._refresh()
            return
        self.message = f"round {before} taken back"
        self._refresh()

    def auto(self, rater, rounds: int = 5) -> list[dict]:
        """Let `rater` set the controls and press update, `rounds` times; returns the rounds' records.

        A simulated rater (`t2ilab.rl.SimulatedRater`) also hands over its hidden gold utility, so the
        curves show what it really wanted.
        """
        records = []
        s = self.session
        for _ in range(int(rounds)):
            images, draw = s.candidates()
            if getattr(rater, "attribute", 0) is None and getattr(rater, "line", 0) is None:
                rater.calibrate(s.model, s.prompt, seed=getattr(s, "seed", 0))  # a style taste's line
            gold = rater.gold(images, draw.labels).tolist() if hasattr(rater, "gold") else None
            if self.mode.value == "like":
                liked = rater.likes(images, draw.labels).tolist()
                for toggle, v in zip(self.likes, liked):
                    toggle.value = bool(v)
            elif self.mode.value == "stars":
                for control, v in zip(self.stars, rater.rate(images, draw.labels).tolist()):
                    control.value = int(round(v))
            else:
                a_better = rater.prefer(images[:1], draw.labels[:1], images[1:2], draw.labels[1:2])
                self.better.value = bool(a_better[0])
                gold = None
            record = self.press_update(gold=gold)
            if record is None:
                raise T2ILabError(self.message)
            records.append(record)
        return records

    # -- drawing ---------------------------------------------------------------------------------
    def _refresh(self) -> None:
        """Show the session's current candidates with fresh controls, the status, the return, the curves."""
        s = self.session
        self.candidates, self.draw = s.candidates()
        self.pngs = []
        for k, (img, like, star) in enumerate(zip(self.images, self.likes, self.stars)):
            png = tensor_png(self.candidates[k:k + 1], scale=self.scale, pad=0)
            self.pngs.append(png)
            img.value = png
            img.tooltip = self.alt(k)
            like.value, star.value = False, 3
        self.better.value = None
        self._layout()
        self._show_return()
        self.curves_png = curves_png(list(s.rounds), str(s.prompt))
        self.curves.value = self.curves_png
        self.curves.tooltip = f"curves of {len(s.rounds)} rounds for the prompt {s.prompt!r}"

    def alt(self, k: int) -> str:
        """Alt text of candidate k: which candidate, of which round, for which prompt."""
        return (f"candidate {k + 1} of {self.session.n} for the prompt {self.session.prompt!r}, "
                f"round {len(self.session.rounds) + 1}")

    def label(self, k: int) -> str:
        """Candidate k's number and its current rating, for the static rendering."""
        if self.mode.value == "like":
            return f"{k + 1}: liked" if self.likes[k].value else f"{k + 1}"
        if self.mode.value == "stars":
            return f"{k + 1}: {self.stars[k].value}★"
        chosen = self.better.value is not None and self.better.value == (k == 0)
        return f"{k + 1}" + (": better" if chosen else "")

    def _layout(self) -> None:
        pair = self.mode.value == "pair"
        for k, (cell, like, star) in enumerate(zip(self.cells, self.likes, self.stars)):
            cell.layout.display = "none" if pair and k >= 2 else None
            like.layout.display = None if self.mode.value == "like" else "none"
            star.layout.display = None if self.mode.value == "stars" else "none"
        self.better.layout.display = None if pair else "none"
        self._show_status()

    def _show_status(self) -> None:
        s = self.session
        how = {"like": "toggle the ones you like", "stars": "give each 1 to 5 stars",
               "pair": "choose the better of the first two"}[self.mode.value]
        line = (f"round {len(s.rounds) + 1}: {s.n} candidates for “{html.escape(str(s.prompt))}”; {how}, "
                "then press update")
        if self.message:
            line += f"<br>{html.escape(self.message)}"
        self.status.value = line

    def _show_return(self) -> None:
        s, g = self.session, self.gamma.value
        self.ret.value = (f"R = Σ γ<sup>t−1</sup> r<sub>t</sub> = {s.discounted_return(gamma=g):.2f} over "
                          f"{len(s.rounds)} round{'s' * (len(s.rounds) != 1)} (γ = {g:.2f})")

    def _new_prompt(self, prompt: str) -> None:
        s = self.session
        if prompt == s.prompt:
            return
        if s.rounds:
            self.message = (f"refused: this session has learned {len(s.rounds)} rounds for “{s.prompt}”; "
                            "undo them all, or start a new panel for another prompt")
            self.prompt.value = str(s.prompt)
            self._show_status()
            return
        same = {k: getattr(s, k) for k in ("hidden", "steps", "lr", "temperature", "pool", "judge") if hasattr(s, k)}
        try:  # the same settings for the new prompt; force: the file holds no rated round (checked above)
            self.session = type(s)(prompt, getattr(s, "model_name", None) or s.model, rule=s.rule, n=s.n,
                                   gamma=s.gamma, kl_weight=s.kl_weight, path=s.path, seed=s.seed, force=True, **same)
        except T2ILabError as e:
            self.message = f"refused: {' '.join(str(e).split())}"
            self.prompt.value = str(s.prompt)
            self._show_status()
            return
        self.message = ""
        self._refresh()

    # -- the static rendering ----------------------------------------------------------------------
    def static_png(self) -> bytes:
        """The panel's state as one PNG: the candidates with their ratings under them, and the curves."""
        from PIL import Image as PILImage
        from PIL import ImageDraw

        font = pil_font(11)
        shown = 2 if self.mode.value == "pair" else len(self.images)
        cols = min(8, shown)
        rows = -(-shown // cols)
        side, gap, cap = 32 * self.scale, 6, 16
        head = 22
        width = max(cols * (side + gap) + gap, 900)
        img = PILImage.new("RGB", (width, head + rows * (side + cap + gap)), "white")
        d = ImageDraw.Draw(img)
        d.text((gap, 5), f"round {len(self.session.rounds) + 1}: candidates for \u201c{self.session.prompt}\u201d",
               fill="black", font=font)
        for k in range(shown):
            r, c = divmod(k, cols)
            x, y = gap + c * (side + gap), head + r * (side + cap + gap)
            img.paste(PILImage.open(io.BytesIO(self.pngs[k])).convert("RGB"), (x, y))
            liked = self.mode.value == "like" and self.likes[k].value
            if liked:
                d.rectangle([x - 2, y - 2, x + side + 1, y + side + 1], outline=(214, 39, 40), width=2)
            d.text((x + side / 2, y + side + 2), self.label(k).replace("\u2605", " stars"), fill="black", font=font,
                   anchor="ma")
        curves = PILImage.open(io.BytesIO(self.curves_png)).convert("RGB")
        out = PILImage.new("RGB", (max(img.width, curves.width), img.height + curves.height), "white")
        out.paste(img, (0, 0))
        out.paste(curves, (0, img.height))
        buf = io.BytesIO()
        out.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def summary(self) -> str:
        """One line of text: the prompt, the rounds, the last round's numbers, the return."""
        s = self.session
        last = s.rounds[-1] if s.rounds else None
        text = f"RatingPanel: “{s.prompt}”, {len(s.rounds)} rounds rated"
        if last:
            text += (f"; last round mean rating {last['mean_rating']:.2f}, liked share {last['liked_share']:.2f}, "
                     f"KL {last['kl']:.3f} nats")
            if last.get("gold") is not None:
                text += f", gold {last['gold']:.2f}"
        return text + f"; R = {s.discounted_return(gamma=self.gamma.value):.2f} (γ = {self.gamma.value:.2f})"

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        shown = 2 if self.mode.value == "pair" else len(self.images)
        cells = "".join(f"<figure style='display:inline-block;margin:2px;text-align:center'>{_img(self.pngs[k], self.alt(k))}"
                        f"<figcaption style='font-size:80%'>{html.escape(self.label(k))}</figcaption></figure>" for k in range(shown))
        page = (f"<div><p>{html.escape(self.summary())}</p><div>{cells}</div>"
                f"{_img(self.curves_png, f'curves of {len(self.session.rounds)} rounds for the prompt {self.session.prompt!r}')}</div>")
        data["text/html"] = page
        data["image/png"] = base64.b64encode(self.static_png()).decode()
        data["text/plain"] = self.summary()
        return data
