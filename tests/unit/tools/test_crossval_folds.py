"""The cross-validation folds: a file or a family never on both sides, and a file a comparison
adds trained on in every fold without moving the others."""

from tests.unit.tools.test_crossval import synthetic
from tools.crossval_folds import ALWAYS_TRAINED, family, folds_of, held_out_groups


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
