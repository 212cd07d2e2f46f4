"""Rate limits: counted in the shared Redis, refused with a time to wait, open when Redis is down."""

from core.limits import RateLimiter, client_address


def test_the_limit_refuses_the_next_one_and_says_when_to_retry(redis_url: str) -> None:
    limiter = RateLimiter(redis_url, {"conversation": "3/minute"})
    limiter.reset("conversation", "web:a")
    verdicts = [limiter.hit("conversation", "web:a") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert 1 <= verdicts[-1].retry_after_s <= 60
    assert limiter.hit("conversation", "web:b").allowed  # another conversation has its own count


def test_two_processes_share_one_count(redis_url: str) -> None:
    one, two = (RateLimiter(redis_url, {"ip": "2/minute"}) for _ in range(2))
    one.reset("ip", "10.0.0.1")
    assert one.hit("ip", "10.0.0.1").allowed and two.hit("ip", "10.0.0.1").allowed
    assert not one.hit("ip", "10.0.0.1").allowed


def test_without_redis_customers_are_let_through() -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", {"conversation": "1/minute"})
    assert limiter.hit("conversation", "x").allowed and limiter.hit("conversation", "x").allowed


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    trusted = ("127.0.0.1",)
    assert client_address("127.0.0.1", "6.6.6.6, 1.2.3.4", trusted) == "1.2.3.4"
    assert client_address("9.9.9.9", "1.2.3.4", trusted) == "9.9.9.9"
    assert client_address(None, None, trusted) == "unknown"
