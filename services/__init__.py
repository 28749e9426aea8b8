"""The business rules: one module per concern, called alike by the JSON API and the pages.

Services raise the domain errors of `services.errors`; `api/problems.py` turns them into problem+json in one
place. Nothing here knows HTTP, and nothing below `api/` imports `api`. A service takes what it needs as
arguments (session, catalogue, case gateway, the current time) and reads no process global.

- `submission`: accepting an application (一表申请), eligibility, idempotency, the rate limit.
- `prefill`: the one form filled from what the government holds (两个免于提交).
- `notice`: 一次告知 and 情形引导 for a one-thing of the catalogue.
- `cases`: a case the caller may see, its view, and the citizen's supplement and withdrawal.
- `staff_work`: a department's queue, claims and decisions (the standard handling module).
- `ratings`, `rectifications`: 好差评 and the 整改 a bad score opens.
- `supervision`: the supervisors' board and 督办; `statistics`: the leaders' figures.
- `licences`: the wallet and the public check of a licence; `inbox`: the citizen's messages.
- `case_gateway`: the one way into a case's workflow; `metrics`: counters of what the rules did.

Activities do not import services (they sit below them); what both need, such as a licence's name, lives
lower, in `one_things` or `persistence`.
"""
