from classifier.records import Ticket
from classifier.text import prepare_text
from classifier.text_structure import strip_structure


def test_a_fenced_code_block_leaves_only_its_error_line() -> None:
    body = "Crash on start.\n```\nimport foo\nfoo.run()\nValueError: bad size\n```\nPlease fix."
    assert strip_structure(body) == "Crash on start.\nValueError: bad size\nPlease fix."


def test_an_unclosed_fence_runs_to_the_end() -> None:
    assert strip_structure("It fails:\n```js\nconst a = 1;\nlet b = a()") == "It fails:"


def test_indented_code_after_a_blank_line_is_dropped_but_one_indented_line_stays() -> None:
    body = "Run this:\n\n    x = 1\n    y = x + 1\nthen it hangs.\n\n    single indented note"
    assert strip_structure(body) == "Run this:\n\nthen it hangs.\n\n    single indented note"


def test_stack_frames_go_and_the_exception_stays() -> None:
    python = (
        "Traceback (most recent call last):\n"
        '  File "app.py", line 3, in <module>\n'
        "    main()\n"
        "KeyError: 'user'\n"
        "Happens on every login."
    )
    assert strip_structure(python) == "KeyError: 'user'\nHappens on every login."
    javascript = "TypeError: x is undefined\n    at render (app.js:10:5)\n    at f (i.js:2:1)"
    assert strip_structure(javascript) == "TypeError: x is undefined"
    java = "java.lang.NullPointerException\n\tat com.a.B.c(B.java:12)\n\t... 4 more\nSince 2.1"
    assert strip_structure(java) == "java.lang.NullPointerException\nSince 2.1"


def test_a_log_dump_keeps_its_first_two_lines() -> None:
    log = "\n".join(f"2024-01-0{d} 10:00:00 INFO step {d}" for d in range(1, 6))
    assert strip_structure("Logs:\n" + log + "\nThat is all.") == (
        "Logs:\n2024-01-01 10:00:00 INFO step 1\n2024-01-02 10:00:00 INFO step 2\nThat is all."
    )


def test_an_issue_template_keeps_the_filled_sections_words() -> None:
    body = (
        "<!-- Please search existing issues first. Describe the bug clearly. -->\n"
        "### Steps to reproduce\n"
        "1. open settings\n"
        "### Expected behavior\n"
        "### Actual behavior\n"
        "the app closes\n"
        "**Environment**\n"
        "_No response_\n"
        "- [x] I searched existing issues\n"
        "- [ ] I read the docs"
    )
    assert strip_structure(body) == (
        "\nSteps to reproduce\n1. open settings\nActual behavior\nthe app closes"
    )


def test_plain_prose_is_unchanged() -> None:
    body = "Hello,\nmy invoice is wrong.\n\n- item one\n- item two"
    assert strip_structure(body) == body


def test_prepare_text_only_strips_structure_when_asked() -> None:
    ticket = Ticket(
        id="1", subject="Crash", body="It crashed:\n```\nfoo()\nbar()\n```\n- [ ] searched"
    )
    assert prepare_text(ticket).text == "Crash\nIt crashed:\n```\nfoo()\nbar()\n```\n- [ ] searched"
    assert prepare_text(ticket, structure=True).text == "Crash\nIt crashed:"
