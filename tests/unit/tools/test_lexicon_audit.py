from pathlib import Path

from tools.lexicon_audit import lexicon_only, report

LEXICON = """
repeat_contact:
  zh: [第三次]
  en: [third time]
  unless:
    zh: [回购第三次]
safety_health:
  zh: [医院]
"""

NLU = """version: "3.1"
nlu:
- intent: praise
  examples: |
    - 回购第三次了，家里人都爱用
    - 第三次买了，一如既往地好
- intent: complain_delivery
  examples: |
    - 第三次催了还没发货
- intent: out_of_scope
  examples: |
    - 发烧要不要去医院
- intent: out_of_scope
  examples:
  - text: "人工智能会取代医院吗"
    metadata: {risk: none}
"""


def _files(tmp_path: Path) -> tuple[list[Path], Path]:
    lexicon = tmp_path / "risk.yml"
    lexicon.write_text(LEXICON, encoding="utf-8")
    nlu = tmp_path / "shop.yml"
    nlu.write_text(NLU, encoding="utf-8")
    return [nlu], lexicon


def test_a_trainer_sees_the_unlabelled_examples_the_lexicon_alone_makes_risks(tmp_path: Path) -> None:
    files, lexicon = _files(tmp_path)
    found = {f.text: f for f in lexicon_only(files, lexicon)}
    # the unless phrase and the trainer's `risk: none` are already handled, so they are not listed
    assert set(found) == {"第三次买了，一如既往地好", "第三次催了还没发货", "发烧要不要去医院"}
    assert found["发烧要不要去医院"].evidence == {"safety_health": ["医院"]}
    assert not found["第三次买了，一如既往地好"].in_a_complaint
    assert found["第三次催了还没发货"].in_a_complaint


def test_the_report_lists_the_non_complaints_with_the_two_fixes(tmp_path: Path) -> None:
    files, lexicon = _files(tmp_path)
    text = report(lexicon_only(files, lexicon))
    assert "3 training examples teach a risk through the lexicon alone; 2 of them are not complaints." in text
    assert "发烧要不要去医院" in text and "safety_health: 医院" in text
    assert "`risk: none`" in text and "`unless:`" in text
    # the complaint is counted but listed only on request
    assert "第三次催了还没发货" not in text
    assert "第三次催了还没发货" in report(lexicon_only(files, lexicon), show_all=True)
