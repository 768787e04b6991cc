"""Run every example with its defaults and write docs/results.md (numbers, pictures, wall times).

    python scripts/make_results.py                    # everything (tens of minutes on a 2-core CPU)
    python scripts/make_results.py --only dcgan wgan  # some runs; the others keep their last results

Each run writes into runs/results/<run>/; its headline numbers are kept in
docs/results/<run>.json and its key pictures are copied beside them, so the
page can be rebuilt after rerunning any subset.
"""

import argparse
import importlib.util
import json
import os
import pathlib
import shutil
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUNS = ROOT / "runs" / "results"
PICTURES = ROOT / "docs" / "results"

# run name -> (example script, extra flags, what the numbers mean)
RUN_TABLE = {
    "vanilla_gan": ("vanilla_gan", [], "Goodfellow MLP GAN on the digits"),
    "dcgan": ("dcgan", [], "DCGAN on the digits (target: 10/10 classes, class KL <= 0.05)"),
    "cgan": ("cgan", [], "conditional GAN, one row per class"),
    "acgan": ("acgan", [], "auxiliary-classifier GAN"),
    "wgan": ("wgan", [], "WGAN with weight clipping"),
    "wgan_gp_digits": ("wgan_gp", ["--dataset", "digits"], "WGAN-GP on the digits"),
    "wgan_gp_ring": ("wgan_gp", ["--dataset", "ring"], "WGAN-GP on ring-8 (target: 8/8 at >= 90 % high quality)"),
    "wgan_gp_grid": ("wgan_gp", ["--dataset", "grid"], "WGAN-GP on grid-25 (target: 25/25 at >= 85 %)"),
    "improved_gan": ("improved_gan", [], "Improved-GAN techniques against a plain GAN on ring and grid"),
    "cyclegan": ("cyclegan", [], "CycleGAN between upright and transformed digits"),
    "gan_1d": ("gan_1d", [], "Goodfellow et al. 2014, Figure 1, live"),
}


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name):
    script, flags, _ = RUN_TABLE[name]
    out = RUNS / name
    start = time.perf_counter()
    result = load_example(script).main(flags + ["--out", str(out), "--quiet"])
    seconds = time.perf_counter() - start
    PICTURES.mkdir(parents=True, exist_ok=True)
    pictures = []
    for path in _key_pictures(result["pictures"]):
        target = PICTURES / f"{name}_{pathlib.Path(path).name}"
        shutil.copyfile(path, target)
        pictures.append(target.name)
    record = {"metrics": _plain(result["metrics"]), "pictures": pictures, "seconds": seconds}
    (PICTURES / f"{name}.json").write_text(json.dumps(record, indent=1))
    return record


def _key_pictures(paths):
    """The last sample grid of each kind and every non-grid picture (plots, GIFs)."""
    chosen = {}
    for path in paths:
        stem = pathlib.Path(path).stem.rstrip("0123456789_")
        chosen[stem] = path  # later pictures of the same kind replace earlier ones
    return list(chosen.values())


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def write_page():
    lines = [
        "# Results",
        "",
        "Every example, run with its defaults by `python scripts/make_results.py` on a 2-core CPU",
        "(the wall time is that machine's, shared with other work while it ran). The numbers are",
        "what each example prints at its end; see each script's docstring for their definitions.",
        "",
        "| run | what | headline numbers | wall time |",
        "|---|---|---|---|",
    ]
    sections = []
    for name, (script, flags, what) in RUN_TABLE.items():
        path = PICTURES / f"{name}.json"
        if not path.exists():
            lines.append(f"| {name} | {what} | not run yet | |")
            continue
        record = json.loads(path.read_text())
        numbers = ", ".join(f"{k}: {_format(v)}" for k, v in record["metrics"].items() if not isinstance(v, dict))
        numbers = numbers.replace("|", "\\|")  # a bare | would end the table cell
        lines.append(f"| [{name}](#{name}) | {what} | {numbers} | {record['seconds']:.0f} s |")
        command = " ".join(["python", f"examples/{script}.py", *flags])
        sections += ["", f"## {name}", "", f"`{command}`", ""]
        sections += [f"![{name}](results/{picture})" for picture in record["pictures"]]
    (ROOT / "docs" / "results.md").write_text("\n".join(lines + sections) + "\n")


def _format(value):
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=sorted(RUN_TABLE), help="rerun these runs only")
    parser.add_argument("--page-only", action="store_true", help="rebuild docs/results.md from kept results")
    args = parser.parse_args()
    RUNS.mkdir(parents=True, exist_ok=True)
    if not args.page_only:
        for name in args.only or RUN_TABLE:
            print(f"== {name}", flush=True)
            record = run(name)
            print(json.dumps(record["metrics"]), f"({record['seconds']:.0f} s)", flush=True)
            write_page()
    write_page()
    print(f"wrote {os.path.relpath(ROOT / 'docs' / 'results.md')}")


if __name__ == "__main__":
    main()
