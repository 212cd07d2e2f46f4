from pathlib import Path

import pytest

from shop.risk import LexiconError, RiskMatcher, risks


@pytest.mark.parametrize(
    "text, expected",
    [
        ("充电宝冒烟起火，差点烧到孩子", ["safety_health"]),
        ("充電寶冒煙起火", ["safety_health"]),
        ("再不退钱我就去12315投诉", ["regulator"]),
        ("再唔退錢我就去消委會", ["regulator"]),
        ("我要找律师起诉你们，还要发到微博曝光", ["legal_threat", "media"]),
        ("my account was hacked and someone used my card", ["fraud_account"]),
        ("This is the THIRD TIME I'm asking, I will post it on TikTok", ["media", "repeat_contact"]),
        ("你们这垃圾服务", ["abuse"]),
        ("快递晚了一天，下次注意", []),
        ("where is my order 20251103887", []),
        ("the fireworks shop", []),
        # safety and health, in both scripts, Cantonese and English
        ("充电器插头烧焦了，还冒火花", ["safety_health"]),
        ("電暖器突然著火，嚇死人", ["safety_health"]),
        ("孩子吃了你们的零食上吐下泻，送去医院了", ["safety_health"]),
        ("饭盒里吃出一只蟑螂", ["safety_health"]),
        ("手机电池鼓包，后盖都顶起来了", ["safety_health"]),
        ("個尿袋爆咗，整親我隻手", ["safety_health"]),
        ("食完你哋個飯盒食物中毒，入咗院", ["safety_health"]),
        ("my charger caught fire last night", ["safety_health"]),
        ("the kettle gave me an electric shock", ["safety_health"]),
        ("found glass in my ready meal", ["safety_health"]),
        ("my daughter had an allergic reaction and we ended up in A&E", ["safety_health"]),
        # legal threats and police
        ("再不处理我就报警", ["legal_threat"]),
        ("我會去報警，法院見", ["legal_threat"]),
        ("再唔退錢就告你哋", ["legal_threat"]),
        ("I'll see you in court", ["legal_threat"]),
        ("my solicitor will be in touch", ["legal_threat"]),
        # regulators
        ("我要打12345投诉你们", ["regulator"]),
        ("去市场监管局举报你们", ["regulator"]),
        ("我要去消基會申訴", ["regulator"]),
        ("I'm reporting you to trading standards", ["regulator"]),
        # media and public exposure
        ("我要发到微博曝光你们", ["media"]),
        ("我會放上網俾大家評評理", ["media"]),
        ("我要po上Dcard讓大家看看你們", ["media"]),
        ("I'm going to the press with this", ["media"]),
        ("I will post this on reddit", ["media"]),
        # fraud and account takeover
        ("有人异地登录我的账号，还盗刷了我的卡", ["fraud_account"]),
        ("這筆訂單不是我下的單，帳號被盜了", ["fraud_account"]),
        ("有人冒充客服打电话让我转账", ["fraud_account"]),
        ("there's an unauthorized charge on my card", ["fraud_account"]),
        ("someone logged into my account and changed the address", ["fraud_account"]),
        # abuse
        ("你他妈的能不能快点", ["abuse"]),
        ("仆街，咁都得？", ["abuse"]),
        ("this is fucking ridiculous", ["abuse"]),
        # repeated contact
        ("催了好几次都没人回复", ["repeat_contact"]),
        ("問咗幾次都冇人理", ["repeat_contact"]),
        ("I've called 5 times and nobody got back to me", ["repeat_contact"]),
        ("第三次打电话了，你们还在推来推去", ["repeat_contact"]),
        # several kinds at once, reported in the order of KINDS
        ("你们这垃圾公司，我要去消协投诉，还要找记者", ["regulator", "media", "abuse"]),
        ("吃了過期零食拉肚子，再不賠我就打12315", ["safety_health", "regulator"]),
        ("Third time I'm writing: I will post it on TikTok and call my lawyer",
         ["legal_threat", "media", "repeat_contact"]),
        # ordinary shop messages with the traps a bare term would fall into
        ("优惠券过期了，还能用吗", []),
        ("工商银行卡能付款吗", []),
        ("在抖音上看到你们的广告，是真的吗", []),
        ("给我妈的生日礼物什么时候到", []),
        ("垃圾袋有大号的吗", []),
        ("手机充电到100%要多久", []),
        ("这个相机拍照老是曝光过度", []),
        ("烟雾报警器一直响怎么关", []),
        ("充氣床墊漏氣了，可以換嗎", []),
        ("收到的手机屏幕有划伤", []),
        ("这是我第三次回购了，很好吃", []),
        ("对坚果过敏，这个含坚果吗", []),
        ("香草你们有货吗", []),
        ("我的订单2511012315什么时候到", []),
        ("收不到验证码怎么办", []),
        ("the bottle leaks a little", []),
        ("good news!", []),
        ("is the fire tv stick in stock?", []),
        ("this hurt my feelings a bit", []),
        ("Do you sell a silicone cake mold?", []),
        ("I saw your ad on Facebook", []),
        ("please post it on Monday", []),
        ("my coupon expired yesterday", []),
        ("the colours are bleeding in the wash", []),
        ("the smoked salmon was lovely", []),
    ],
)
def test_finds_risk_kinds_in_both_scripts_and_english(text: str, expected: list[str]) -> None:
    assert risks(text) == expected


