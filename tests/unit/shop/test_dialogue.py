from shop.dialogue import consecutive_fallbacks


def user(intent: str) -> dict:
    return {"event": "user", "parse_data": {"intent": {"name": intent}}}


def test_counts_only_the_latest_run_of_misunderstood_messages() -> None:
    events = [user("nlu_fallback"), user("greet"), {"event": "bot"}, user("nlu_fallback"), {"event": "action"},
              user("nlu_fallback")]
    assert consecutive_fallbacks(events) == 2
    assert consecutive_fallbacks([user("greet")]) == 0
    assert consecutive_fallbacks([]) == 0
