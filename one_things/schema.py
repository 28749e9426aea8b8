"""The one-thing definition format: the pydantic models a catalogue YAML file is parsed into.

These models are also the snapshot a workflow runs on, so they stay pure data: no I/O, no imports
beyond pydantic, safe inside the Temporal workflow sandbox. Cross-reference checks (cycles, dangling
references, inputs nobody produces) live in `one_things.validation`, which can name the file and line.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Code = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]*$",
        max_length=64,
        description="A reference key: lower-case letters, digits and _, starting with a letter (e.g. hukou_no)",
    ),
]
"""A reference key: lower-case letters, digits and underscores, starting with a letter."""


class Strict(BaseModel):
    """Unknown keys are errors: a typo in a catalogue file must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Names(Strict):
    """A text in Chinese (zh, shown by default) and English (en)."""

    zh: str = Field(min_length=1, description="Chinese name, shown by default")
    en: str = Field(min_length=1, description="English name")


class IntegrationMode(StrEnum):
    """The four ways a department is integrated (seed 004, 受办分离)."""

    STANDARD_MODULE = "standard_module"
    """The department has no system: its staff handle the item in the platform's own module."""
    SYNC_REST = "sync_rest"
    """The department's system answers the submission in the same HTTP exchange."""
    ASYNC_CALLBACK = "async_callback"
    """The department acknowledges, then reports the result with an HMAC-signed callback."""
    BATCH = "batch"
    """Data pipeline: submissions are handed over in batches and results pulled back later."""


class MaterialSource(StrEnum):
    """Where a material comes from; only `citizen` ones are asked of the applicant (两个免于提交)."""

    CITIZEN = "citizen"
    """The citizen must provide it."""
    SHARED_DATA = "shared_data"
    """The government already holds it in shared data (免于提交)."""
    LICENCE_LIBRARY = "licence_library"
    """An e-licence the government already issued (免于提交)."""


class ApplicantKind(StrEnum):
    """Who applies: a natural person (自然人) or a legal person (法人: an enterprise or organisation)."""

    PERSON = "person"
    """Signs in as a resident; held data comes from the population register (population_register.*)."""
    LEGAL_PERSON = "legal_person"
    """Signs in as an enterprise's representative; held data from the enterprise register (enterprise_register.*)."""


class FieldType(StrEnum):
    """What a form field accepts; the one form checks every value against its type."""

    TEXT = "text"
    """Free text; `max_length` limits it."""
    DATE = "date"
    """A date as YYYY-MM-DD; `not_in_future`, `max_age_days` and `min_days_ahead` limit it."""
    RESIDENT_ID = "resident_id"
    """An 18-character resident ID number (居民身份证号码); the check digit and birth date are checked."""
    CREDIT_CODE = "credit_code"
    """统一社会信用代码: the 18-character unified social credit code of a legal person (GB 32100)."""
    PHONE = "phone"
    """A mainland mobile number: 11 digits starting 13-19."""
    CHOICE = "choice"
    """One of the values listed under `choices`."""
    BOOLEAN = "boolean"
    """Yes or no (true / false)."""
    INTEGER = "integer"
    """A whole number."""


class AnswerIs(Strict):
    """A condition on the guidance answers: question `question` was answered with one of `answers`."""

    question: Code = Field(description="A guidance question's code")
    answers: list[Code] = Field(min_length=1, description="Any of these answers meets the condition")


class FormField(Strict):
    """One field of the one form (一表申请), shared by every item that needs it."""

    code: Code = Field(description="The field's key, used in items' inputs as form.<code>")
    name: Names = Field(description="The label the applicant reads")
    type: FieldType = Field(description="What the field accepts")
    required: bool = Field(default=True, description="false: the applicant may leave it empty")
    personal: bool = Field(
        default=False,
        description="Personal data (name, ID number, address): never logged, masked on pages",
    )
    choices: list[str] = Field(default_factory=list, description="Allowed values of a `choice` field")
    choice_names: dict[str, Names] = Field(
        default_factory=dict,
        description="Each choice as the applicant reads it, e.g. {male: {zh: 男, en: Male}}: the form shows these, "
        "never the codes, in the page's language",
    )
    max_length: int | None = Field(default=None, ge=1, description="At most this many characters (text fields)")
    not_in_future: bool = Field(default=False, description="A `date` that must not be after today")
    max_age_days: int | None = Field(
        default=None, ge=1, description="A `date` at most this many calendar days before today"
    )
    min_days_ahead: int | None = Field(
        default=None,
        ge=0,
        le=3660,
        description="A `date` at least this many calendar days after today (0: today or later), e.g. an event's "
        "date when the law wants the application so long before it",
    )
    prefill: str | None = Field(
        default=None,
        description="Where the government already holds the value (e.g. population_register.mother_name)",
    )
    editable: bool = Field(
        default=False,
        description="A pre-filled value the applicant may replace (e.g. a contact number); any other pre-filled "
        "value is the register's and a differing typed value is refused",
    )
    required_when: list[AnswerIs] = Field(
        default_factory=list,
        description="Format 2: with `required: false`, the field is asked for and required only when one of these "
        "answers is given (e.g. the loan contract number when there is a mortgage)",
    )


