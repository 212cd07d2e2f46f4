"""Cross-validation of the heads' settings: folds that hold out whole files, and the comparison
with and without the sentence encoder's vector, on a small synthetic training set."""

from pathlib import Path

import numpy as np
import scipy.sparse

from tools.crossval import ALWAYS_TRAINED, complaint_choice, family, folds_of, held_out_groups, run
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


def test_folds_by_file_never_split_a_file() -> None:
    files = [f"file{n % 4}.yml" for n in range(40)]
    for train, test in folds_of(list(range(40)), files, 4):
        assert not {files[i] for i in train} & {files[i] for i in test}


def test_a_family_gathers_the_sittings_of_one_writing() -> None:
    assert {family(f"emotion_everyday_zh_{x}.yml") for x in "abch"} == {"emotion_everyday_zh"}
    assert family("emotion_en_more_b.yml") == family("emotion_en.yml") == "emotion_en"
    assert family("reviews_zh_negative.yml") == family("reviews_zh_positive.yml") == "reviews_zh"
    assert family("zh_hant_extra.yml") == "zh_hant" != family("zh_hans_extra.yml")
    assert family("en.yml") == "en" and family("risk_paraphrases_varied.yml") == "risk_paraphrases_varied"


def test_folds_by_family_keep_sibling_files_on_one_side() -> None:
    """With families held out, no fold trains on a sitting of the writing it is scored on."""
    data = synthetic()
    data["examples"] = [(*e[:3], f"emotion_everyday_zh_{'abcd'[n % 4]}.yml" if n % 2 else f"en_{'ab'[n % 4 // 2]}.yml",
                         *e[4:]) for n, e in enumerate(data["examples"])]
    assert len(set(held_out_groups(data))) == 4
    data["by_family"] = True
    groups = held_out_groups(data)
    assert set(groups) == {"emotion_everyday_zh", "en"}
    for train, test in folds_of(list(range(120)), groups, 2):
        assert not {groups[i] for i in train} & {groups[i] for i in test}


def test_a_new_file_is_trained_in_every_fold_and_leaves_the_other_folds_as_they_were() -> None:
    """`--score-without`: the run with a new file must hold out the very folds the run without it
    did, or the comparison measures a reshuffle of families rather than the file."""
    data = synthetic()
    data["by_family"] = True
    data["examples"] = [(*e[:3], f"fam{n % 5}.yml", *e[4:]) for n, e in enumerate(data["examples"])]
    without = folds_of(list(range(96)), held_out_groups({**data, "examples": data["examples"][:96]}), 3)
    groups = held_out_groups({**data, "examples": data["examples"][:96] + [
        (*e[:3], "new_file.yml", *e[4:]) for e in data["examples"][96:]]}, frozenset({"new_file.yml"}))
    assert groups[96:] == [ALWAYS_TRAINED] * 24
    with_new = folds_of(list(range(120)), groups, 3)
    for (train, test), (train_before, test_before) in zip(with_new, without, strict=True):
        assert list(test) == list(test_before)
        assert list(train) == list(train_before) + list(range(96, 120))


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
