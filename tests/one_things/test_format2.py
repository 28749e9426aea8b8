"""Format 2: each new construct accepted, and each misuse refused naming its file:line and the fix; the
plan and the one notice of the home-transfer definition in both mortgage branches."""

from __future__ import annotations

from datetime import date

import pytest

from one_things.catalog import load_catalog
from one_things.demo import demo_application
from one_things.eligibility import individual_definition
from one_things.forms import validate_form
from one_things.loader import parse_file
from one_things.plan import PlanError, make_plan
from services.notice import answers_from_query, notice
from tests.one_things.conftest import MINI, Breaker, line_of

V2 = ("code: mini\n", "format: 2\ncode: mini\n")
CONDITIONAL = ("    depends_on: [hukou]\n", "    depends_on: [hukou]\n    depends_on_if_included: [cert]\n")
MULTI = (
    '    default: "yes"\n',
    '    multiple: true\n    default: ["yes"]\n',
)
REQUIRED_WHEN = (
    "    choices: [male, female]\n",
    '    choices: [male, female]\n    required: false\n    required_when: [{question: wants_card, answers: ["yes"]}]\n',
)
FIRST_CERT = "      first_cert: items.cert.cert_no\n"
ANSWER_INPUT = (FIRST_CERT, FIRST_CERT + "      wants: answers.wants_card\n")
NOTICE = (
    '        label: {zh: 否, en: "No"}\n',
    '        label: {zh: 否, en: "No"}\n        notice: {zh: 不办卡, en: "No card"}\n',
)
AHEAD = (
    "    name: {zh: 姓名, en: Name}\n    type: text\n",
    "    name: {zh: 日期, en: Date}\n    type: date\n    min_days_ahead: 20\n",
)
TODAY = date(2026, 12, 7)


def only_error(broken: Breaker, *edits: tuple[str, str]) -> tuple[str, object]:
    path, text = broken(*edits)
    thing, errors = parse_file(path)
    assert thing is None
    assert len(errors) == 1, "\n".join(map(str, errors))
    return text, errors[0]


def test_every_format_2_construct_is_accepted_in_a_format_2_file(broken: Breaker) -> None:
    path, _ = broken(V2, CONDITIONAL, MULTI, REQUIRED_WHEN, ANSWER_INPUT, NOTICE, AHEAD)
    thing, errors = parse_file(path)
    assert errors == []
    assert thing is not None
    assert thing.format == 2
    assert thing.item("card").waits_for == ["hukou", "cert"]


@pytest.mark.parametrize(
    ("edit", "needle", "what"),
    [
        (CONDITIONAL, "depends_on_if_included: [cert]", "depends_on_if_included needs format 2"),
        (MULTI, "multiple: true", "multiple needs format 2"),
        (REQUIRED_WHEN, "required_when:", "required_when needs format 2"),
        (ANSWER_INPUT, "wants: answers.wants_card", "input 'wants' reads an answer (answers.wants_card), which needs"),
        (NOTICE, "notice: {zh: 不办卡", "notice needs format 2"),
        (AHEAD, "min_days_ahead: 20", "min_days_ahead needs format 2"),
    ],
)
def test_a_format_1_file_using_a_format_2_construct_is_told_to_declare_it(
    broken: Breaker, edit: tuple[str, str], needle: str, what: str
) -> None:
    text, error = only_error(broken, edit)
    assert what in error.message  # type: ignore[attr-defined]
    assert error.line == line_of(text, needle)  # type: ignore[attr-defined]
    assert "add `format: 2`" in error.fix  # type: ignore[attr-defined]


# The definitions written before format 2 existed: they load as they are, without `format: 2`.
WRITTEN_IN_FORMAT_1 = [
    "after_death",
    "bankruptcy_check",
    "credit_repair",
    "disability_employment_levy",
    "disability_services",
    "employee_hiring",
    "enterprise_change",
    "newborn",
    "public_credit_repair",
    "restaurant",
    "retirement",
    "school_enrolment",
    "social_security_card",
    "transport_company",
    "utility_connection",
]


def test_format_1_files_load_unchanged() -> None:
    catalog = load_catalog()
    assert [t.code for t in catalog.all() if t.code in WRITTEN_IN_FORMAT_1 and t.format == 1] == WRITTEN_IN_FORMAT_1