class Department(Strict):
    """A department taking part in the one-thing."""

    code: Code = Field(description="The department's key, used by items' `department`")
    name: Names = Field(description="The department's official name")


class Material(Strict):
    """A material (材料) an item needs, and where it comes from."""

    code: Code = Field(
        description="A code of the registry of licences and materials (_registry.yaml beside the definitions); "
        "for a licence_library material, a licence type"
    )
    name: Names = Field(
        description="Leave it out: the registry's name is filled in. Written, it must be the registry's name"
    )
    source: MaterialSource = Field(description="Who provides it: the applicant, shared data or the licence library")
    items: list[Code] = Field(default_factory=list, description="Items that need this material")

    @property
    def exempt(self) -> bool:
        """免于提交: the government already holds it, the citizen does not provide it."""
        return self.source is not MaterialSource.CITIZEN


class Validity(Strict):
    """How long a licence stays valid after the day it is issued; at least one part is more than zero."""

    years: int = Field(default=0, ge=0, le=100, description="Whole years")
    months: int = Field(default=0, ge=0, le=1200, description="Whole months")
    days: int = Field(default=0, ge=0, le=36500, description="Whole days")

    @model_validator(mode="after")
    def _not_empty(self) -> Validity:
        if not (self.years or self.months or self.days):
            raise ValueError("a validity needs years, months or days above 0; leave result_valid_for out for none")
        return self


class Item(Strict):
    """A service item (事项) handled by one department."""

    code: Code = Field(description="The item's key, used by depends_on, materials and questions")
    item_no: str = Field(min_length=1, description="The official item number (一事一码) in the item catalogue")
    department: Code = Field(description="The code of the department (under departments) that handles it")
    name: Names = Field(description="The item's name in the item catalogue")
    result_name: Names | None = Field(default=None, description="What the citizen receives, e.g. 出生医学证明")
    result_valid_for: Validity | None = Field(
        default=None,
        description="How long the licence this item issues is valid, e.g. {years: 5}; leave out for no expiry",
    )
    mode: IntegrationMode = Field(description="How the department is connected (受办分离)")
    statutory_days: int = Field(ge=1, description="法定时限, working days")
    promised_days: int = Field(ge=1, description="承诺时限, working days; not more than statutory_days")
    depends_on: list[Code] = Field(
        default_factory=list,
        description="Items that must finish first; when one of them is left out by the answers, so is this item",
    )
    depends_on_if_included: list[Code] = Field(
        default_factory=list,
        description="Format 2: items that must finish first when the answers include them; when the answers leave "
        "one out, this item does not wait for it (and still applies)",
    )
    inputs: dict[Code, str] = Field(
        default_factory=dict,
        description="Submission field -> source: `form.<field>`, `items.<item>.<output>` or (format 2) "
        "`answers.<question>`",
    )
    outputs: list[Code] = Field(
        default_factory=list, description="Fields the department returns, e.g. a licence number"
    )
    output_names: dict[str, Names] = Field(
        default_factory=dict,
        description="Each output as staff read it, when there are several (one output is the result's number)",
    )

    @property
    def waits_for(self) -> list[Code]:
        """Every item this one waits for when both are included: hard and conditional dependencies."""
        return [*self.depends_on, *(code for code in self.depends_on_if_included if code not in self.depends_on)]


class Option(Strict):
    """One answer to a guidance question."""

    value: Code = Field(description='The answer\'s key (quote yes / no: "yes")')
    label: Names = Field(description="The answer as the applicant reads it")
    include: list[Code] = Field(
        default_factory=list,
        description="Items this answer adds (in a multi-select question: items that apply only when it is chosen)",
    )
    exclude: list[Code] = Field(default_factory=list, description="Items this answer removes")
    notice: Names | None = Field(
        default=None,
        description="Format 2: what the applicant is told when they give this answer, in the one notice (一次告知)",
    )


class Question(Strict):
    """A guidance question (情形引导): its answer decides which items apply."""

    code: Code = Field(description="The question's key")
    text: Names = Field(description="The question as the applicant reads it")
    options: list[Option] = Field(min_length=2, description="The possible answers, at least two")
    multiple: bool = Field(
        default=False,
        description="Format 2: the applicant may choose several answers (or none); the answer is then a list",
    )
    default: Code | list[Code] | None = Field(
        default=None,
        description="The answer assumed until the applicant chooses (a list for a multi-select question); "
        "none: must be answered",
    )


