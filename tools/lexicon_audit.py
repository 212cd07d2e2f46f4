"""Training examples that teach a risk only because a lexicon word is in them.

The learned risk kinds learn from every example the lexicon fires on unless a trainer said
otherwise (`bot.components.risk.training_kinds`). Inside a complaint that is what we want. Outside
one it is usually the word in another sense: 回购第三次了 is praise, not a third complaint;
人工智能会取代医生吗 is no health incident; 中秋連假客服 is a holiday and then the agents, not a
fake agent (假客服). Each such example teaches the heads to hand a harmless message to a person.

This lists them for a trainer, non-complaints first, with the words that fired. Each needs one of
two fixes: `risk: none` in the example's metadata (this sentence is no risk), or an `unless:`
phrase in nlu_data/lexicons/risk.yml (this phrase never is, in any message). Some are real risks
told outside a complaint (不是我本人 answering "is this your order?"); those stay as they are.
It reads the NLU files training reads, the trainers' review folder included
(`tools.crossval.training_nlu_files`), and no model and no dev set.

    python -m tools.lexicon_audit [--all]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from shop.risk import LEXICON, RiskMatcher
from tools.crossval import training_nlu_files


@dataclass(frozen=True)
class Finding:
    file: str
    intent: str
    text: str
    evidence: dict[str, list[str]]

    @property
    def in_a_complaint(self) -> bool:
        return self.intent.startswith("complain_")


def lexicon_only(files: Iterable[Path], lexicon: Path = LEXICON) -> list[Finding]:
    """Every example without a trainer's `risk:` label that the lexicon marks as a risk."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.components.emotion import example_label
    from bot.components.risk import RISK_LABEL

    matcher = RiskMatcher.load(lexicon)
    found = []
    for path in sorted(files):
        for message in load_data(str(path)).intent_examples:
            if example_label(message, RISK_LABEL) is not None:
                continue
            text = str(message.get("text") or "")
            evidence = matcher.evidence(text)
            if evidence:
                found.append(Finding(path.name, str(message.get("intent")), text, evidence))
    return found


def report(findings: list[Finding], show_all: bool = False) -> str:
    outside = [f for f in findings if not f.in_a_complaint]
    words = Counter((kind, word) for f in findings for kind, ws in f.evidence.items() for word in ws)
    lines = [f"{len(findings)} training examples teach a risk through the lexicon alone; "
             f"{len(outside)} of them are not complaints.",
             "", "Most frequent words:"]
    lines += [f"  {count:4d}  {kind:15s} {word}" for (kind, word), count in words.most_common(15)]
    lines += ["", "Not complaints (a word in another sense? add `risk: none` to the example, "
              "or an `unless:` phrase to nlu_data/lexicons/risk.yml):"]
    lines += [_row(f) for f in outside] or ["  none"]
    if show_all:
        lines += ["", "Complaints:"] + [_row(f) for f in findings if f.in_a_complaint]
    return "\n".join(lines)


def _row(finding: Finding) -> str:
    words = "; ".join(f"{kind}: {', '.join(ws)}" for kind, ws in finding.evidence.items())
    return f"  {finding.file}  {finding.intent}  {finding.text!r}  ({words})"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--all", action="store_true", help="list the complaints too")
    args = parser.parse_args(argv)
    print(report(lexicon_only(training_nlu_files()), show_all=args.all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
