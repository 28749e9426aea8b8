"""The commented starting point `onething things new` writes for a new one-thing.

Department staff, not programmers, fill it in: every section says in Chinese and English what it means
and shows an example, and the file is a valid definition as written (one placeholder department, item,
form field and material), so `onething things validate` is green from the first minute and every later
error is one the author just made. The placeholders read 待填写 / TODO so they are easy to find.
"""

from __future__ import annotations

import re

from pydantic import TypeAdapter, ValidationError

from one_things.schema import ApplicantKind, Code, IntegrationMode

_CODE = TypeAdapter(Code)
"""The schema's own rule for codes, so `things new` refuses exactly what `things validate` would."""


def _valid(code: str) -> bool:
    try:
        _CODE.validate_python(code)
    except ValidationError:
        return False
    return True


def code_problem(code: str) -> str | None:
    """Why `code` cannot name a one-thing (None if it can), with a corrected code when one is obvious."""
    if _valid(code):
        return None
    message = (
        f"'{code}' is not a valid code: use lower-case English letters, digits and underscores, "
        "starting with a letter, at most 64 characters (e.g. business_change)"
    )
    suggestion = re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")
    if suggestion != code and _valid(suggestion):
        message += f"; did you mean '{suggestion}'?"
    return message


_HEADER = """\
# yaml-language-server: $schema={schema}
#
# {code}: 一件事定义(草稿)— a one-thing definition (draft), made by `onething things new`.
#
# 怎样填写 How to fill it in (步骤 step by step: docs/authoring.md; 每个键 every key: docs/catalog.md):
#   1. 把每个「待填写」/ TODO 换成真实内容。Replace every 待填写 / TODO with the real content.
#   2. 随时检查 Check at any time:        uv run onething things validate {file}
#      每条错误写明行号和改法。Each error names the line and how to fix it.
#   3. 查看办理顺序 See the order of handling:  uv run onething things graph {file}
# 代码(code、value)只用小写英文字母、数字和下划线,以字母开头,例 hukou_registration。
# Codes (code, value) use lower-case letters, digits and underscores, starting with a letter.
# 名称同时写中文(zh)和英文(en)。Every name is given in Chinese (zh) and English (en).
# 缩进只用空格(每级两个),不用 Tab。Indent with spaces only (two per level), never tabs.

# 格式:2(当前格式,可写按情形的依赖、按回答必填的字段、多选问题等)。
# Format: 2 (the current one: conditional dependencies, fields required by an answer, multi-select questions).
format: 2

# 代码:这件事的引用键,文件名与之相同。The one-thing's reference key; name the file after it.
code: {code}

# 版本:从 1 开始;含义改变时加 1,办理中的案件继续用开始时的版本。
# Version: start at 1; raise it when the meaning changes (running cases keep the version they started on).
version: 1

# 名称:市民看到的名字。The name citizens see.  例 e.g. {{zh: 新生儿出生一件事, en: Newborn}}
name:
  zh: 待填写 一件事名称
  en: TODO one-thing name

# 人生事件:这件事属于哪个事件。The life event it belongs to.  例 e.g. {{zh: 出生, en: Birth}}
life_event:
  zh: 待填写 事件
  en: TODO life event

# 简介(可不写):一两句话说明一次申请能办好什么。Summary (optional): what one application gets done.
summary:
  zh: 待填写 一次申请,办好……
  en: TODO One application gets ...

# 关键词:市民搜索时可能输入的词。Plain words a citizen might type to find it.
#   例 e.g. [生孩子, 报户口, baby, born]
keywords: []

# 申请人:person(自然人,个人)或 legal_person(法人:企业或组织)。
# Who applies: person (a natural person) or legal_person (an enterprise or organisation).
applicant: {applicant}

# 部门:参与的每个部门写一条。One entry per department taking part.
#   例 e.g.  - code: public_security
#              name: {{zh: 上海市公安局, en: Shanghai Municipal Public Security Bureau}}
departments:
  - code: department_one
    name: {{zh: 待填写 部门名称, en: TODO department name}}

# 事项:每个部门办理的服务事项,每项一条。The service items (事项), one entry each.
#   item_no         事项目录中的实施编码,保留引号。The official item number; keep the quotes.
#   department      上面 departments 中的一个代码。A code from departments above.
#   mode            部门怎样对接 How the department is connected:
#                   standard_module 部门人员在平台模块中办理 (staff use the platform's module),
#                   sync_rest 同步接口,当场答复 (answers at once),
#                   async_callback 异步,办完后回调 (answers later by a signed callback),
#                   batch 批量数据交换 (data pipeline).
#   statutory_days  法定时限,工作日。The legal time limit, in working days.
#   promised_days   承诺时限,工作日,不超过法定时限。The promised limit, at most statutory_days.
#   depends_on      必须先办完的事项,例 [birth_certificate];互不依赖的事项同时办理。
#                   Items that must finish first; items without a dependency run at the same time.
#   inputs          提交给部门的字段: 来源。Submission field: source, which is
#                   form.<表单字段 form field> or items.<事项 item>.<结果字段 output>.
#   outputs         部门返回的结果字段,例 [licence_no]。What the department returns.
items:
  - code: item_one
    item_no: "TODO-0001"
    department: department_one
    name: {{zh: 待填写 事项名称, en: TODO item name}}
    # 市民拿到的结果(可不写)。What the applicant receives (optional).
    result_name: {{zh: 待填写 办理结果, en: TODO result}}
    mode: {mode}
    statutory_days: 20
    promised_days: 5
    depends_on: []
    inputs:
{inputs}
    outputs: [result_no]

# 表单:一张表,所有事项共用(一表申请)。The one form every item shares.
#   type      text 文字, date 日期 (YYYY-MM-DD), resident_id 身份证号, credit_code 统一社会信用代码,
#             phone 手机号, choice 选项 (写 choices 和 choice_names), boolean 是/否, integer 整数
#   required  false 表示可不填。false: the field may stay empty.
#   personal  true 表示个人信息:不写入日志,页面上遮盖。Personal data: never logged, masked on pages.
#   prefill   政府已有的数据,页面自动填好(免于提交)。Where the government already holds the value.
form:
{form}

# 材料:每个事项需要的材料及其来源。What the items need and where it comes from.
#   source  citizen 申请人提供 (the applicant provides it), shared_data 共享数据, licence_library 电子证照
#           (shared_data 与 licence_library 由政府自行获取,免于提交 the government fetches these itself).
#   items   需要这份材料的事项。The items that need it.
#   code    材料和证照的代码与名称统一登记在目录文件夹的 _registry.yaml,这里只写代码(名称自动取登记的)。
#           新材料先在 _registry.yaml 登记。Codes and names live in _registry.yaml beside the definitions:
#           write the code only (the registered name is shown); register a new material there first.
materials:
{material}

# 情形引导(可不写):问题的回答决定办哪些事项。Guidance questions (optional): answers decide the items.
#   例 e.g.
#   - code: wants_card
#     text: {{zh: 是否同时申领社会保障卡?, en: Apply for the social security card at the same time?}}
#     default: "yes"
#     options:
#       - value: "yes"
#         label: {{zh: 是, en: "Yes"}}
#       - value: "no"
#         label: {{zh: 否, en: "No"}}
#         exclude: [social_security_card]
questions: []

# 改革前的数字,用于前后对比。The before-reform figures the bundle is measured against.
#   steps 环节, days 自然日 (calendar days), materials 材料份数, trips 跑动次数, source 出处.
#   例 e.g. {{steps: 22, days: 100, materials: 3, trips: 14, source: 上海市……}}
baseline:
  steps: 0
  days: 0
  materials: 0
  trips: 0
  source: 待填写 数字出处 TODO where the figures come from

# 适用条件(可不写):谁可以用这件事;不符合的申请人被告知原因,改为逐项办理。
# Eligibility (optional): who may use the bundle; anyone else is told why and applies item by item.
#   例 e.g.
#   - code: newborn_under_one
#     reason: {{zh: 宝宝已满一周岁,请分别办理各事项, en: The baby is over one year old}}
#     field: newborn_birth_date   # 表单中的日期字段 a date field of the form
#     within_days: 365
eligibility: []

# 谁可以申请(可不写):当事人以人口登记为准;可否由授权的代办人办理。
# Who may apply (optional): the parties, as the population register relates them; whether an agent may file.
#   例 e.g. parties: [{{code: mother, name: {{zh: 母亲, en: Mother}}, id_field: mother_id_no}}]
may_apply:
  parties: []
  agents: true

# 督办:承诺日期前几个工作日亮黄灯。Supervision: working days before the promised date an item turns yellow.
sla:
  yellow_before_days: 1
"""