@pytest.mark.parametrize(
    ("edits", "needle", "message", "fix"),
    [
        (
            [("    depends_on: [hukou]\n", "    depends_on: [hukou]\n    depends_on_if_included: [hukuo]\n")],
            "depends_on_if_included: [hukuo]",
            "depends_on_if_included names unknown item 'hukuo'",
            "did you mean 'hukou'?",
        ),
        (
            [("    depends_on: [hukou]\n", "    depends_on: [hukou]\n    depends_on_if_included: [hukou]\n")],
            "depends_on_if_included: [hukou]",
            "'hukou' is in both depends_on and depends_on_if_included",
            "not both",
        ),
        (
            [("    depends_on: [cert]\n", "    depends_on_if_included: [cert]\n")],
            "cert_no: items.cert.cert_no",
            "which the answers may leave out",
            "move cert to depends_on",
        ),
        (
            [REQUIRED_WHEN, ('answers: ["yes"]}]', 'answers: ["ye"]}]')],
            'answers: ["ye"]',
            "required_when names 'ye', which is not an option of wants_card",
            "did you mean 'yes'?",
        ),
        (
            [REQUIRED_WHEN, ("    required: false\n", "")],
            "required_when:",
            "required_when on a field that is required for every answer",
            "add `required: false`",
        ),
        (
            [('    default: "yes"\n', '    multiple: true\n    default: "yes"\n')],
            'default: "yes"',
            "the default of a multi-select question is a list",
            "default: [yes]",
        ),
        (
            [(ANSWER_INPUT[0], ANSWER_INPUT[1].replace("wants_card", "want_card"))],
            "wants: answers.want_card",
            "source 'answers.want_card' names no guidance question",
            "did you mean 'wants_card'?",
        ),
        (
            [AHEAD, ("    min_days_ahead: 20\n", "    min_days_ahead: 20\n    not_in_future: true\n")],
            "min_days_ahead: 20",
            "not_in_future and min_days_ahead leave no date to accept",
            "min_days_ahead for one still to come",
        ),
    ],
)
def test_format_2_misuse_is_refused_with_line_and_fix(
    broken: Breaker, edits: list[tuple[str, str]], needle: str, message: str, fix: str
) -> None:
    path, text = broken(V2, *edits)
    thing, errors = parse_file(path)
    assert thing is None
    error = next((e for e in errors if message in e.message), None)
    assert error is not None, "\n".join(map(str, errors))
    assert error.line == line_of(text, needle), error
    assert fix in error.fix, error


def test_a_misspelt_prefill_source_is_refused_with_the_nearest_valid_one(broken: Breaker) -> None:
    edit = ("    type: text\n", "    type: text\n    prefill: population_register.mothr_name\n")
    text, error = only_error(broken, edit)
    assert error.line == line_of(text, "prefill: population_register.mothr_name")  # type: ignore[attr-defined]
    assert "'population_register.mothr_name' is not in the registers' vocabulary" in error.message  # type: ignore[attr-defined]
    assert error.fix.startswith("did you mean 'population_register.mother_name'?")  # type: ignore[attr-defined]
    assert str(error).startswith(f"mini.yaml:{error.line}: form[0] (child_name): ")  # type: ignore[attr-defined]


def test_a_register_of_the_other_applicant_kind_is_refused(broken: Breaker) -> None:
    edit = ("    type: text\n", "    type: text\n    prefill: enterprise_register.name\n")
    _, error = only_error(broken, edit)
    assert "does not hold data of this applicant" in error.message  # type: ignore[attr-defined]


def test_every_prefill_of_the_catalogue_is_in_the_vocabulary() -> None:
    # load_catalog refuses an invalid catalogue; this names the rule the catalogue now passes.
    assert any(field.prefill for thing in load_catalog().all() for field in thing.form)


# --- the home-transfer definition -------------------------------------------------------------------

HOME = load_catalog().get("home_transfer")
UTILITIES = ["water_account_transfer", "power_account_transfer", "gas_account_transfer", "broadband_account_transfer"]


