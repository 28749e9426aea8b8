"""Notice texts: both languages, the facts a citizen needs, never a resident ID number."""

from __future__ import annotations

import re
from datetime import date

from activities.message_texts import render, without_id_numbers
from activities.messages import licence_expiring
from one_things.schema import Names
from workflows.contracts import Channel, Message, MessageKind

NEWBORN = Names(zh="新生儿出生一件事", en="Newborn")
BIRTH = Names(zh="出生医学证明签发", en="Birth medical certificate")


def test_a_correction_reason_loses_any_id_number_but_keeps_the_rest() -> None:
    reason = "母亲身份证号 310104199001010023 与户籍不符,请核对"
    message = Message(
        owner="acc-1",
        case_no="20270301-ABCDEFGH",
        kind=MessageKind.CORRECTION_NEEDED,
        item_code="birth_certificate",
        thing_name=NEWBORN,
        item_name=BIRTH,
        reason=reason,
    )
    text = render(message)
    for channel in Channel:
        assert "310104199001010023" not in text.for_channel(channel)
    assert "与户籍不符" in text.body_zh
    assert "出生医学证明签发" in text.title_zh
    assert "Birth medical certificate" in text.title_en
    assert "20270301-ABCDEFGH" in text.body_en


def test_id_numbers_of_both_lengths_are_hidden_but_case_numbers_are_not() -> None:
    assert "11010519491231002X" not in without_id_numbers("号码11010519491231002X。")
    assert "110105491231002" not in without_id_numbers("旧号 110105491231002")
    assert without_id_numbers("办件 20270301-ABCDEFGH") == "办件 20270301-ABCDEFGH"


def test_licence_expiring_is_one_notice_per_licence_and_expiry_date() -> None:
    message = licence_expiring(
        owner="acc-1",
        case_no="20270301-ABCDEFGH",
        item_code="social_security_card",
        thing_name=NEWBORN,
        licence_name=Names(zh="社会保障卡", en="Social security card"),
        last_valid_day=date(2037, 3, 1),
    )
    assert message.round == 20370301
    text = render(message)
    assert "2037-03-01" in text.body_zh
    assert "Social security card" in text.body_en
    assert text.for_channel(Channel.SMS).startswith("【一网通办】")


def test_each_lead_is_its_own_notice_and_still_names_the_last_valid_day() -> None:
    rounds = set()
    for lead in (90, 30):
        message = licence_expiring(
            owner="acc-1",
            case_no="20270301-ABCDEFGH",
            item_code="social_security_card",
            thing_name=NEWBORN,
            licence_name=Names(zh="社会保障卡", en="Social security card"),
            last_valid_day=date(2037, 3, 1),
            lead_days=lead,
        )
        rounds.add(message.round)
        assert "有效期至 2037-03-01" in render(message).body_zh
        assert "valid until 2037-03-01" in render(message).body_en
    assert rounds == {20370301090, 20370301030}


def test_a_correction_without_a_reason_says_where_to_look_in_each_language() -> None:
    message = Message(
        owner="acc-1",
        case_no="20270301-ABCDEFGH",
        kind=MessageKind.CORRECTION_NEEDED,
        item_code="birth_certificate",
        thing_name=NEWBORN,
        item_name=BIRTH,
    )
    text = render(message)
    assert "请查看办件详情" in text.body_zh
    assert "see the case page" in text.body_en
    assert not re.search(r"[\u3400-\u9fff]", text.title_en + text.body_en)  # the English inbox shows no Chinese
