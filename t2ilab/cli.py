"""The `t2ilab` command. Each subcommand is a thin wrapper over the library.

A user's mistake is one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from .errors import T2ILabError


def _parse(a: argparse.Namespace) -> None:
    from .text import guess_dataset, parse

    dataset = a.dataset or guess_dataset(a.prompt)
    print(json.dumps(parse(a.prompt, dataset), ensure_ascii=False))


def _preview(a: argparse.Namespace) -> None:
    from .data.preview import preview_dataset

    print(preview_dataset(a.dataset, a.out, n=a.n, seed=a.seed, force=a.force))


def _generate(a: argparse.Namespace) -> None:
    from .generate import expand_prompt, generate_grid

    model, attributes = a.model, None
    if a.expand:  # the language model at $T2ILAB_LLM_URL reads the prompt; one line says how it went
        model, attributes, note = expand_prompt(a.prompt, a.model)
        print(f"t2ilab generate: {note}", file=sys.stderr)
        if a.model is None:  # as generate_grid says when it picks the model itself
            print(f"t2ilab generate: using the shipped model {model} (choose another with --model)", file=sys.stderr)
    print(generate_grid(a.prompt, model=model, n=a.n, seed=a.seed, out=a.out, attributes=attributes,
                        adapter=a.adapter, force=a.force))


def _feedback(a: argparse.Namespace) -> None:
    from .rl.run import feedback_cli

    feedback_cli(a.prompt, a.model, a.rater, a.rounds, a.out, rule=a.rule, n=a.n, seed=a.seed,
                 resume=a.resume, force=a.force)


def _train(a: argparse.Namespace) -> None:
    from .train.loop import process_started
    from .train.run import train_cli

    train_cli(a.kind, a.dataset, seconds=a.seconds, steps=a.steps, seed=a.seed, out=a.out,
              checkpoint_every=a.checkpoint_every, resume=a.resume, force=a.force,
              started=process_started())  # --seconds counts from the command's start


def _evaluate(a: argparse.Namespace) -> None:
    from .evaluate import evaluate

    result = evaluate(a.model, samples=a.samples, seed=a.seed, judge=a.judge)
    if a.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>18}: {v:.4f}" if isinstance(v, float) else f"{k:>18}: {v}")


def _workspace(a: argparse.Namespace) -> None:
    from .course.workspace import workspace
    from .validate import check_output_dir

    check_output_dir(a.to, "--to")
    for name, what in workspace(a.to).items():
        print(f"{name}: {what}")


def _release(a: argparse.Namespace) -> None:
    from .course.release import release
    from .validate import check_output_dir

    check_output_dir(a.to, "--to")
    for path in release(a.to, force=a.force):
        print(path)


def _grade(a: argparse.Namespace) -> None:
    from .course.grade import Limits, grade

    limits = Limits(timeout=a.timeout, memory_mb=a.memory)
    rows = grade(a.submissions, a.out, jobs=a.jobs, lesson=a.lesson, seed=a.seed, limits=limits, force=a.force,
                 progress=lambda line: print(line, flush=True))
    print(f"{len(rows)} grades in {a.out}/grades.csv and grades.json; feedback in {a.out}/feedback/")
    broken = sorted({r.message for r in rows if r.message.startswith("not graded") and "fix the spec" in r.message})
    if broken:
        raise T2ILabError(broken[0].removeprefix("not graded: ") + " (the other grades are written)")


def _doctor(a: argparse.Namespace) -> None:
    from .doctor import doctor

    sys.exit(doctor())


def _studio(a: argparse.Namespace) -> None:
    from .course.serve import studio

    sys.exit(studio(port=a.port, notebook=a.notebook))


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line ("t2ilab train: argument --seed: invalid int value: '1e23'"), exit 2.

    Subcommand parsers are made by `add_subparsers` with the parent's class, so this covers all."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="t2ilab", description="Describe an image in words, get an image.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("generate", help="generate images from a prompt")
    s.add_argument("prompt")
    s.add_argument("--model", default=None, help="shipped model name, weights file or training folder")
    s.add_argument("-n", type=int, default=8, help="number of images")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("-o", "--out", default="out.png")
    s.add_argument("--adapter", default=None, metavar="DIR",
                   help="a learned taste: the folder written by `t2ilab feedback` (its base model unless --model)")
    s.add_argument("--expand", action="store_true",
                   help="let the language model at $T2ILAB_LLM_URL read the prompt (offline parser when unset or failing)")
    s.add_argument("--force", action="store_true", help="replace --out even if t2ilab did not write it")
    s.set_defaults(func=_generate)

    s = sub.add_parser("parse", help="print the canonical attributes of a prompt as JSON")
    s.add_argument("prompt")
    s.add_argument("--dataset", default=None, help="shapes, scenes or fashion (guessed when left out)")
    s.set_defaults(func=_parse)

    s = sub.add_parser("preview", help="save a captioned sample grid of a dataset")
    s.add_argument("dataset", help="shapes, scenes, fashion or an image folder")
    s.add_argument("-o", "--out", default="grid.png")
    s.add_argument("-n", type=int, default=16)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--force", action="store_true", help="replace --out even if t2ilab did not write it")
    s.set_defaults(func=_preview)

    s = sub.add_parser("train", help="train a model")
    s.add_argument("kind", choices=["gan", "vae", "judge"])
    s.add_argument("--dataset", default="shapes")
    s.add_argument("--seconds", type=float, default=60.0, help="time budget")
    s.add_argument("--steps", type=int, default=None, help="step budget (instead of seconds)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", required=True, help="folder for model.safetensors and the training log")
    s.add_argument("--checkpoint-every", type=float, default=30.0, metavar="SECONDS",
                   help="save the weights so far this often (default 30)")
    s.add_argument("--resume", action="store_true", help="continue the run in --out (its weights and history)")
    s.add_argument("--force", action="store_true",
                   help="train a new model in an --out that holds a run (the old one moves to --out/previous/)")
    s.set_defaults(func=_train)

    s = sub.add_parser("evaluate", help="measure a model with its dataset's judge")
    s.add_argument("--model", required=True)
    s.add_argument("--samples", type=int, default=1000)
    s.add_argument("--judge", default=None, help="the judge to read the images (default: the dataset's shipped "
                   "judge; for an image folder, one trained with `t2ilab train judge --dataset FOLDER`)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=_evaluate)

    s = sub.add_parser("workspace", help="student copies of the lessons; never overwrites an edited notebook")
    s.add_argument("--to", default="workspace")
    s.set_defaults(func=_workspace)

    s = sub.add_parser("release", help="student versions of the lessons (solutions and hidden tests removed)")
    s.add_argument("--to", default="release")
    s.add_argument("--force", action="store_true", help="overwrite files in --to that release did not write")
    s.set_defaults(func=_release)

    s = sub.add_parser("grade", help="grade submitted notebooks in limited child processes (grades.csv, grades.json, feedback)")
    s.add_argument("submissions", help="folder with <student>/<lesson>.ipynb (or nbgrader's <student>/<assignment>/<lesson>.ipynb)")
    s.add_argument("--out", required=True, help="folder for grades.csv, grades.json and feedback/")
    s.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: the number of cores)")
    s.add_argument("--lesson", default=None, help="grade only this lesson (e.g. 02_gan or 02)")
    s.add_argument("--seed", type=int, default=None, help="secret seed for the hidden inputs (default: a fresh random one)")
    s.add_argument("--timeout", type=float, default=20.0, help="seconds per exercise (default 20)")
    s.add_argument("--memory", type=float, default=2048.0, metavar="MB", help="memory a submission may use (default 2048)")
    s.add_argument("--force", action="store_true", help="overwrite an --out folder that t2ilab grade did not write")
    s.set_defaults(func=_grade)

    s = sub.add_parser("feedback", help="learn a taste from ratings: rounds of generate, rate, update")
    s.add_argument("prompt")
    s.add_argument("--model", default=None, help="shipped generator (default: the prompt's dataset's VAE)")
    s.add_argument("--rater", required=True, help="who rates: simulated:TASTE, e.g. simulated:big or simulated:dark")
    s.add_argument("--rounds", type=int, default=10, help="rounds in the session (with --resume: in all)")
    s.add_argument("--out", required=True, help="folder for session.json, adapter.safetensors, before_after.png")
    s.add_argument("--rule", default="rwl", choices=["reinforce", "rwl", "dpo", "best-of-n"])
    s.add_argument("-n", type=int, default=16, help="candidates per round")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--resume", action="store_true", help="continue the session in --out")
    s.add_argument("--force", action="store_true", help="start over, replacing the session in --out")
    s.set_defaults(func=_feedback)

    s = sub.add_parser("doctor", help="check the installation in plain lines")
    s.set_defaults(func=_doctor)

    s = sub.add_parser("studio", help="the prompt studio as a web page (Voilà) on 127.0.0.1; prints its address")
    s.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    s.add_argument("--notebook", default=None, help=argparse.SUPPRESS)  # the browser test serves a copy
    s.set_defaults(func=_studio)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except T2ILabError as e:
        print(f"t2ilab {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"t2ilab {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


# Commands whose work is done when main() returns: nothing of theirs runs at interpreter exit.
QUICK = {"generate"}


def console(argv: list[str] | None = None) -> None:
    """The `t2ilab` command: main(), then exit.

    After `generate` the process leaves at once (os._exit) once its output is flushed: tearing
    torch's modules down takes about 0.35 s of a 1.5 s command, and generate has written and
    closed its PNG before main() returns. Every other command exits normally."""
    code = main(argv)
    command = next((a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")), None)
    if command in QUICK and "torch" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console()
