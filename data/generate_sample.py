"""Generate the synthetic "Relay" helpdesk export used as ticketlens sample data.

Relay is a fictional team-collaboration SaaS. The output (default ``data/sample_tickets.csv``) is
a realistic-looking export of ~2,350 support tickets over 30 weeks, Monday 2026-03-02 to Sunday
2026-09-27, from ~290 accounts, labelled with the fixed taxonomy in ``data/taxonomy.yaml``. The
output is fully deterministic for a given ``--seed`` (numpy ``default_rng``).

Text is built from the phrase banks below (templates with slots for feature nouns, error codes,
amounts, ...) plus the noise of a real export: typos, lower-case chat messages, HTML bodies,
quoted earlier replies, signatures, ~8% deliberately ambiguous tickets (labelled with one
plausible label), ~8% low-information tickets, ~5% tickets that raise a second, unrelated issue
and ~0.5% tickets with an empty subject and body.

Planted signals (weeks are 1-based; "index" is the 0-based week number counted from 2026-03-02):

1. Release regression - week 21 (index 20, Mon 2026-07-20 to Sun 2026-07-26). A release ships
   Monday 2026-07-20 16:00 UTC; 70 extra ``technical_issue`` / ``reports`` tickets follow
   (Tue-Sun, mostly Tue-Wed) from 48 distinct accounts: reports failing to load, exports erroring
   "since yesterday's release". A normal week has ~3 such tickets.
2. Slow drift - the expected share of ``login_access`` rises linearly from 7% in week 1 to 17%
   in week 30 (SSO and two-factor trouble); the other categories shrink proportionally.
3. Single-account flood - week 12 (index 11). On Tue 2026-05-19 and Wed 2026-05-20 one
   mid-size account files 25 ``billing`` / ``billing_portal`` tickets repeating one
   duplicated-charge complaint. No other account is involved.
4. Silent accounts - 10 accounts file tickets in most of weeks 1-18 (index 0-17, up to Sun
   2026-07-05) and none from week 19 (Mon 2026-07-06) onwards.
5. Fixed feature - a fix to ``integrations`` ships in week 15 (index 14): from then on a growing
   share of its tickets (up to 60% by week 30) is re-timed to before the fix (swapped with
   same-category, same-CSAT tickets about other features; see `plant_fix`), so its weekly volume
   falls while its CSAT holds: the sweet spot. Ticket count, weekly totals and the category
   series are unchanged. The first KEEP_ROWS rows (weeks 1-7) stay put, so the re-timed tickets
   land in weeks 8-14, where the feature runs ~1.5x its weeks-1-7 level before the fix.

Usage: python data/generate_sample.py [--seed 7] [--out data/sample_tickets.csv]
"""

from __future__ import annotations

import argparse
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

START, N_WEEKS = datetime(2026, 3, 2, tzinfo=UTC), 30
N_ACCOUNTS, ACCOUNT_SIGMA = 320, 1.0  # per-account volume weights are log-normal
BASE_PER_WEEK, GROWTH = 62, 0.2  # ordinary tickets per week in week 1; +20% by week 30
REGRESSION_WEEK, REGRESSION_TICKETS, REGRESSION_ACCOUNTS = 20, 70, 48
FLOOD_WEEK, FLOOD_TICKETS = 11, 25
N_SILENT, SILENT_LAST_WEEK = 10, 17
FIXED_FEATURE, FIX_WEEK, FIX_SHARE = "integrations", 14, 0.6  # a fix ships in week 15
KEEP_ROWS = 520  # tests/test_real_model.py trains on the first 400 rows and labels the next 120
LOGIN_START, LOGIN_END = 0.07, 0.17
MODES = {"normal": 0.785, "ambiguous": 0.08, "low_info": 0.08, "multi": 0.055}
EMPTY_RATE = 0.005  # tickets whose subject and body are both empty (labels are kept)
VAGUE_FEATURE_RATE, VAGUE_SUBJECT_RATE, CROSS_EXTRA_RATE = 0.15, 0.12, 0.3
TYPO_TICKET_RATE, TYPO_WORD_RATE, CSAT_MISSING_RATE = 0.2, 0.05, 0.3
LENGTHS = {"chat": [0.45, 0.35, 0.2], "other": [0.25, 0.45, 0.3]}  # short, medium, long
CHANNELS = {"email": 0.40, "web": 0.30, "chat": 0.20, "api": 0.10}
QUOTE_RATE = {"email": 0.16, "web": 0.04, "chat": 0.0, "api": 0.02}
SIGNATURE_RATE = {"email": 0.26, "web": 0.14, "chat": 0.0, "api": 0.02}
HTML_RATE = {"email": 0.09, "web": 0.06, "chat": 0.0, "api": 0.02}
LOWER_RATE = {"email": 0.05, "web": 0.07, "chat": 0.25, "api": 0.05}
TIERS = {"free": 0.50, "pro": 0.35, "enterprise": 0.15}
TIER_VOLUME = {"free": 0.7, "pro": 1.1, "enterprise": 2.0}
TIER_SPEED = {"free": 1.15, "pro": 1.0, "enterprise": 0.65}  # resolution-time factor
DAY_WEIGHTS = [1.0, 1.05, 1.0, 0.95, 0.85, 0.22, 0.18]  # Mon..Sun

