"""The words of every citizen notice, in Chinese and English, rendered from names and facts only.

Nothing from the citizen's form goes in. A department's correction reason is free text from another
system, so anything shaped like a resident ID number is blanked before it reaches an SMS or a log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from workflows.contracts import Channel, Message, MessageKind

_ID_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")
_HIDDEN = "[已隐去/hidden]"


@dataclass(frozen=True)
class Text:
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str

    def for_channel(self, channel: Channel) -> str:
        # An SMS must stay short: Chinese only. An e-mail carries both languages.
        if channel is Channel.SMS:
            return f"【一网通办】{self.body_zh}"
        return f"{self.title_zh}\n{self.body_zh}\n\n{self.title_en}\n{self.body_en}"


def without_id_numbers(text: str) -> str:
    return _ID_NUMBER.sub(_HIDDEN, text)


def expiry_round(last_valid_day: date, lead_days: int | None = None) -> int:
    """licence_expiring messages use the last valid day and the lead as their round: one notice per
    licence, expiry and lead (YYYYMMDD * 1000 + lead, e.g. 20271205090); without a lead (notices sent
    before leads existed) the day alone."""
    day = int(last_valid_day.strftime("%Y%m%d"))
    return day if lead_days is None else day * 1000 + lead_days


def expiry_of_round(round: int) -> str:
    """The last valid day a licence_expiring round names, as YYYY-MM-DD."""
    digits = str(round // 1000 if round > 99_999_999 else round)
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if len(digits) == 8 else digits


def render(message: Message) -> Text:
    thing_zh, thing_en = message.thing_name.zh, message.thing_name.en
    item_zh = message.item_name.zh if message.item_name else message.item_code
    item_en = message.item_name.en if message.item_name else message.item_code
    case_no = message.case_no
    # A department that gave no reason: each language says where to look, in its own words.
    reason_zh = without_id_numbers(message.reason or "请查看办件详情")
    reason_en = without_id_numbers(message.reason or "see the case page")
    match message.kind:
        case MessageKind.ACCEPTED:
            return Text(
                f"已受理:{thing_zh}",
                f"Accepted: {thing_en}",
                f"您的「{thing_zh}」申请已受理,办件编号 {case_no}。各部门的办理进度都可在这个编号下查看。",
                f"Your application for {thing_en} was accepted as case {case_no}. "
                "Every department's progress is shown under this one number.",
            )
        case MessageKind.CORRECTION_NEEDED:
            return Text(
                f"需要补正:{item_zh}",
                f"Correction needed: {item_en}",
                f"「{item_zh}」需要您补正:{reason_zh}。补正前办理时限暂停,请在办件 {case_no} 中提交。",
                f"{item_en} needs a correction from you: {reason_en}. The time limit is paused until you "
                f"submit it in case {case_no}.",
            )
        case MessageKind.ITEM_DONE:
            return Text(
                f"已办结:{item_zh}",
                f"Done: {item_en}",
                f"办件 {case_no} 中的「{item_zh}」已办结,结果可在办件详情中查看。",
                f"{item_en} in case {case_no} is done; the result is on the case page.",
            )
        case MessageKind.ALL_DONE:
            return Text(
                f"全部办结:{thing_zh}",
                f"All done: {thing_en}",
                f"「{thing_zh}」(办件 {case_no})的全部事项已办结。欢迎对本次服务和各部门评价(好差评)。",
                f"Everything in {thing_en} (case {case_no}) is done. Please rate the service and each department.",
            )
        case MessageKind.LICENCE_EXPIRING:
            last_day = expiry_of_round(message.round)
            return Text(
                f"证照即将到期:{item_zh}",
                f"Licence expiring: {item_en}",
                f"您的「{item_zh}」有效期至 {last_day},请及时办理续期。",
                f"Your {item_en} is valid until {last_day}; please renew it in time.",
            )
