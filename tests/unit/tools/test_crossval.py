"""Cross-validation of the heads' settings: folds that hold out whole files, and the comparison
with and without the sentence encoder's vector, on a small synthetic training set."""

from pathlib import Path

import numpy as np
import scipy.sparse

from tools.crossval import complaint_choice, run
from tools.crossval_risk import risk_choice, risk_neighbour_weights


def synthetic() -> dict:
    rng = np.random.default_rng(0)
    examples, rows, vectors = [], [], []
    for n in range(120):
        complaint = n % 2 == 0
        emotion = "anger" if complaint else "neutral"
        intent = "complain_quality" if complaint else "query_order"
        # every fourth example is a safety risk (a complaint), half of them paraphrases the
        # lexicon would miss; the third feature tells them apart
        risky = n % 4 == 0
        examples.append((f"text {n}", intent, emotion, f"file{n % 3}.yml", {"safety_health"} if risky else set(),
                         risky and n % 8 == 0))
        rows.append([1.0 if complaint else 0.0, rng.random(), 1.0 if risky else 0.0])
        vectors.append([1.0 if complaint else -1.0, rng.random()])
    return {"examples": examples, "ngrams": scipy.sparse.csr_matrix(np.array(rows)),
            "lexicon": np.zeros((120, 1)), "vectors": np.array(vectors)}


def test_run_reports_each_encoder_weight_for_every_head() -> None:
    results = run(synthetic(), cs=[1.0], weights=[0.2], complaint_cs=[1.0], folds=2,
                  encoder_weights=[0.0, 1.0], by_file=True, intent=True)
    assert [r["encoder_weight"] for r in results["emotion"]] == [0.0, 1.0]
    assert [r["encoder_weight"] for r in results["intent"]] == [0.0, 1.0]
    assert all(r["macro_f1"] == 1.0 for r in results["emotion"])  # the synthetic labels are separable
    assert all(r["accuracy"] == 1.0 for r in results["intent"])
    assert results["by_file"] is True


def test_run_trains_on_unscored_files_but_counts_only_the_others() -> None:
    """A new training file is compared like with like: its own examples are not in the figure."""
    data = synthetic()
    data["examples"] = [(*e[:3], "emotion_everyday_x.yml" if e[3] == "file1.yml" else e[3], *e[4:])
                        for e in data["examples"]]
    results = run(data, cs=[1.0], weights=[0.2], complaint_cs=[1.0], folds=2, by_file=True,
                  unscored=frozenset({"file0.yml"}))
    row = results["emotion"][0]
    assert (row["counted"], row["everyday"]) == (80, 40)
    assert row["macro_f1"] == row["everyday_macro_f1"] == 1.0


def test_risk_choice_compares_the_betas_with_whole_files_held_out() -> None:
    """Separable risks: every beta finds every paraphrase and fires on no riskless complaint."""
    result = risk_choice(synthetic(), c=1.0, betas=(0.5, 1.0), folds=3)
    assert set(result["per_kind"]) == {"safety_health"}  # the only kind with enough examples
    assert result["paraphrases"] == 15 and result["calm_complaints"] == 30
    for beta in ("0.5", "1.0"):
        assert result["betas"][beta] == {"paraphrase_recall": 1.0, "calm_complaints_fired": 0.0, "riskless_fired": 0.0}


def test_risk_choice_adds_the_nearest_neighbour_evidence_as_the_component_does() -> None:
    """The evidence is computed out of fold on both kinds of folds; on separable risks it keeps
    every paraphrase found and no riskless complaint fired, and the weight is reported."""
    result = risk_choice(synthetic(), c=1.0, betas=(1.0,), folds=3, neighbour_weight=5.0)
    assert result["neighbour_weight"] == 5.0
    assert result["betas"]["1.0"] == {"paraphrase_recall": 1.0, "calm_complaints_fired": 0.0, "riskless_fired": 0.0}


def test_risk_scores_the_configured_neighbour_weights_by_default(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: bot.components.risk.RiskExtractor\n    neighbour_weight: 7.5\n"
                      "    ngram_neighbour_weight: 2.5\n")
    assert risk_neighbour_weights(config) == (7.5, 2.5)
    config.write_text("pipeline:\n  - name: bot.components.risk.RiskExtractor\n")
    assert risk_neighbour_weights(config) == (0.0, 0.0)  # the component's default: off


def test_risk_choice_adds_the_n_gram_neighbour_evidence_too() -> None:
    result = risk_choice(synthetic(), c=1.0, betas=(1.0,), folds=3, neighbour_weight=5.0, ngram_neighbour_weight=5.0)
    assert result["ngram_neighbour_weight"] == 5.0
    assert result["betas"]["1.0"] == {"paraphrase_recall": 1.0, "calm_complaints_fired": 0.0, "riskless_fired": 0.0}