class Baseline(Strict):
    """The before-reform figures the bundle is measured against."""

    steps: int = Field(ge=0, description="Steps (环节) before the reform")
    days: int = Field(ge=0, description="Calendar days end to end")
    materials: int = Field(ge=0, description="Materials the applicant had to provide")
    trips: int = Field(ge=0, description="Trips (跑动次数) to offices")
    source: str = Field(default="", description="Where the figures come from")


class EligibilityRule(Strict):
    """Who may use the bundle (e.g. a newborn under one year, a hukou in this city). An applicant who fails a
    rule is told `reason` and offered the bundle's items one by one instead."""

    code: Code = Field(description="The rule's key")
    reason: Names = Field(description="Why the applicant cannot use the bundle, shown as is")
    field: Code | None = Field(default=None, description="A `date` form field the rule reads")
    within_days: int | None = Field(default=None, ge=0, description="The field's date at most this many days ago")
    question: Code | None = Field(default=None, description="A guidance question the rule reads")
    not_in: list[Code] = Field(default_factory=list, description="Answers of `question` that rule the bundle out")


class Party(Strict):
    """A party who may apply for a one-thing of persons, e.g. the newborn's mother or father."""

    code: Code = Field(description="The party's key, e.g. mother")
    name: Names = Field(description="The party as the applicant reads it, e.g. 母亲 / Mother")
    id_field: Code = Field(
        description="The form field (a resident_id pre-filled from population_register) holding this party's "
        "ID number: an applicant who is this party finds their own number there"
    )


class MayApply(Strict):
    """Who may apply: checked against the registers before anything starts."""

    parties: list[Party] = Field(
        default_factory=list,
        description="Persons only: the applicant must be one of these parties, as the population register relates "
        "them (e.g. the mother or the father, the other parent being the spouse the register holds); none listed: "
        "any resident, for themself. A legal person applies through its own account (its legal representative)",
    )
    agents: bool = Field(
        default=True,
        description="Whether someone the applicant authorised (代办, or an employee under 法人授权) may file and "
        "act for them",
    )


class SlaPolicy(Strict):
    """When supervision lights turn yellow (督办)."""

    yellow_before_days: int = Field(
        default=1, ge=0, description="An item turns yellow this many working days before its promised date"
    )


class OneThing(Strict):
    """A one-thing (一件事): several departments' items bundled for one life event."""

    format: Literal[1, 2] = Field(
        default=1,
        description="The format the file is written in: 1 (the default) or 2, which adds depends_on_if_included, "
        "required_when, multiple, option notices and answers.<question> inputs. A format 1 file means the same "
        "under either",
    )
    code: Code = Field(description="The one-thing's key; name the file after it (newborn.yaml: code: newborn)")
    version: int = Field(ge=1, description="Raise it when the meaning changes; running cases keep their version")
    name: Names = Field(description="The name citizens see, e.g. 新生儿出生一件事")
    life_event: Names = Field(description="The life event it belongs to, e.g. 出生 / Birth")
    summary: Names | None = Field(default=None, description="What one application gets done, in a sentence or two")
    keywords: list[str] = Field(
        default_factory=list,
        description="Plain words a citizen might type to find this one-thing (e.g. 生孩子, my baby was born)",
    )
    applicant: ApplicantKind = Field(
        default=ApplicantKind.PERSON, description="Who applies: a natural person or a legal person (enterprise)"
    )
    may_apply: MayApply = Field(
        default_factory=MayApply, description="Who may apply: the parties, and whether authorised agents may"
    )
    departments: list[Department] = Field(min_length=1, description="Every department taking part")
    items: list[Item] = Field(min_length=1, description="The service items (事项); independent ones run in parallel")
    form: list[FormField] = Field(default_factory=list, description="The one form (一表申请) all items share")
    materials: list[Material] = Field(default_factory=list, description="What the items need and where it comes from")
    questions: list[Question] = Field(
        default_factory=list, description="Guidance questions (情形引导): the answers decide which items apply"
    )
    baseline: Baseline = Field(description="The before-reform figures the bundle is measured against")
    eligibility: list[EligibilityRule] = Field(
        default_factory=list, description="Who may use the bundle; anyone else applies item by item"
    )
    sla: SlaPolicy = Field(default_factory=SlaPolicy, description="Supervision thresholds")

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def department(self, code: str) -> Department:
        for department in self.departments:
            if department.code == code:
                return department
        raise KeyError(code)
