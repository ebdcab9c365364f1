import random

from classifier.records import Ticket
from classifier.text import (
    _CUT_LINE,
    _CUT_LINES,
    _WHITESPACE,
    clean_body,
    collapse_whitespace,
    prepare_text,
)


def test_subject_and_body_are_joined() -> None:
    text = prepare_text(Ticket(id="1", subject="Invoice wrong", body="We were charged twice.")).text
    assert text == "Invoice wrong\nWe were charged twice."


def test_html_is_stripped_and_entities_decoded() -> None:
    body = "<div><p>Export &amp; import fail</p><br><b>since Monday</b></div>"
    cleaned = clean_body(body)
    assert "<" not in cleaned
    assert "Export & import fail" in cleaned
    assert "since Monday" in cleaned


def test_quoted_reply_is_removed() -> None:
    body = (
        "The report still does not load.\n\n"
        "On Mon, Mar 2, 2026 at 10:14 AM Relay Support <support@relay.example> wrote:\n"
        "> Could you try clearing the cache?\n> Thanks"
    )
    assert clean_body(body) == "The report still does not load."


def test_signature_is_removed() -> None:
    body = "I cannot log in with SSO.\n\nBest regards,\nDana Kim\nOps lead, Acme GmbH"
    assert clean_body(body) == "I cannot log in with SSO."
    assert clean_body("Push alerts are late\n--\nSent from my iPhone") == "Push alerts are late"


def test_ticket_starting_with_thanks_keeps_its_text() -> None:
    assert clean_body("Thanks,\nthe API returns 500 on every call") != ""


def test_empty_ticket_is_flagged_empty() -> None:
    assert prepare_text(Ticket(id="1", subject="  ", body="<p> </p>")).is_empty


def test_long_text_is_pre_cut() -> None:
    assert len(prepare_text(Ticket(id="1", body="word " * 10_000), max_chars=500).text) == 500


def test_whitespace_collapses_as_the_regular_expression_collapses_it() -> None:
    rng = random.Random(0)
    alphabet = [" ", " ", "\t", "\r", "\f", "\v", "\n", "\x1c", "\u00a0", "a", "b"]
    texts = ["", " ", "a  b", "  a\t\t b \n  c  ", "x" + " " * 1000 + "y"]
    texts += ["".join(rng.choices(alphabet, k=rng.randint(1, 40))) for _ in range(5000)]
    for text in texts:
        assert collapse_whitespace(text) == _WHITESPACE.sub(" ", text), repr(text)
    assert collapse_whitespace("a \t\v b\n\n c") == "a b\n\n c"


def test_one_expression_cuts_where_any_of_the_patterns_matches() -> None:
    lines = [
        "On Mon, 3 Mar 2026, Ana <ana@x.io> wrote:",
        "am 3. März schrieb Ana:",
        "Le lundi 3 mars, Ana a écrit :",
        "----- Original Message -----",
        "FROM: ana@x.io",
        "____________",
        "--",
        "sent from my iPhone",
        "Kind regards,",
        "THANKS!",
        "thanks for the quick fix on invoices",
        "From:",
        "-- not a signature",
        "regards to the team, the export fails",
        "",
    ]
    for line in lines:
        assert bool(_CUT_LINE.match(line)) == any(p.match(line) for p in _CUT_LINES), line
    assert sum(bool(_CUT_LINE.match(line)) for line in lines) == 10