COLUMNS = ["ticket_id", "created_at", "account_id", "tier", "channel", "subject", "body"]
COLUMNS += ["category", "feature", "csat", "resolution_hours"]
FEATURES = ["dashboard", "reports", "integrations", "mobile_app"]
FEATURES += ["notifications", "user_management", "billing_portal", "api"]
# category: (baseline share, CSAT mean, median resolution hours, related category whose extra
# sentences it sometimes borrows, feature weights in FEATURES order)
CATEGORIES: dict[str, tuple[float, float, float, str, list[float]]] = {
    "technical_issue": (0.24, 3.2, 18.0, "performance", [14, 17, 18, 14, 13, 8, 3, 13]),
    "product_question": (0.18, 4.3, 2.5, "feature_request", [16, 20, 13, 10, 13, 15, 5, 8]),
    "billing": (0.13, 3.7, 6.0, "account_management", [1, 4, 3, 5, 2, 10, 70, 5]),
    "login_access": (0.11, 3.8, 3.0, "technical_issue", [12, 2, 6, 22, 4, 40, 2, 12]),
    "feature_request": (0.12, 3.7, 9.0, "product_question", [16, 20, 18, 13, 12, 8, 3, 10]),
    "performance": (0.09, 3.1, 14.0, "technical_issue", [25, 25, 10, 15, 5, 5, 2, 13]),
    "account_management": (0.08, 4.0, 5.0, "billing", [3, 3, 3, 3, 3, 55, 25, 5]),
    "data_privacy": (0.05, 3.9, 20.0, "account_management", [5, 22, 15, 8, 5, 22, 3, 20]),
}


def parse_banks(text: str) -> dict[str, list[str]]:
    """Parse phrase banks: a line '[name] a | b' starts bank `name`, later lines add phrases."""
    banks: dict[str, list[str]] = {}
    name = ""
    for line in text.strip().splitlines():
        if match := re.match(r"\[([\w:/]+)\]", line):
            name, line = match.group(1), line[match.end() :]
            banks[name] = []
        banks[name] += [p.strip() for p in line.split(" | ") if p.strip()]
    return banks