def test_with_a_mortgage_registration_waits_for_the_release() -> None:
    plan = make_plan(HOME, {"has_mortgage": "yes"})
    assert plan.included == ["home_transaction_tax", "mortgage_release", "home_transfer_registration", *UTILITIES]
    assert plan.excluded == []
    view = notice(HOME, plan)
    registration = next(i for i in view["items"] if i["code"] == "home_transfer_registration")
    assert registration["depends_on"] == ["home_transaction_tax", "mortgage_release"]
    assert [n["zh"] for n in view["notices"]] == [
        "房屋有抵押:先办理抵押权注销登记(请填写贷款合同编号并上传抵押权人同意注销证明),注销完成后办理转移登记。"
    ]
    assert [m["code"] for m in view["materials_to_provide"]] == ["mortgage_release_consent"]


def test_without_a_mortgage_everything_but_the_release_still_applies() -> None:
    plan = make_plan(HOME, {"has_mortgage": "no"})
    assert plan.included == ["home_transaction_tax", "home_transfer_registration", *UTILITIES]
    # Only the release is "not needed": the registration and the utilities are not dropped with it.
    assert plan.excluded == ["mortgage_release"]
    view = notice(HOME, plan)
    registration = next(i for i in view["items"] if i["code"] == "home_transfer_registration")
    assert registration["depends_on"] == ["home_transaction_tax"]
    assert [n["en"] for n in view["notices"]] == [
        "The home is not mortgaged: the transfer is registered as soon as the taxes are paid; no release is needed."
    ]
    assert view["materials_to_provide"] == []
    assert plan.promised_days == 1 + 5 + 2


def test_the_loan_contract_number_is_asked_only_with_a_mortgage() -> None:
    with_mortgage = demo_application(HOME, TODAY, {"has_mortgage": "yes"})["form"]
    assert isinstance(with_mortgage, dict)
    assert "loan_contract_no" in with_mortgage
    missing = {k: v for k, v in with_mortgage.items() if k != "loan_contract_no"}
    problems = validate_form(HOME, missing, today=TODAY, answers={"has_mortgage": "yes"})[1]
    assert [p.field for p in problems] == ["form.loan_contract_no"]
    assert validate_form(HOME, missing, today=TODAY, answers={"has_mortgage": "no"})[1] == []
    refused = validate_form(HOME, with_mortgage, today=TODAY, answers={"has_mortgage": "no"})[1]
    assert [(p.field, "not asked" in p.message) for p in refused] == [("form.loan_contract_no", True)]


def test_utilities_move_only_when_chosen() -> None:
    plan = make_plan(HOME, {"has_mortgage": "no", "utilities": ["gas", "water"]})
    assert plan.included == ["home_transaction_tax", "home_transfer_registration", *UTILITIES[:1], UTILITIES[2]]
    assert plan.answers["utilities"] == ["gas", "water"]
    assert make_plan(HOME, {"has_mortgage": "no", "utilities": []}).included == [
        "home_transaction_tax",
        "home_transfer_registration",
    ]
    with pytest.raises(PlanError, match="chosen twice"):
        make_plan(HOME, {"has_mortgage": "no", "utilities": ["gas", "gas"]})
    with pytest.raises(PlanError, match="choose one answer"):
        make_plan(HOME, {"has_mortgage": ["no"]})
    pairs = [("has_mortgage", "no"), ("utilities", "gas"), ("utilities", "power"), ("other", "x")]
    assert answers_from_query(HOME, pairs) == {"has_mortgage": "no", "utilities": ["gas", "power"]}


def test_the_mortgage_question_must_be_answered() -> None:
    with pytest.raises(PlanError, match="please answer"):
        make_plan(HOME, {})


def test_the_release_applied_for_alone_asks_for_the_loan_contract() -> None:
    alone = individual_definition(HOME, "mortgage_release")
    loan = next(f for f in alone.form if f.code == "loan_contract_no")
    assert loan.required
    assert not loan.required_when
    taxes = individual_definition(HOME, "home_transaction_tax")
    assert taxes.item("home_transaction_tax").inputs["first_home"] == "form.first_home"
    assert next(f for f in taxes.form if f.code == "first_home").choices == ["yes", "no"]


def test_a_format_1_file_means_the_same(broken: Breaker) -> None:
    path, _ = broken()
    thing, errors = parse_file(path)
    assert errors == []
    assert thing is not None
    assert thing.format == 1
    assert make_plan(thing, {"wants_card": "no"}).included == ["cert", "hukou"]
    assert MINI.startswith("code: mini")