_PERSON_FORM = """\
  - code: applicant_name
    name: {zh: 申请人姓名, en: Applicant's name}
    type: text
    personal: true
    max_length: 30
    prefill: population_register.name
  - code: contact_phone
    name: {zh: 联系电话, en: Contact mobile number}
    type: phone
    personal: true
    prefill: population_register.contact_phone"""

_LEGAL_PERSON_FORM = """\
  - code: enterprise_name
    name: {zh: 企业名称, en: Enterprise name}
    type: text
    max_length: 100
    prefill: enterprise_register.name
  - code: credit_code
    name: {zh: 统一社会信用代码, en: Unified social credit code}
    type: credit_code
    prefill: enterprise_register.credit_code
  - code: contact_phone
    name: {zh: 联系电话, en: Contact mobile number}
    type: phone
    personal: true"""

_MATERIAL = {
    ApplicantKind.PERSON: "  - code: id_card\n    source: shared_data\n    items: [item_one]",
    ApplicantKind.LEGAL_PERSON: "  - code: business_licence\n    source: licence_library\n    items: [item_one]",
}
"""A registered material the placeholder item needs, so the new file is valid as written."""

_INPUTS = {
    ApplicantKind.PERSON: ("applicant_name: form.applicant_name", "contact_phone: form.contact_phone"),
    ApplicantKind.LEGAL_PERSON: ("credit_code: form.credit_code", "contact_phone: form.contact_phone"),
}


def scaffold(
    code: str,
    applicant: ApplicantKind,
    *,
    schema_ref: str,
    file_name: str,
    mode: IntegrationMode = IntegrationMode.STANDARD_MODULE,
) -> str:
    """The new definition's text. `schema_ref` is the JSON Schema's path as seen from the file's folder
    (for the editor line), `file_name` how the author names the file on the command line."""
    problem = code_problem(code)
    if problem is not None:
        raise ValueError(problem)
    form = _PERSON_FORM if applicant is ApplicantKind.PERSON else _LEGAL_PERSON_FORM
    inputs = "\n".join(f"      {line}" for line in _INPUTS[applicant])
    return _HEADER.format(
        schema=schema_ref,
        code=code,
        file=file_name,
        applicant=applicant.value,
        inputs=inputs,
        form=form,
        material=_MATERIAL[applicant],
        mode=mode.value,
    )