# Slots: {f}/{F} feature noun (lower/capitalised), {n} {n2} counts, {amt} {amt2} amounts,
# {inv} invoice number, {when}, {code} error code, {tier}, {acc} account id, {name}/{first} contact.
# noun:* feature nouns, context:* feature background, subject:*/core:*/extra:* per category,
# amb:A/B deliberately ambiguous texts (labelled A or B).
BANKS = parse_banks("""
[noun:dashboard] the dashboard | the home dashboard | the activity overview | the dashboard widgets
the Activity widget | the home page | my dashboard layout | the team dashboard | the overview tiles
the report widget on the dashboard
[noun:reports] the weekly report | the scheduled report | the CSV export | the Reports tab
the monthly usage report | the report builder | the charts in Reports | our saved report
the PDF export of a report | the time-to-close chart
[noun:integrations] the Slack integration | the Salesforce sync | the Jira connector
our Zapier zap | the outgoing webhook | the Microsoft Teams integration | the GitHub app
the Google Drive integration | the HubSpot connector | the Slack notifications
[noun:mobile_app] the iOS app | the Android app | the mobile app | the app on my iPhone
offline mode | the app on my Android phone | the iPad app | push notifications on my phone
the dashboard in the mobile app
[noun:notifications] email notifications | the daily digest | in-app notifications | our alert rules
the notification bell | the weekly digest email | @mention alerts | reminder emails
the notification settings
[noun:user_management] the Members page | user roles | team permissions | the invite flow
the admin console | the SSO settings | guest access | the Roles & permissions page | user groups
the invite emails
[noun:billing_portal] the Billing page | the invoice page | the plan page | the checkout page
the payment method form | Settings > Billing | the invoice history | the seat counter
[noun:api] the REST API | our API key | the /v2/tasks endpoint | the Python SDK | the Node SDK
the API rate limits | the webhooks API | the /v2/projects endpoint | our API tokens
the API usage report
[noun:generic] Relay | the app | the web app | this page | our workspace | the screen
[context:dashboard] We keep the dashboard on a TV in the office.
Managers check the overview first. | I rearranged my widgets last week.
[context:reports] Leadership reads this report every Monday. | We export it to CSV for Excel.
The report is scheduled to go out at 8am.
[context:integrations] Slack is connected to our #support channel. | We use a few Zapier zaps.
Jira issues are linked to our Relay tasks.
[context:mobile_app] I mostly use Relay on my phone when travelling. | I'm on the latest version.
Our field team only uses the Android app.
[context:notifications] We rely on the daily digest to catch up. | Our alert rules are per project.
My email notifications are set to mentions only.
[context:user_management] We have about {n} members across 6 teams. | We use Okta for SSO.
Admins manage roles in Settings > Members.
[context:billing_portal] Finance pays through Settings > Billing. | We pay by card monthly.
We're on the {tier} plan with annual billing.
[context:api] We call the API from a nightly Python job. | We use the official Node SDK.
Our integration makes about 5k requests an hour.
[subject:technical_issue] {F} not working | Error in {f} | {F} broken | Bug with {f}
{F} shows wrong data | {F} keeps crashing | 500 error on {f} | Problem with {f} | {F} not updating
[subject:billing] Question about my invoice | Charged twice | Refund request | Billing issue
Wrong amount on invoice | Update credit card | VAT missing | Invoice {inv}
[subject:login_access] Can't log in | Locked out of my account | Password reset not working
SSO login fails | 2FA code not accepted | Login problem | Lost my 2FA device | Can't sign in to {f}
[subject:product_question] Question about {f} | How to use {f}? | Quick question | How-to
Where do I find {f}? | Can I change {f}? | Help with {f} setup | How does {f} work?
[subject:feature_request] Feature request: {f} | Suggestion for {f} | Would love this in {f} | Idea
Any plans for {f}? | Request: more options in {f} | Wishlist | Improvement for {f}
[subject:performance] {F} very slow | Slow loading | {F} takes forever | Timeouts on {f}
Relay is laggy | Performance of {f} | {F} is sluggish | Page load times | Slow {f}
[subject:account_management] Add more seats | Cancel our subscription | Downgrade plan
Transfer workspace ownership | Remove a user | Upgrade to Enterprise | Changes to {f}
[subject:data_privacy] GDPR request | Data deletion request | Security questionnaire
Where is our data stored? | DPA signature | Export all our data | SOC 2 report | Data in {f}
[core:technical_issue] {F} throws an error every time I open it. | {F} is not loading at all.
When I open {f} I get 'Something went wrong'. | {F} stopped working {when}, just a blank screen.
We get error {code} whenever we use {f}. | {F} crashes as soon as I tap on anything.
{F} shows numbers that don't match the project. | Changes in {f} are lost after a refresh.
{F} has not updated since {when}. | I get error {code} in {f} after logging in.
{F} shows duplicate entries and some items are missing. | {F} fails with error {code}.
[core:billing] We were charged {amt} instead of {amt2}. | Our card was charged twice for {inv}.
Can you resend the invoice with our VAT number on it? | Our payment failed, please retry the charge.
I'd like a refund for the seats we removed last month.
Please update our card, the old one expired.
The invoice shows {n} seats but we only have {n2} users. | How do I change the billing email?
Why did our plan price go up without notice? | Can we switch to annual billing for the discount?
We added {n} seats, why does the invoice show {n2}?
[core:login_access] I can't log in, it says my password is wrong but I just reset it.
The password reset email never arrives. | My two-factor code is rejected every time.
Our Okta SSO login fails with 'SAML response invalid'. | I'm locked out after too many attempts.
New phone, lost my authenticator app, how do I get back in? | I can't sign in to {f} anymore.
After entering my credentials I'm back on the login page.
Since we enabled SSO, {n} users can't sign in.
Google sign-in says 'account not found' but I've used it for months.
Logging in to {f} fails with 'invalid credentials'. | I get error {code} when I log in to {f}.
The login page for {f} just keeps loading.
[core:product_question] How do I set up {f} for a new project?
Is there a way to filter {f} by team? | Where can I find {f}? It's not in the menu.
How does {f} calculate the totals? | Can I customise {f} for my team?
How do I share {f} with people outside our workspace?
I'm new to Relay, how do I get started with {f}? | Which role do I need to edit {f}?
Does {f} update in real time or once a day? | Can {f} send a summary to Slack?
Is there documentation on {f}? | Is there a way to export {f} to Excel?
[core:feature_request] It would be great if {f} could be filtered by custom fields.
Please add an option to export {f} to Google Sheets. | Could you add bulk actions to {f}?
Any plans to support dark mode in {f}? | Please let us customise the colours in {f}.
We'd love to schedule {f} in our own time zone. | Pinning favourites in {f} would save us time.
Please add keyboard shortcuts to {f}. | It would help if {f} supported more languages.
Is there any way to get {f} as a PDF? If not, please consider it. | Can {f} show data per team?
[core:performance] {F} takes more than 30 seconds to load.
{F} is really slow today, the spinner keeps going. | We get timeouts on {f} during peak hours.
It eventually loads, but {f} is painfully slow. | {F} has become very laggy in the last weeks.
Scrolling in {f} freezes for a few seconds. | Loading {f} takes a minute for bigger projects.
{F} is slow when more than {n} people are online.
{F} loads really slowly and sometimes not at all. | {F} times out after a long wait.
[core:account_management] We need to add {n} more seats for new hires.
Please cancel our subscription. | Our workspace owner left, can you transfer ownership to me?
We'd like to downgrade from Pro to Free. | How do I remove a former employee and free up their seat?
Can you merge our two workspaces? | We want to upgrade to Enterprise, who do I talk to?
Please make {name} the primary admin.
We need to move {n} users and their {f} access to a new workspace.
Please add {n} seats from next month. | We want to switch to annual billing.
[core:data_privacy] Under GDPR, please delete all personal data you hold about me.
Can you send us your SOC 2 report and a signed DPA? | Our security team has a questionnaire for you.
Where is our data hosted? It must stay in the EU. | We'd like a full export of our workspace data.
How long do you keep data after a user is deleted? | Is data in {f} encrypted at rest?
Does {f} send personal data to third parties? | How do we erase a former employee's data in {f}?
How do we export all personal data of one user from {f}?
Can we restrict who sees personal data in {f}?
[extra:technical_issue] I tried an incognito window, same error. | It worked last week.
The browser console shows red errors. | Reloading doesn't help. | Same on Chrome and Firefox.
A colleague says it works for her. | We noticed it {when}. | Clearing the cache didn't help.
[extra:billing] Finance needs this sorted before month end. | We're on annual billing.
The charge is on our card statement. | Our company is in Germany, so VAT applies.
[extra:login_access] I've tried resetting my password twice. | It says my session has expired.
Others on my team can log in fine. | I use the authenticator app on my phone.
[extra:product_question] The help center article seems outdated. | Sorry if this is obvious!
We're still evaluating Relay. | A short example would help. | We roll Relay out company-wide soon.
[extra:feature_request] Competitors already offer this. | Please upvote this internally!
This would make Relay much more useful for us. | We use a spreadsheet as a workaround for now.
[extra:performance] Our connection is fine, other sites are fast. | It used to be instant.
It's worst around 9am. | Smaller projects load normally. | Same on Chrome and Firefox.
[extra:account_management] Our finance team approved the change. | Please confirm once done.
It should apply from next month. | We're reorganising our teams this quarter.
[extra:data_privacy] Legal needs this by the end of the month. | Our DPO is in copy.
We handle health data. | Please confirm in writing once completed. | This is for our vendor review.
[extra:generic] Screenshot attached. | This affects {n} people on our team. | Our ID is {acc}.
We're on the {tier} plan. | It's quite urgent for us. | Not sure if this is expected.
Let me know if you need more details. | I checked the help center but found no answer.
We're a team of about {n} people across three offices. | I'm writing for our operations team.
We moved to Relay from another tool this year and are mostly happy.
This is holding up our weekly planning meeting. | Happy to hop on a call if easier.
[story] Some background: we onboarded {n} new people this month and run all our projects in Relay.
I first noticed this {when} while preparing the weekly update for our leadership team.
Our IT team checked the network and the firewall and found nothing on our side.
We have a big client presentation on Thursday, so a quick answer would really help.
A colleague and I went back and forth on this for an hour and couldn't figure it out.
For context, we've been customers for about two years and are generally very happy.
[amb:performance/login_access] the app is so slow I can't log in
The login page takes forever and then times out | Signing in takes minutes, it just spins
[amb:feature_request/billing] can you add an export of invoices?
Would be great to pay by bank transfer, not card
Please add a way to download all invoices as PDF at once
[amb:technical_issue/performance] {F} times out and then shows an error
{F} is extremely slow and sometimes crashes
[amb:product_question/feature_request] Is there a way to schedule {f}? If not, could you add it?
Can {f} be shared with guests? That would be really useful
[amb:account_management/billing] We want to downgrade to Pro, do we get a refund for the rest?
We removed {n} users, why are we still paying for their seats?
[amb:data_privacy/account_management] Please delete a former employee's account and their data
We're closing our workspace, please delete everything
[amb:login_access/technical_issue] The password reset link leads to a 404 error page
The login button does nothing
[amb:product_question/technical_issue] Is {f} supposed to show yesterday's data? Looks wrong
Should {f} be empty after the import? Not sure if it's a bug
[amb:data_privacy/product_question] How do I export all our data from {f}?
[amb:login_access/account_management] Need access for a new hire, they can't get in
Please reactivate the account of {name}, she can't sign in
[low_info] Can someone from your team call me about {f}? | See the attached screenshot of {f}.
Following up on my last email, any update? | Please get back to me asap regarding {f}.
I have an issue with {f}, can we set up a call? | Is anyone there? Need help with {f}.
[regression:subject] Reports not loading after update | Export broken since release
CSV export error | Reports tab blank since yesterday | Scheduled report failed
[regression:core] Since yesterday's release {f} won't load, just 'Failed to load report'.
After the latest update, exporting {f} to CSV fails with error 500.
Our scheduled report did not go out and the Reports tab says 'Something went wrong'.
None of our saved reports open since Monday's update. | Export does nothing since the new version.
[flood:subject] Charged twice | Duplicate charge - refund please | STILL charged twice
[flood:core] We have been charged twice for invoice INV-2026-0412 ($1,428 each), please refund one.
This is another message about the duplicate charge on INV-2026-0412. Nobody has replied.
STILL waiting on a refund for the double charge. Our finance team is escalating this.
Again: two identical charges of $1,428 on our card. The Billing page shows both. Please fix.
[joiner] Also, unrelated: | One more thing: | Separately: | And while I have you:
[vague_subject] Help | Urgent | Question | Issue | Support request | Following up | Hi
[opener] Hi, | Hello, | Hi team, | Hi Relay support, | Hey there, | Good morning, | Hi all,
Dear support team,
[closer] Thanks! | Thanks in advance. | Any help appreciated. | Please advise.
[when] this morning | yesterday | last Friday | the weekend | two hours ago | Monday
[code] 500 | 502 | E1042 | 403 | ERR_SYNC_TIMEOUT | 422
[support_line] Could you send us a screenshot of what you're seeing? | Which browser is it?
We've passed this on to our team and will get back to you shortly.
This should be resolved now, let us know if it happens again.
[first] Dana | Alex | Priya | Tom | Maria | Jonas | Aisha | Ken | Lucia | Omar | Sofia | Ben
Hannah | Mateo | Yuki | Chloe | Noah | Fatima | Lars | Grace | Ravi | Elena
[last] Kim | Smith | Patel | Müller | Garcia | Nguyen | Okafor | Rossi | Jensen | Cohen | Silva
Novak | Dubois | Tanaka | Brown | Haddad | Larsen | Walsh | Ivanova
[company] Acme | Northwind | Bluebird | Kestrel | Orbit | Lumen | Granite | Harbor | Pinecone
Vertex | Nimbus | Copperleaf | Redwood | Juniper | Atlas | Meridian
[suffix] GmbH | Inc. | Ltd | LLC | BV | Labs | Studio | Group | AG | SAS
[role] Ops lead | IT admin | Head of Finance | Project manager | CTO | Office manager
""")
SIGNATURES = ["Best regards,\n{full}\n{role}, {company}", "--\nSent from my iPhone"]
SIGNATURES += ["Thanks,\n{first}", "Kind regards,\n{full}\n{company}", "--\n{full}, {role}"]


