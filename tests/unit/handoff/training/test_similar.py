"""Similar messages share a group led by the first of them; unrelated ones stand alone."""

from __future__ import annotations

from handoff.training.similar import Similarity, fold, groups

REFERENCE = ("我要退款", "发票怎么开", "你们几点下班", "how do I return an item", "谢谢", "订单查询")


def test_paraphrases_join_the_first_ones_group_and_others_stand_alone() -> None:
    texts = ["我的快递怎么还没到", "我的快递怎么还没到啊", "发票可以开电子的吗", "我的快递为什么还没到",
             "where is my parcel", "where is my parcel??"]
    leaders = groups(texts, REFERENCE)
    assert leaders[0] == 0 and leaders[1] == 0 and leaders[3] == 0  # 快递还没到, however it is said
    assert leaders[2] == 2  # an invoice question is not about a parcel
    assert leaders[4] == 4 and leaders[5] == 4
    assert groups(["where is my parcel", "我的快递怎么还没到"]) == [0, 1]  # no n-gram in common


def test_every_member_is_close_to_its_leader_not_just_to_another_member() -> None:
    # b is like a and c is like b, but c is not like a: c must not be pulled into a's group
    a, b, c = "请问退款什么时候到账", "退款什么时候到账呢亲", "什么时候到账呢亲爱的客服"
    similarity = Similarity()
    vectors = similarity.vectors([a, b, c])
    cosine = (vectors @ vectors.T).toarray()
    threshold = (cosine[0, 1] + cosine[0, 2]) / 2  # between a~b and a~c, whatever the weights
    assert cosine[1, 2] >= threshold > cosine[0, 2]
    assert similarity.groups([a, b, c], threshold=threshold) == [0, 0, 2]


def test_the_reference_is_counted_once_while_it_is_the_same() -> None:
    similarity = Similarity()
    reference = tuple(REFERENCE)
    similarity.groups(["我要退款"], reference)
    kept = similarity._df
    similarity.groups(["退款到哪了"], reference)
    assert similarity._df is kept
    similarity.groups(["退款到哪了"], (*reference, "新的例句"))
    assert similarity._df is not kept


def test_nothing_to_group_and_nothing_but_punctuation() -> None:
    assert groups([]) == []
    assert groups(["？？？", "!!!", ""]) == [0, 1, 2]
    assert fold("Ｗｈｅｒｅ's my PARCEL?!") == "where s my parcel"
