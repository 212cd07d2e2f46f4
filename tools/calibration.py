"""How well the model's complaint, negative-feeling and risk probabilities are calibrated.

Training computes every figure here on held-out folds of the training data and keeps them in
the model (`bot.components.calibration`), so this reads the archive and runs nothing: no dev
set, no parse. It prints the thresholds with their out-of-fold precision and recall, and draws
the reliability diagram (predicted probability against the observed rate, before and after
calibration) to docs/calibration.png.

    python -m tools.calibration [--model models/shop.tar.gz] [--plot docs/calibration.png]
"""

from __future__ import annotations

import argparse
import io
import pickle
import sys
import tarfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from core.settings import ROOT

PLOT = ROOT / "docs" / "calibration.png"


def read_pickle(model: Path, name: str) -> Any:
    with tarfile.open(model) as archive:
        for member in archive.getmembers():
            if member.name.endswith("/" + name):
                handle = archive.extractfile(member)
                if handle is not None:
                    return pickle.load(io.BytesIO(handle.read()))
    raise FileNotFoundError(f"{name} is not in {model}")


def figures(model: Path) -> Dict[str, Any]:
    """The training report of the emotion heads and each risk kind's calibration."""
    heads = read_pickle(model, "emotion.pkl")
    report = dict(getattr(heads, "report", {}) or {})
    # The risk state is (lexicon, learned kinds) or, since stop 29, with the neighbour tables after them.
    learned = read_pickle(model, "risk_lexicon.pkl")[1]
    report["risks"] = {kind: entry[2].as_dict() for kind, entry in learned.items() if len(entry) == 3}
    return report


def table(report: Dict[str, Any]) -> List[str]:
    out = [f"Out of fold ({report.get('folds', '?')} folds over {report.get('examples', '?')} training examples, "
           f"{report.get('emotion_examples', '?')} with an emotion label):", "",
           "| decision | threshold | F-beta (beta) | precision | recall | Brier before → after |",
           "|---|---|---|---|---|---|"]
    rows = [("complaint", report.get("complaint")), ("negative feeling", report.get("negative"))]
    rows += [(f"risk: {kind}", c) for kind, c in sorted(report.get("risks", {}).items())]
    for name, c in rows:
        if c:
            out.append(f"| {name} | {c['threshold']:.2f} | {c['f_beta']:.3f} ({c['beta']}) | {c['precision']:.3f} | "
                       f"{c['recall']:.3f} | {c['brier_uncalibrated']:.3f} → {c['brier']:.3f} |")
    if "emotion_macro_f1_argmax" in report:
        out += ["", f"Emotion macro-F1 out of fold: {report['emotion_macro_f1_argmax']:.3f} choosing the most likely "
                f"of six, {report['emotion_macro_f1_two_step']:.3f} deciding negative-or-not first."]
    return out


def plot(report: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [(name, report[key]) for name, key in (("complaint", "complaint"), ("negative feeling", "negative"))
              if report.get(key)]
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.6), squeeze=False)
    for axis, (name, c) in zip(axes[0], panels, strict=True):
        axis.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfect")
        for key, label, colour in (("reliability_uncalibrated", "before (balanced weights)", "#d9822b"),
                                   ("reliability", "after (Platt, out of fold)", "#2b6cd9")):
            bins = c[key]
            axis.plot([b["predicted"] for b in bins], [b["observed"] for b in bins], marker="o", color=colour,
                      label=label)
        axis.axvline(c["threshold"], color="#2b6cd9", linestyle=":", linewidth=1)
        axis.set_title(f"{name}: threshold {c['threshold']:.2f}, P {c['precision']:.2f} R {c['recall']:.2f}")
        axis.set_xlabel("predicted probability")
        axis.set_ylabel("observed rate")
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.calibration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="model archive (default: the trained models/shop.tar.gz)")
    parser.add_argument("--plot", type=Path, default=PLOT, help=f"where to draw the diagram (default {PLOT})")
    args = parser.parse_args(argv)
    from tools.train import trained_model

    model = trained_model(args.model)
    if model is None:
        return 2
    report = figures(model)
    if not report.get("complaint"):
        print(f"error: {model} was trained without calibration (calibration_folds: 0)", file=sys.stderr)
        return 1
    print("\n".join(table(report)))
    plot(report, args.plot)
    print(f"\nreliability diagram: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