@dataclass
class Account:
    account_id: str
    tier: str
    company: str
    contacts: list[str]
    weight: float


class Generator:
    """Draws tickets into `self.rows`; all randomness comes from one seeded numpy Generator."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.rows: list[tuple[object, ...]] = []
        self.accounts = [self._account(i) for i in range(1, N_ACCOUNTS + 1)]
        by_size = sorted(self.accounts, key=lambda a: -a.weight)
        silent_ranks = self.rng.choice(np.arange(20, 150), N_SILENT, replace=False)
        self.silent = [by_size[int(i)] for i in silent_ranks]
        self.pool = [a for a in self.accounts if a not in self.silent]
        weights = np.array([a.weight for a in self.pool])
        self.pool_p = weights / weights.sum()
        paying = [a for a in by_size if a not in self.silent and a.tier != "free"]
        self.flood_account = paying[25]  # a mid-size paying account

    def _account(self, i: int) -> Account:
        tier = self.pick(list(TIERS), list(TIERS.values()))
        company = f"{self.pick(BANKS['company'])} {self.pick(BANKS['suffix'])}"
        n_contacts = int(self.rng.integers(1, 5))
        contacts = [
            f"{self.pick(BANKS['first'])} {self.pick(BANKS['last'])}" for _ in range(n_contacts)
        ]
        weight = float(self.rng.lognormal(0.0, ACCOUNT_SIGMA)) * TIER_VOLUME[tier]
        return Account(f"ACC-{i:04d}", tier, company, contacts, weight)

    def pick(self, items: Sequence[str], p: Sequence[float] | None = None) -> str:
        if p is None:
            return items[int(self.rng.integers(len(items)))]
        return items[int(self.rng.choice(len(items), p=np.asarray(p) / np.sum(p)))]

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def when(
        self, week: int, day: int | None = None, hours: tuple[int, int] | None = None
    ) -> datetime:
        """A time in `week`: weekday-heavy, by default business hours around 13:30 UTC."""
        if day is None:
            day = int(self.rng.choice(7, p=np.array(DAY_WEIGHTS) / sum(DAY_WEIGHTS)))
        if hours is not None:
            hour = self.rng.uniform(*hours)
        elif self.chance(0.85):
            hour = np.clip(self.rng.normal(13.5, 3.2), 0, 23.99)
        else:
            hour = self.rng.uniform(0, 24)
        return START + timedelta(days=7 * week + day, minutes=int(hour * 60))

    def slots(self, noun: str, acct: Account, name: str) -> dict[str, str]:
        n, amt, amt2, inv = (int(x) for x in self.rng.integers([2, 3, 3, 1], [40, 80, 80, 9999]))
        s = {"f": noun, "F": noun[0].upper() + noun[1:], "n": str(n), "n2": str(max(1, n - 3))}
        s |= {"amt": f"${12 * amt}", "amt2": f"${12 * amt2}", "inv": f"INV-2026-{inv:04d}"}
        s |= {"when": self.pick(BANKS["when"]), "code": self.pick(BANKS["code"])}
        return s | {"tier": acct.tier.capitalize(), "acc": acct.account_id, "name": name}

    def compose(
        self, cat: str, feat: str, acct: Account, channel: str, mode: str, name: str
    ) -> tuple[str, str]:
        """Return (subject, body) for one ticket; `mode` picks the phrase banks."""
        cue = mode in ("regression", "flood") or not self.chance(VAGUE_FEATURE_RATE)
        s = self.slots(self.pick(BANKS[f"noun:{feat}" if cue else "noun:generic"]), acct, name)
        subjects, core = BANKS[f"subject:{cat}"], self.pick(BANKS[f"core:{cat}"])
        if mode in ("regression", "flood"):
            subjects, core = BANKS[f"{mode}:subject"], self.pick(BANKS[f"{mode}:core"])
        elif mode == "ambiguous":  # no category-specific extras, so the text stays ambiguous
            keys = [k for k in BANKS if k.startswith("amb:") and cat in k[4:].split("/")]
            core = self.pick([text for k in keys for text in BANKS[k]])
            subjects = [*BANKS["vague_subject"], " ".join(core.split()[:6])]
        elif mode == "low_info":
            core, subjects = self.pick(BANKS["low_info"]), [*BANKS["vague_subject"], subjects[0]]
        subject = self.pick(subjects)
        if channel == "chat" and self.chance(0.4):
            subject = f"Chat with {name.split()[0]}"
        elif self.chance(VAGUE_SUBJECT_RATE):
            subject = self.pick(BANKS["vague_subject"])
        length = int(self.rng.choice(3, p=LENGTHS["chat" if channel == "chat" else "other"]))
        sentences = [core]
        if mode == "multi":  # a second, unrelated issue; the label is the first one
            other = self.pick([c for c in CATEGORIES if c != cat])
            sentences.append(f"{self.pick(BANKS['joiner'])} {self.pick(BANKS[f'core:{other}'])}")
        if length and mode not in ("ambiguous", "low_info"):
            for _ in range(1 if length == 1 else int(self.rng.integers(2, 5))):
                source = CATEGORIES[cat][3] if self.chance(CROSS_EXTRA_RATE) else cat
                sentences.append(self.pick(BANKS[f"extra:{source}"]))
        if length and cue and ("{f}" not in core.lower() or self.chance(0.3)):
            sentences.append(self.pick(BANKS[f"context:{feat}"]))
        if length == 2 and self.chance(0.5):  # some long tickets tell a story first
            sentences[1:1] = [self.pick(BANKS["story"]) for _ in range(2)]
        n_generic = [0, int(self.rng.integers(0, 2)), 2][length] + int(self.rng.integers(4))
        sentences += [self.pick(BANKS["extra:generic"]) for _ in range(n_generic if length else 0)]
        sentences = [x.format(**s) for x in dict.fromkeys(sentences)]
        if not length:  # a one-liner
            return subject.format(**s), sentences[0]
        cut = int(self.rng.integers(1, len(sentences) + 1))
        opener = self.pick(BANKS["opener"]) if self.chance(0.75) else ""
        closer = self.pick(BANKS["closer"]) if self.chance(0.7) else ""
        paragraphs = [opener, " ".join(sentences[:cut]), " ".join(sentences[cut:]), closer]
        return subject.format(**s), "\n\n".join(p for p in paragraphs if p)

    def typos(self, text: str) -> str:
        """Swap, drop or double one inner letter in ~TYPO_WORD_RATE of the words."""

        def mangle(m: re.Match[str]) -> str:
            w = m.group(0)
            if not self.chance(TYPO_WORD_RATE):
                return w
            i = int(self.rng.integers(1, len(w) - 2))
            swapped = w[:i] + w[i + 1] + w[i] + w[i + 2 :]
            return (swapped, w[:i] + w[i + 1 :], w[: i + 1] + w[i:])[int(self.rng.integers(3))]

        return re.sub(r"[A-Za-z]{4,}", mangle, text)

    def quoted_reply(self, created: datetime, first: str) -> str:
        prev = created - timedelta(minutes=int(self.rng.integers(60, 72 * 60)))
        stamp = f"{prev:%a, %b} {prev.day}, {prev.year} at {prev.hour % 12 or 12}:{prev:%M %p}"
        lines = [f"Hi {first},", "", f"Thanks for reaching out! {self.pick(BANKS['support_line'])}"]
        lines += ["", "Best,", f"{self.pick(BANKS['first'])} from Relay Support"]
        quoted = "\n".join(f"> {line}".rstrip() for line in lines)
        return f"On {stamp} Relay Support <support@relay.example> wrote:\n{quoted}"

    def add(
        self, acct: Account, created: datetime, cat: str, feat: str, mode: str, channel: str = ""
    ) -> None:
        channel = channel or self.pick(list(CHANNELS), list(CHANNELS.values()))
        name = acct.contacts[0] if mode == "flood" else self.pick(acct.contacts)
        subject, body = self.compose(cat, feat, acct, channel, mode, name)
        if self.chance(LOWER_RATE[channel]):  # quick chat style: lower case, no punctuation
            subject, body = (re.sub(r"[.,!?;']", "", t.lower()) for t in (subject, body))
        if self.chance(TYPO_TICKET_RATE):
            subject, body = self.typos(subject), self.typos(body)
        if self.chance(SIGNATURE_RATE[channel]):
            first, role = name.split()[0], self.pick(BANKS["role"])
            body += "\n\n" + self.pick(SIGNATURES).format(
                full=name, first=first, role=role, company=acct.company
            )
        if self.chance(QUOTE_RATE[channel]):
            body += "\n\n" + self.quoted_reply(created, name.split()[0])
        if self.chance(HTML_RATE[channel]):
            tag = self.pick(["p", "div"])
            paragraphs = (html.escape(p, quote=False) for p in body.split("\n\n"))
            body = "".join(f"<{tag}>{p}</{tag}>".replace("\n", "<br>") for p in paragraphs)
        _, csat_mean, median_h, *_ = CATEGORIES[cat]
        hours = median_h * TIER_SPEED[acct.tier] * float(self.rng.lognormal(0.0, 0.9))
        hours *= {"regression": 1.6, "flood": 2.0}.get(mode, 1.0)
        csat_mean += {"regression": -0.6, "flood": -1.5}.get(mode, 0.0) - 0.3 * np.log(
            hours / median_h
        )
        csat = int(np.clip(round(self.rng.normal(csat_mean, 0.9)), 1, 5))
        rated = None if self.chance(CSAT_MISSING_RATE) else csat
        row = (created, acct.account_id, acct.tier, channel, subject, body, cat, feat, rated)
        self.rows.append((*row, max(0.1, round(hours, 1))))

    def week_categories(self, week: int, n: int) -> list[str]:
        """Categories for the week's `n` ordinary tickets: quotas from the week's shares, shuffled.

        The login_access share drifts linearly over the 30 weeks; the others shrink in proportion.
        """
        login = LOGIN_START + (LOGIN_END - LOGIN_START) * week / (N_WEEKS - 1)
        scale = (1 - login) / (1 - CATEGORIES["login_access"][0])
        shares = np.array(
            [login if c == "login_access" else v[0] * scale for c, v in CATEGORIES.items()]
        )
        counts = np.floor(shares * n).astype(int)
        counts[np.argsort(counts - shares * n)[: n - counts.sum()]] += 1  # largest remainders
        return list(self.rng.permutation(np.repeat(list(CATEGORIES), counts)))

    def generate(self) -> pd.DataFrame:
        for week in range(N_WEEKS):
            n = self.rng.poisson(BASE_PER_WEEK * (1 + GROWTH * week / (N_WEEKS - 1)))
            accts = [self.pool[int(i)] for i in self.rng.choice(len(self.pool), n, p=self.pool_p)]
            for acct in self.silent if week <= SILENT_LAST_WEEK else []:
                accts += [acct] * int(self.rng.choice(3, p=[0.2, 0.65, 0.15]))
            for acct, cat in zip(accts, self.week_categories(week, len(accts)), strict=True):
                feat = self.pick(FEATURES, CATEGORIES[cat][4])
                mode = self.pick(list(MODES), list(MODES.values()))
                self.add(acct, self.when(week), str(cat), feat, mode)
            if week == REGRESSION_WEEK:  # release Monday evening; reports from Tuesday
                idx = self.rng.choice(
                    len(self.pool), REGRESSION_ACCOUNTS, replace=False, p=self.pool_p
                )
                idx = np.concatenate([idx, self.rng.choice(idx, REGRESSION_TICKETS - len(idx))])
                for i in idx:
                    day = int(self.rng.choice(7, p=[0, 0.38, 0.26, 0.17, 0.13, 0.03, 0.03]))
                    created = self.when(week, day)
                    self.add(self.pool[int(i)], created, "technical_issue", "reports", "regression")
            if week == FLOOD_WEEK:  # one account, Tuesday and Wednesday
                for k in range(FLOOD_TICKETS):
                    created = self.when(week, 1 + k * 2 // FLOOD_TICKETS, (7, 21))
                    channel = self.pick(["email", "web"], [0.7, 0.3])
                    self.add(
                        self.flood_account, created, "billing", "billing_portal", "flood", channel
                    )
        df = pd.DataFrame(self.rows, columns=COLUMNS[1:])
        df = df.sort_values("created_at", kind="mergesort", ignore_index=True)
        empty = self.rng.choice(len(df), round(EMPTY_RATE * len(df)), replace=False)
        df.loc[empty, ["subject", "body"]] = ""
        df = plant_fix(df, self.silent, np.random.default_rng([self.seed, 5]))
        df.insert(0, "ticket_id", [f"T-{100001 + i}" for i in range(len(df))])
        df["created_at"] = df["created_at"].map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"))
        df["csat"] = df["csat"].astype("Int64")
        return df


def plant_fix(df: pd.DataFrame, silent: list[Account], rng: np.random.Generator) -> pd.DataFrame:
    """The fixed feature: its tickets fall after a fix ships in week FIX_WEEK while CSAT holds.

    Re-times tickets rather than adding or removing any: a FIXED_FEATURE ticket in week w >=
    FIX_WEEK is, with probability FIX_SHARE × (w - FIX_WEEK + 1) / (N_WEEKS - FIX_WEEK), swapped
    in time with a ticket of the same category about another feature from before the fix. Weekly
    totals and category counts (the login drift) stay as they were, and no account's last ticket
    moves earlier (no new silence). The regression (reports), the flood (billing_portal), the
    silent accounts, tickets quoting an earlier reply (dated) and the first KEEP_ROWS rows are
    left alone, so those rows keep their order and ids.
    """
    week = ((df["created_at"] - START).dt.days // 7).to_numpy().copy()
    account, category = df["account_id"].to_numpy(), df["category"].to_numpy()
    csat = df["csat"].fillna(0).to_numpy()  # partners share the CSAT score (0: not rated)
    movable = (
        (np.arange(len(df)) >= KEEP_ROWS)
        & ~df["feature"].isin(["reports", "billing_portal"]).to_numpy()
        & ~df["account_id"].isin([a.account_id for a in silent]).to_numpy()
        & ~df["body"].str.contains("Relay Support <support@", regex=False).to_numpy()
    )
    is_fixed = (df["feature"] == FIXED_FEATURE).to_numpy()
    fixed = np.flatnonzero(movable & is_fixed & (week >= FIX_WEEK))
    before = movable & ~is_fixed & (week < FIX_WEEK)
    weeks = np.arange(week[KEEP_ROWS] + 1, FIX_WEEK)  # whole weeks after the rows kept
    per_week = np.bincount(week[is_fixed], minlength=N_WEEKS)
    times = df["created_at"].to_numpy().copy()
    for i in fixed:
        if rng.random() >= FIX_SHARE * (week[i] - FIX_WEEK + 1) / (N_WEEKS - FIX_WEEK):
            continue
        if ((account == account[i]) & (week >= week[i])).sum() < 2:
            continue  # its account's last ticket: moving it would make the account look silent
        same = before & (category == category[i]) & (csat == csat[i])
        # into the quietest week before the fix, so no week of the feature rises into a spike
        for target in sorted(weeks, key=lambda w: (per_week[w], rng.random())):
            partners = np.flatnonzero(same & (week == target))
            if len(partners):
                j = int(rng.choice(partners))
                per_week[week[i]] -= 1
                per_week[target] += 1
                times[i], times[j] = times[j], times[i]
                week[i], week[j] = week[j], week[i]
                before[j] = False
                break
    df = df.assign(created_at=times)
    return df.sort_values("created_at", kind="mergesort", ignore_index=True)


def summarize(df: pd.DataFrame, gen: Generator) -> list[str]:
    week = (pd.to_datetime(df["created_at"]) - pd.Timestamp(START)).dt.days // 7
    tiers = df.drop_duplicates("account_id")["tier"].value_counts().to_dict()
    shares = df["category"].value_counts(normalize=True).items()
    reg = (df["category"] == "technical_issue") & (df["feature"] == "reports")
    in_week = df.loc[reg & (week == REGRESSION_WEEK), "account_id"]
    login = (df["category"] == "login_access").groupby(week).mean()
    billing = df.loc[(week == FLOOD_WEEK) & (df["category"] == "billing")]
    acc = gen.flood_account.account_id
    flood = billing.loc[billing["account_id"] == acc, "created_at"].str[:10]
    silent = df["account_id"].isin([a.account_id for a in gen.silent])
    fixed = df["feature"] == FIXED_FEATURE
    return [
        f"{len(df)} tickets, {df['account_id'].nunique()} accounts {tiers}, {week.nunique()} weeks "
        f"({df['created_at'].iloc[0]} .. {df['created_at'].iloc[-1]})",
        "categories: " + ", ".join(f"{c} {s:.1%}" for c, s in shares),
        f"[1] regression, week {REGRESSION_WEEK + 1} (index {REGRESSION_WEEK}, from 2026-07-20): "
        f"{len(in_week)} technical_issue/reports tickets from {in_week.nunique()} accounts "
        f"(median week: {reg.groupby(week).sum().median():.0f})",
        f"[2] drift: login_access share weeks 1-5 {login.iloc[:5].mean():.1%}, "
        f"weeks 26-30 {login.iloc[-5:].mean():.1%}",
        f"[3] flood, week {FLOOD_WEEK + 1} (index {FLOOD_WEEK}): {acc} ({gen.flood_account.tier}) "
        f"filed {len(flood)} billing tickets on {', '.join(sorted(flood.unique()))}; "
        f"all other accounts filed {len(billing) - len(flood)} billing tickets that week",
        f"[4] silent: {', '.join(a.account_id for a in gen.silent)}: "
        f"{(silent & (week <= SILENT_LAST_WEEK)).sum()} tickets in weeks 1-18, "
        f"{(silent & (week > SILENT_LAST_WEEK)).sum()} in weeks 19-30",
        f"[5] fixed {FIXED_FEATURE}, week {FIX_WEEK + 1} (index {FIX_WEEK}): "
        f"{(fixed & (week < FIX_WEEK)).sum() / FIX_WEEK:.1f} tickets/week before, "
        f"{(fixed & (week >= FIX_WEEK)).sum() / (N_WEEKS - FIX_WEEK):.1f} after; "
        f"weeks 26-30: {(fixed & (week >= N_WEEKS - 5)).sum() / 5:.1f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, default=Path("data/sample_tickets.csv"))
    args = parser.parse_args()
    gen = Generator(args.seed)
    df = gen.generate()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(args.out, index=False, encoding="utf-8")
    print(f"Wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, seed {args.seed})")
    print("\n".join(summarize(df, gen)))


if __name__ == "__main__":
    main()
