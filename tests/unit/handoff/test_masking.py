import re

import pytest

from handoff.masking import mask, mask_value


@pytest.mark.parametrize(("text", "masked"), [
    # mainland mobiles, every way customers write them
    ("我的手机13812345678", "我的手机138****5678"),
    ("电话 138 1234 5678 谢谢", "电话 138 **** 5678 谢谢"),
    ("138-1234-5678", "138-****-5678"),
    ("+86 138 1234 5678", "+86 138 **** 5678"),
    ("+8613812345678", "+86138****5678"),
    ("0086-138-1234-5678", "0086-138-****-5678"),
    ("(+86)13812345678", "(+86)138****5678"),
    ("8613812345678", "86138****5678"),
    ("call me on 19912345678.", "call me on 199****5678."),
    ("手机：１３８１２３４５６７８", "手机：138****5678"),
    # Taiwan, Hong Kong, Macau, elsewhere
    ("0912-345-678", "091*-***-678"),
    ("0912345678", "091****678"),
    ("+886 912 345 678", "+886 912 *** 678"),
    ("香港電話 9123 4567", "香港電話 912* **67"),
    ("+852 2345 6789", "+852 234* **89"),
    ("+853 6612 3456", "+853 661* **56"),
    ("+1 415 555 2671", "+1 415 *** *671"),
    ("+44 20 7946 0958", "+44 20 7*** *958"),
    # landlines with an area code
    ("座机 010-12345678", "座机 010-****5678"),
    ("02-2345-6789", "02-2***-*789"),
    # identity numbers
    ("身份证11010519491231002X", "身份证1101************2X"),
    ("440308199901011234", "4403************34"),
    ("HKID A123456(7)", "HKID A1*****(*)"),
    ("身分證 A123456789", "身分證 A1******89"),
    # bank cards: only the last four stay
    ("卡号6222021234567890123", "卡号***************0123"),
    ("card 6222 0212 3456 7890", "card **** **** **** 7890"),
    ("4111-1111-1111-1111", "****-****-****-1111"),
    ("Amex 3782 822463 10005", "Amex **** ****** *0005"),
    # e-mail: the domain stays, the local part mostly goes
    ("zhangsan.li@example.com", "zh***@example.com"),
    ("ab@qq.com", "a***@qq.com"),
    ("13812345678@163.com", "13***@163.com"),
])
def test_personal_numbers_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize("text", [
    "订单20251103887还没到",
    "order #20251103887 and 20251028001",
    "订单号 2025 1103 887",
    "投诉单 C-20261122-0001 进度如何",
    "case c20261122-00012",
    "退款 ¥299，另一笔 ￥1,299.00",
    "NT$1,200 HK$350 US$25.99 $25.99 RMB 88 500 CNY",
    "退了59990000元", "花了199元", "200块钱", "30 dollars",
    "2025-11-03", "2025/11/3", "20251103", "2025年11月3日", "2025.11.03",
    "10:21", "10:21:59",
    "热线 400-820-0000", "800 820 8820",
    "运单 SF1402938475612", "JD0098123344", "ZTO7730019283",
    "iPhone 15 Pro 256GB", "20000mAh", "4.5L", "42码", "第3次", "12315", "3 个工作日",
    "",
])
def test_business_numbers_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_mixed_message_masks_only_the_personal_parts() -> None:
    text = "订单20251103887退款¥299还没到，投诉单C-20261122-0001，电话13812345678，邮箱wang@example.com，2025-11-03"
    assert mask(text) == ("订单20251103887退款¥299还没到，投诉单C-20261122-0001，电话138****5678，"
                          "邮箱wa***@example.com，2025-11-03")


def test_phone_next_to_an_order_number_is_still_masked() -> None:
    assert mask("13812345678 20251103887") == "138****5678 20251103887"


@pytest.mark.parametrize("text", ["13812345678", "+86 138 1234 5678", "11010519491231002X", "6222021234567890123",
                                  "a@b.cn", "0912-345-678"])
def test_masking_twice_changes_nothing_more(text: str) -> None:
    once = mask(text)
    assert once != text
    assert mask(once) == once


def test_no_long_digit_run_survives_in_masked_personal_text() -> None:
    text = "手机13812345678 卡6222021234567890123 身份证440308199901011234 电话+852 9123 4567"
    assert not re.search(r"\d{5,}", mask(text).replace("6222021234567890123"[-4:], ""))


def test_slot_values_by_name() -> None:
    assert mask_value("phone", "13812345678") == "138****5678"
    assert mask_value("phone", 13812345678) == "138****5678"
    assert mask_value("callback_phone", "12345678") == "123***78"  # not a format we know: masked anyway
    assert mask_value("contact", {"phone": "13812345678", "name": "王"}) == {"phone": "138****5678", "name": "王"}
    assert mask_value("email", "abc@x.com") == "a***@x.com"
    assert mask_value("id_number", "A1234") != "A1234"
    assert mask_value("bank_card", "62220212") == "****0212"


def test_business_slot_values_pass_through() -> None:
    assert mask_value("order_id", "20251103887") == "20251103887"
    assert mask_value("case_id", "C-20261122-0001") == "C-20261122-0001"
    assert mask_value("amount", 299) == 299
    assert mask_value("amount", "¥299") == "¥299"
    assert mask_value("date", "2025-11-03") == "2025-11-03"
    assert mask_value("confirmed", True) is True
    assert mask_value("anything", None) is None
    assert mask_value("note", "call 13812345678") == "call 138****5678"
    assert mask_value("numbers", ["13812345678", "20251103887"]) == ["138****5678", "20251103887"]


def test_names_are_read_by_word() -> None:
    assert mask_value("telegram_user", "alice1234") == "alice1234"
    assert mask_value("hotel", "12345678") == "12345678"
    assert mask_value("contact_phone", "5551234") != "5551234"
    assert mask_value("customer_email", "wang.fang@example.com") == "wa***@example.com"


def test_callback_contact_with_a_time_keeps_the_time() -> None:
    assert mask_value("callback_contact", "13812345678 明天下午3点") == "138****5678 明天下午3点"
    assert mask_value("callback_contact", "明天下午") == "明天下午"