def test_complaint_choice_reports_all_examples_and_the_review_files() -> None:
    data = synthetic()
    data["examples"] = [(*e[:3], "reviews_zh.yml" if i % 3 == 0 else e[3], *e[4:])
                        for i, e in enumerate(data["examples"])]
    result = complaint_choice(data, c=1.0, weight=0.2, betas=(0.5, 1.0), folds=3)
    for beta in ("0.5", "1.0"):
        assert result["betas"][beta]["all"]["f1"] == 1.0
        assert result["betas"][beta]["reviews"]["f1"] == 1.0


def test_examples_of_unscored_files_are_trained_on_but_not_counted() -> None:
    """A model with a new training file is compared on the examples both models had: the new
    file's paraphrases and complaints leave the counts, the rest stay."""
    data = synthetic()
    result = risk_choice(data, c=1.0, betas=(1.0,), folds=2, unscored=frozenset({"file0.yml"}))
    assert result["paraphrases"] == 10 and result["calm_complaints"] == 20
    data["examples"] = [(*e[:3], "reviews_zh.yml" if i % 3 == 0 else e[3], *e[4:])
                        for i, e in enumerate(data["examples"])]
    unscored = complaint_choice(data, c=1.0, weight=0.2, betas=(1.0,), folds=2,
                                unscored=frozenset({"reviews_zh.yml"}))
    assert unscored["betas"]["1.0"]["reviews"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}  # none counted
    assert unscored["betas"]["1.0"]["all"]["f1"] == 1.0


def test_intent_accuracy_counts_only_examples_the_intent_classifiers_learn_from() -> None:
    """Examples marked `intent_training: false` are neither learned nor scored, as in the component:
    a third of them filed under an intent their features contradict would otherwise pull the
    figure down."""
    data = synthetic()
    data["examples"] = [(*e[:1], "query_order" if i % 3 == 0 else e[1], *e[2:6], i % 3 != 0)
                        for i, e in enumerate(data["examples"])]
    results = run(data, cs=[1.0], weights=[0.2], complaint_cs=[], folds=2, encoder_weights=[1.0], intent=True)
    assert results["intent"][0]["accuracy"] == 1.0


def test_the_complaint_choice_reads_the_review_polarity_features_when_the_model_has_them() -> None:
    """The complaint head's row in config.yml holds the polarity features; the tool's row must too."""
    data = synthetic()
    data["ngrams"] = scipy.sparse.csr_matrix(np.zeros((120, 1)))
    data["vectors"] = np.zeros((120, 2))
    without = complaint_choice(data, 1.0, 0.2, betas=(1.0,), folds=3)
    data["polarity"] = np.array([[-1.0 if e[1].startswith("complain_") else 1.0, 0.0] for e in data["examples"]])
    with_polarity = complaint_choice(data, 1.0, 0.2, betas=(1.0,), folds=3)
    assert with_polarity["betas"]["1.0"]["all"]["f1"] == 1.0 > without["betas"]["1.0"]["all"]["f1"]


def test_the_heads_are_scored_as_config_yml_builds_them(tmp_path: Path) -> None:
    """The comparison scores the learner the model has: naive-Bayes-scaled n-grams when config.yml
    names them, plain logistic regression otherwise."""
    from bot.components.calibration import Logistic
    from bot.components.naive_bayes import NaiveBayesLogistic
    from tools.crossval import emotion_naive_bayes, learner

    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: bot.components.emotion.EmotionClassifier\n    naive_bayes: [ngrams]\n",
                      encoding="utf-8")
    assert emotion_naive_bayes(config) is True
    config.write_text("pipeline:\n  - name: bot.components.emotion.EmotionClassifier\n", encoding="utf-8")
    assert emotion_naive_bayes(config) is False
    data = synthetic()
    scaled = learner(2.0, "predict_proba", True, data)
    assert isinstance(scaled, NaiveBayesLogistic) and scaled.width == data["ngrams"].shape[1]
    assert isinstance(learner(2.0, "predict_proba", False, data), Logistic)


def test_naive_bayes_heads_run_through_every_comparison() -> None:
    data = synthetic()
    results = run(data, cs=[1.0], weights=[0.2], complaint_cs=[1.0], folds=2, by_file=True, naive_bayes=True)
    assert results["naive_bayes"] is True and results["emotion"][0]["macro_f1"] == 1.0
    complaint = complaint_choice(data, c=1.0, weight=0.2, betas=(0.5,), folds=2, naive_bayes=True)
    assert complaint["naive_bayes"] is True and complaint["betas"]["0.5"]["all"]["precision"] == 1.0
