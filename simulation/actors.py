"""The people of the simulation: citizens who apply, correct, withdraw, rate and answer replies; the
CDC's staff in the standard handling module; departments' staff replying to bad ratings (整改).

Each reacts to what the platform tells them (the citizen's inbox, the staff's work queue) after a drawn
human delay, through `Portal`, exactly as a person using the product would.
"""

from __future__ import annotations

import functools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from departments.outputs import generate_outputs
from simulation.agenda import Agenda
from simulation.people import HOUSEHOLDS, Application, correction, draw_application, photos, typed_fields
from simulation.portal import Portal
from simulation.scenario import Scenario, office_time

THING = "newborn"
STAFF_DEPARTMENT = "cdc"
BAD_COMMENTS = ("办理时间太长,超过了承诺时限", "补正要求说得不清楚,来回折腾", "进度更新不及时,打电话也没人接")
GOOD_COMMENTS = ("", "", "很方便,一次都没跑", "全程网上办,省心")
REPLIES = ("已约谈经办人员并优化审核流程,今后按承诺时限办结。", "已核实情况,向您致歉;补正告知已改为一次性说明。")
CONTESTS = ("问题没有真正解决,仍然很慢",)
REPLY_ATTEMPTS = 4
REPLY_RETRY = timedelta(hours=2)
"""A reply refused as "not possible now" is tried again this much later, up to REPLY_ATTEMPTS times in all."""


@dataclass
class Tally:
    """What the simulated people did, for the summary; the platform's own figures are in its projection."""

    applied: int = 0
    supplements: int = 0
    withdrawals: int = 0
    staff_decisions: Counter[str] = field(default_factory=Counter)
    scores: Counter[int] = field(default_factory=Counter)
    rectifications: int = 0
    replies: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)


