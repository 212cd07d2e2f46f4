"""Scoring, gating and file errors of the evaluation CLI, without a model."""

from pathlib import Path

import pytest

from tools.evaluate import (
    EvaluationError,
    Prediction,
    check_gates,
    evaluate,
    main,
    prediction_from_parse,
    print_report,
    read_rows,
    score,
    withhold_texts,
)


def prediction(intent: str, handoff: bool) -> Prediction:
    return Prediction(text="", intent=intent, intent_confidence=0.9, emotion="neutral", emotion_confidence=0.9,
                      severity="none", severity_reasons=[], handoff=handoff, complaint=False)


def test_scores_accuracy_macro_f1_and_confusion() -> None:
    s = score(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert s["accuracy"] == 0.75
    assert s["confusion"] == {"a": {"a": 1, "b": 1}, "b": {"b": 2}}
    assert s["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert s["macro_f1"] == pytest.approx((0.6667 + 0.8) / 2, abs=1e-3)


def test_prediction_fields_and_complaint_from_intent() -> None:
    p = prediction_from_parse({"text": "x", "intent": {"name": "complain_refund", "confidence": 0.912345}})
    assert p["intent"] == "complain_refund" and p["intent_confidence"] == 0.9123
    assert p["complaint"] is True
    assert p["emotion"] is None and p["severity"] is None and p["handoff"] is None


def test_per_language_report_and_gate() -> None:
    rows = [{"text": "你好", "intent": "greet"}, {"text": "hello", "intent": "greet", "lang": "en"},
            {"text": "bye", "intent": "goodbye", "emotion": "joy"}]
    preds = [prediction_from_parse({"text": r["text"], "intent": {"name": n, "confidence": 1.0}})
             for r, n in zip(rows, ["greet", "greet", "greet"], strict=False)]
    report = evaluate(rows, preds)
    intent = report["fields"]["intent"]
    assert intent["by_language"]["zh-Hans"]["accuracy"] == 1.0
    assert intent["by_language"]["en"]["accuracy"] == 0.5
    assert intent["worst_mistakes"][0]["text"] == "bye"
    assert report["fields"]["emotion"] == {"n": 1, "not_predicted": True}
    assert check_gates(report, ["intent=0.9"]) == ["intent [en]: accuracy 0.5000 < 0.9"]
    assert check_gates(report, ["intent=0.5"]) == []


def test_bad_files_get_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "intent": "greet"}\n{not json\n', encoding="utf-8")
    with pytest.raises(EvaluationError, match="bad.jsonl:2"):
        read_rows([str(bad)])
    assert main([str(bad)]) == 2
    assert "bad.jsonl:2" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.jsonl")]) == 2


def test_out_of_scope_rows_are_scored_by_where_they_were_sent() -> None:
    rows = [{"text": "how much has the dow changed today", "intent": "out_of_scope", "handoff": False, "lang": "en"},
            {"text": "who is the best real estate agent", "intent": "out_of_scope", "handoff": False, "lang": "en"},
            {"text": "tell me a joke", "intent": "out_of_scope", "handoff": False, "lang": "en"},
            {"text": "where is my order", "intent": "query_order_status", "handoff": False, "lang": "en"}]
    predictions = [prediction("out_of_scope", handoff=False), prediction("nlu_fallback", handoff=False),
                   prediction("request_human", handoff=True), prediction("query_order_status", handoff=False)]
    report = evaluate(rows, predictions)
    scope = report["fields"]["scope"]
    assert scope["n"] == 3 and scope["accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert scope["worst_mistakes"][0]["predicted"] == "request_human"
    assert report["fields"]["handoff"]["specificity"] == 0.75  # one false handoff in four
    assert check_gates(report, ["scope=0.9"]) == ["scope [en]: accuracy 0.6667 < 0.9"]
    assert check_gates(report, ["handoff:specificity=0.99"]) == ["handoff [en]: specificity 0.7500 < 0.99"]
    assert check_gates(report, ["handoff:specificity=0.7"]) == []


def test_a_blind_file_reports_figures_and_never_a_text() -> None:
    """`--blind`: reading a held-out file's mistakes is how it stops being blind."""
    import io

    rows = [{"text": "secret row one", "intent": "greet"}, {"text": "secret row two", "intent": "goodbye"}]
    preds = [prediction_from_parse({"text": r["text"], "intent": {"name": "greet", "confidence": 1.0}})
             for r in rows]
    report = evaluate(rows, preds)
    withhold_texts(report)
    out = io.StringIO()
    print_report(report, out)
    printed = out.getvalue()
    assert "secret" not in printed
    assert "withheld" in printed and "accuracy 0.5000" in printed
    assert check_gates(report, ["intent=0.9"]) == ["intent [en]: accuracy 0.5000 < 0.9"]


def test_a_blind_file_refuses_to_write_its_predictions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"text": "ok", "intent": "greet"}\n', encoding="utf-8")
    assert main([str(rows), "--blind", "--predictions", str(tmp_path / "out.jsonl")]) == 2
    assert "blind" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_a_risk_kind_is_scored_yes_or_no_from_the_severity_reasons() -> None:
    """A file of repeated contacts and near misses is scored on the kind alone: found when the
    reasons name it, whatever the message's intent or level."""
    rows = [{"text": "I've emailed you a dozen times", "repeat_contact": True, "lang": "en"},
            {"text": "I've called five times, nobody answers", "repeat_contact": True, "lang": "en"},
            {"text": "washed it ten times and it shrank", "repeat_contact": False, "lang": "en"},
            {"text": "bought it again for the fifth time", "repeat_contact": False, "lang": "en"}]
    reasons = [["intent:complain_service_attitude", "risk:repeat_contact"], ["intent:complain_general"],
               ["intent:complain_quality"], ["risk:repeat_contact"]]
    predictions = [Prediction(text=str(r["text"]), intent="x", intent_confidence=0.9, emotion=None,
                              emotion_confidence=None, severity="severe", severity_reasons=why, handoff=None,
                              complaint=None)
                   for r, why in zip(rows, reasons, strict=True)]
    report = evaluate(rows, predictions)
    kind = report["fields"]["repeat_contact"]
    assert kind["per_class"]["True"]["recall"] == 0.5
    assert kind["specificity"] == 0.5  # one near miss of two read as a repeated contact
    assert check_gates(report, ["repeat_contact:specificity=0.9"]) == [
        "repeat_contact [en]: specificity 0.5000 < 0.9"]
    assert "handoff" not in report["fields"]