def test_unknown_kind_and_malformed_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "risk.yml"
    path.write_text("weather:\n  zh: [下雨]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="unknown kind 'weather'"):
        RiskMatcher.load(path)
    path.write_text("legal_threat: [律师\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="not valid YAML"):
        RiskMatcher.load(path)


def test_evidence_names_the_words_in_the_customers_script() -> None:
    evidence = RiskMatcher.load().evidence("充電寶冒煙了，我要找律師")
    assert evidence == {"safety_health": ["冒煙"], "legal_threat": ["律師"]}


@pytest.mark.parametrize(
    "text, kind, is_risk",
    [
        # 假客服 (a fake agent) read across a holiday and the word 客服
        ("中秋連假客服會回訊息嗎", "fraud_account", False),
        ("今天放颱風假 客服有上班嗎", "fraud_account", False),
        ("元旦放几天假 客服还在吗", "fraud_account", False),
        ("国庆休假客服还回消息吗", "fraud_account", False),
        ("有假客服打电话让我转账", "fraud_account", True),
        # "leaked" for a liquid, "from another country" for a parcel
        ("the cup leaked coffee all over my desk", "fraud_account", False),
        ("oh, it's coming from another country? where exactly is my order", "fraud_account", False),
        ("my card details were leaked", "fraud_account", True),
        ("someone logged in from another country", "fraud_account", True),
        # buying again is praise, asking again is not
        ("回购第三次了，家里人都爱用", "repeat_contact", False),
        ("回購第三次了 全家都愛用", "repeat_contact", False),
        ("买了三次了，每次都很稳定，放心", "repeat_contact", False),
        ("这是第三次打电话了，还是没人处理", "repeat_contact", True),
        # no allergy and no blisters are praise
        ("敏感肌用着也没有过敏 好评", "safety_health", False),
        ("空氣清淨機效果很明顯 過敏好多了", "safety_health", False),
        ("broke these shoes in on day one, zero blisters", "safety_health", False),
        ("用了你们的面霜过敏了，脸又红又肿", "safety_health", True),
        ("these shoes gave me blisters on both feet", "safety_health", True),
    ],
)
def test_a_word_in_another_sense_is_no_risk_but_the_risk_itself_still_is(text: str, kind: str, is_risk: bool) -> None:
    """Each `unless` phrase with a complaint that uses the same word as a risk: the customer who
    asks whether the agents work over a holiday is not reporting a fake agent, the one who was
    called by a fake agent is."""
    assert (kind in risks(text)) is is_risk


@pytest.mark.parametrize(
    "text, is_repeat",
    [
        # contacts counted with any amount, in both scripts and English (the lexicon's recipes)
        ("退款的事我前后催了十几次了", True),
        ("我聯絡你們客服起碼五次了，還是沒有下文", True),
        ("我问过你们七八回，每次都说在处理", True),
        ("打了十来个电话都说等通知", True),
        ("这是第十次来问这件事了", True),
        ("I've messaged you at least five times about this", True),
        ("I have phoned a dozen times and nobody picks up", True),
        ("That's my sixth email about the broken kettle", True),
        ("I've lost count of how many times I've called", True),
        ("换货的事我已经催了两次了", True),  # contacted twice: this is the third contact
        # an amount without a contact, or a second contact, is not repeated contact
        ("这个锅用了不下十次就糊底了", False),
        ("在页面上找了好几次都找不到退货入口", False),
        ("回购了七八次，一直很满意", False),
        ("I washed it ten times and it still smells", False),
        ("bought this a dozen times, always great", False),
        ("This is my second message about the parcel", False),
    ],
)
def test_counted_contacts_are_repeated_contact_and_other_counts_are_not(text: str, is_repeat: bool) -> None:
    assert ("repeat_contact" in risks(text)) is is_repeat


def test_a_lexicon_recipe_is_read_and_a_malformed_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "risk.yml"
    path.write_text("repeat_contact:\n  zh: [没人管]\n"
                    "  compose:\n    zh:\n      - [[催, 问], [了], [十几, 七八], [次]]\n"
                    "  unless:\n    zh: [问了七八次价格]\n", encoding="utf-8")
    matcher = RiskMatcher.load(path)
    assert matcher.evidence("催了七八次还是没人管") == {"repeat_contact": ["催了七八次", "没人管"]}
    assert matcher.kinds_in("我问了七八次价格才下单") == []  # an `unless:` phrase cancels a recipe's match
    path.write_text("repeat_contact:\n  compose:\n    zh:\n      - [催了, 十几次]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"risk.yml: 'repeat_contact': `compose: zh:` has"):
        RiskMatcher.load(path)