class People:
    def __init__(self, portal: Portal, scenario: Scenario, rng: random.Random) -> None:
        self._portal = portal
        self.agenda = Agenda()
        self._scenario = scenario
        self._rng = rng
        self.cases: dict[str, Application] = {}
        self.tally = Tally()
        self._seen_messages: set[int] = set()
        self._in_hand: set[tuple[str, str]] = set()
        """CDC queue entries a staff member has taken; forgotten once they leave the queue."""
        self._corrected: set[tuple[str, str]] = set()
        self._now = datetime.min.replace(tzinfo=UTC)

    # --- citizens ----------------------------------------------------------------------------------

    def plan_application(self, at: datetime) -> None:
        application = draw_application(self._rng, at)
        self.agenda.at(at, functools.partial(self._apply, application, at))

    async def _apply(self, application: Application, at: datetime) -> None:
        form = await self._portal.prefilled_form(application.applicant, THING, application.answers)
        typed = typed_fields(application, form)
        case_no = await self._portal.apply(application.applicant, THING, application.answers, typed, photos(form))
        self.cases[case_no] = application
        self.tally.applied += 1
        if self._rng.random() < self._scenario.withdraw_rate:
            later = at + timedelta(hours=self._rng.uniform(1, self._scenario.withdraw_within_hours))
            self.agenda.at(later, functools.partial(self._withdraw, case_no))

    async def _withdraw(self, case_no: str) -> None:
        if await self._portal.withdraw(self.cases[case_no].applicant, case_no):
            self.tally.withdrawals += 1

    async def read_inboxes(self) -> None:
        """Each applicant reacts to new notices: a correction request, or the case being done."""
        subjects = {subject for household in HOUSEHOLDS for subject in (household.mother, household.father)}
        for subject in sorted(subjects):
            for message in await self._portal.inbox(subject):
                if message["id"] in self._seen_messages or message["case_no"] not in self.cases:
                    continue
                self._seen_messages.add(message["id"])
                if message["kind"] == "correction_needed":
                    self._plan_supplement(message["case_no"], message["item_code"])
                elif message["kind"] == "all_done" and self._rng.random() < self._scenario.rating_rate:
                    later = self._now + timedelta(hours=self._rng.uniform(0.5, self._scenario.rating_within_hours))
                    self.agenda.at(later, functools.partial(self._rate, message["case_no"]))

    def _plan_supplement(self, case_no: str, item_code: str) -> None:
        if self._rng.random() >= self._scenario.supplement_rate:
            return  # some never answer: the case waits for them, its clock stopped
        low, high = self._scenario.supplement_days
        later = self._now + timedelta(days=self._rng.uniform(low, high))
        self.agenda.at(later, functools.partial(self._supplement, case_no, item_code))

    async def _supplement(self, case_no: str, item_code: str) -> None:
        application = self.cases[case_no]
        if await self._portal.supplement(application.applicant, case_no, item_code, correction(application)):
            self.tally.supplements += 1

    async def _rate(self, case_no: str) -> None:
        applicant = self.cases[case_no].applicant
        case = await self._portal.case(applicant, case_no)
        overall = self._scenario.score(self._rng)
        departments = []
        for department, late in _handled(case).items():
            penalty = self._rng.randint(1, 2) if late else 0  # a late department scores below the case
            score = max(1, min(5, overall + self._rng.choice((-1, 0, 0, 0, 1)) - penalty))
            comment = self._rng.choice(BAD_COMMENTS) if score <= 2 else self._rng.choice(GOOD_COMMENTS)
            departments.append({"department": department, "score": score, "comment": comment})
        overall_comment = self._rng.choice(BAD_COMMENTS) if overall <= 2 else self._rng.choice(GOOD_COMMENTS)
        rating = {"overall": {"score": overall, "comment": overall_comment}, "departments": departments}
        view = await self._portal.rate(applicant, case_no, rating)
        if view is None:
            return
        self.tally.scores[overall] += 1
        for entry in view["departments"]:
            if entry["rectification"]:
                self.tally.rectifications += 1
                self._plan_reply(case_no, entry["department"], entry["rectification"], contested=False)

    # --- department staff --------------------------------------------------------------------------

    async def read_staff_queue(self) -> None:
        """The CDC's staff take each new item in their queue and decide it after a drawn delay."""
        queue = await self._portal.staff_queue(STAFF_DEPARTMENT)
        current = {(entry["case_no"], entry["item_code"]) for entry in queue}
        self._in_hand &= current
        for entry in queue:
            key = (entry["case_no"], entry["item_code"])
            if key in self._in_hand or entry["case_no"] not in self.cases:
                continue
            self._in_hand.add(key)
            when = office_time(self._now + self._scenario.staff_delay.draw(self._rng))
            self.agenda.at(when, functools.partial(self._decide, key, entry["outputs"]))

    async def _decide(self, key: tuple[str, str], outputs: list[str]) -> None:
        case_no, item_code = key
        roll = self._rng.random()
        decision: dict[str, Any]
        if roll < self._scenario.staff_reject_rate:
            decision = {"decision": "reject", "reason": "新生儿信息与出生医学证明不一致,请重新申请"}
        elif (
            roll < self._scenario.staff_reject_rate + self._scenario.staff_correction_rate
            and key not in self._corrected
        ):
            self._corrected.add(key)
            decision = {"decision": "correction", "reason": "请核对并补充联系电话,以便接种门诊预约"}
        else:
            output = generate_outputs(STAFF_DEPARTMENT, f"{case_no}:{item_code}", outputs)
            decision = {"decision": "approve", "output": output}
        if await self._portal.decide(STAFF_DEPARTMENT, case_no, item_code, decision):
            self.tally.staff_decisions[decision["decision"]] += 1

    def _plan_reply(self, case_no: str, department: str, rectification: str, *, contested: bool) -> None:
        if self._rng.random() >= self._scenario.reply_rate:
            return  # left unanswered: it goes red after 15 working days
        self.agenda.at(
            office_time(self._now + self._scenario.reply_delay.draw(self._rng)),
            functools.partial(self._reply, case_no, department, rectification, contested),
        )

    async def _reply(
        self, case_no: str, department: str, rectification: str, contested: bool, attempt: int = 1
    ) -> None:
        if not await self._portal.reply(department, rectification, self._rng.choice(REPLIES)):
            # "Not possible now" (409): on a busy machine the simulated clock can run ahead of the worker, so
            # the rectification a rating opened may not be open for replies yet. Staff try again later.
            if attempt < REPLY_ATTEMPTS:
                self.agenda.at(
                    office_time(self._now + REPLY_RETRY),
                    functools.partial(self._reply, case_no, department, rectification, contested, attempt + 1),
                )
            return
        self.tally.replies += 1
        later = self._now + timedelta(days=self._rng.uniform(0.5, self._scenario.verdict_within_days))
        self.agenda.at(later, functools.partial(self._verdict, case_no, department, rectification, contested))

    async def _verdict(self, case_no: str, department: str, rectification: str, contested: bool) -> None:
        applicant = self.cases[case_no].applicant
        roll = self._rng.random()
        if roll < self._scenario.confirm_rate or contested:
            if await self._portal.verdict(applicant, case_no, department, "confirm", "问题已解决"):
                self.tally.verdicts["confirmed"] += 1
        elif roll < self._scenario.confirm_rate + self._scenario.contest_rate:
            note = self._rng.choice(CONTESTS)
            if not await self._portal.verdict(applicant, case_no, department, "contest", note):
                return
            self.tally.verdicts["contested"] += 1
            self._plan_reply(case_no, department, rectification, contested=True)

    # --- what the applicants see ------------------------------------------------------------------

    async def view(self, case_no: str) -> dict[str, Any]:
        return await self._portal.case(self.cases[case_no].applicant, case_no)

    async def statuses(self) -> Counter[str]:
        """The status of every simulated case, from the applicants' case lists."""
        found: dict[str, str] = {}
        for subject in sorted({application.applicant for application in self.cases.values()}):
            found |= {case["case_no"]: case["status"] for case in await self._portal.my_cases(subject)}
        return Counter(status for case_no, status in found.items() if case_no in self.cases)

    # --- the simulated moment ----------------------------------------------------------------------

    def tick(self, now: datetime) -> None:
        """The simulated moment of what runs next: every delay a person draws starts from it."""
        self._now = now


def _handled(case: dict[str, Any]) -> dict[str, bool]:
    """The departments that completed an item of the case, and whether any of their items was late."""
    handled: dict[str, bool] = {}
    for item in case["items"]:
        if item["status"] == "completed":
            handled[item["department"]] = handled.get(item["department"], False) or item["breached_at"] is not None
    return handled
