"""Recognise the machine-made parts of a technical ticket: code, stack traces, logs, templates.

GitHub issues and developer tickets spend much of the model's 256-token window on pasted code,
stack frames, log dumps and issue-template scaffolding (HTML comments with instructions, empty
sections, `- [ ]` checklists). `strip_structure` keeps the words a person wrote, the section
headings and the one or two lines of a trace or log that name the error, so the window holds
what tells the category. It is opt-in (`TextConfig.structure`, recorded in a bundle's manifest as
`text_structure`): bundles trained without it prepare text exactly as before.
"""

from __future__ import annotations

import re

_HTML_COMMENT = re.compile(r"<!--.*?(-->|\Z)", re.DOTALL)
_FENCE = re.compile(r"^\s*(```|~~~)")
_INDENTED = re.compile(r"^(\t| {4,})\S")
_ERROR_LINE = re.compile(
    r"^\s*(\w+\.)*\w*(Error|Exception|Fault)\b|^\s*(panic|fatal|FATAL|Segmentation fault)\b"
)
_FRAME = re.compile(
    r"^\s*(at\s+\S.*(\(.*\)|:\d+)\s*$"  # JavaScript / Java / C# frames
    r"|File \".*\", line \d+"  # Python
    r"|#\d+\s+0x[0-9a-fA-F]+"  # gdb / native
    r"|Traceback \(most recent call last\):"
    r"|\.{3} \d+ more\s*$)"
)
_PYTHON_FRAME = re.compile(r'^\s*File ".*", line \d+')
_LOG_LINE = re.compile(
    r"^\s*\[?(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\d{2}:\d{2}:\d{2}[.,]\d+)"
    r"|^\s*\[?(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL)\]?[\s:]"
)
_CHECKLIST = re.compile(r"^\s*[-*+]\s*\[[ xX]?\]")
_NO_RESPONSE = re.compile(r"^\s*_?No response_?\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^\s*(#{1,6}\s+(?P<hash>.+?)\s*#*\s*$|\*\*(?P<bold>[^*]{1,80})\*\*:?\s*$)")
LOG_LINES_KEPT = 2
ERROR_LINES_KEPT = 2


def _code_lines(block: list[str]) -> list[str]:
    """What a code or trace block contributes: at most its first lines that name an error."""
    return [line.strip() for line in block if _ERROR_LINE.match(line)][:ERROR_LINES_KEPT]


def _without_code(lines: list[str]) -> list[str]:
    """Fenced and indented code blocks replaced by their error lines."""
    kept: list[str] = []
    block: list[str] | None = None
    for line in lines:
        if block is not None:
            if _FENCE.match(line):
                kept += _code_lines(block)
                block = None
            else:
                block.append(line)
        elif _FENCE.match(line):
            block = []
        else:
            kept.append(line)
    if block is not None:  # an unclosed fence runs to the end, as GitHub renders it
        kept += _code_lines(block)
    return _collapse_indented(kept)


def _collapse_indented(lines: list[str]) -> list[str]:
    """Runs of two or more indented lines after a blank line are code: keep their error lines."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        end = index
        after_blank = index == 0 or not lines[index - 1].strip()
        while after_blank and end < len(lines) and _INDENTED.match(lines[end]):
            end += 1
        if end - index >= 2:
            out += _code_lines(lines[index:end])
            index = end
        else:
            out.append(lines[index])
            index += 1
    return out


def _without_traces_and_logs(lines: list[str]) -> list[str]:
    kept: list[str] = []
    log_run = 0
    after_python_frame = False
    for line in lines:
        # A Python frame is followed by the indented source line it points at.
        source_line = after_python_frame and line.startswith((" ", "\t"))
        after_python_frame = bool(_PYTHON_FRAME.match(line))
        if _FRAME.match(line) or source_line:
            continue
        log_run = log_run + 1 if _LOG_LINE.match(line) else 0
        if log_run > LOG_LINES_KEPT:
            continue
        kept.append(line)
    return kept


def _heading(line: str) -> str | None:
    match = _HEADING.match(line)
    if match is None:
        return None
    return (match.group("hash") or match.group("bold") or "").strip()


def _without_template(lines: list[str]) -> list[str]:
    """Checklists and 'No response' dropped; headings kept as plain words unless their section
    is empty (a template section the author did not fill in)."""
    lines = [ln for ln in lines if not _CHECKLIST.match(ln) and not _NO_RESPONSE.match(ln)]
    out: list[str] = []
    for index, line in enumerate(lines):
        title = _heading(line)
        if title is None:
            out.append(line)
            continue
        rest = (ln for ln in lines[index + 1 :] if ln.strip())
        following = next(rest, None)
        if following is not None and _heading(following) is None:
            out.append(title)
    return out


def strip_structure(text: str) -> str:
    """The person-written part of a technical ticket body (newlines already `\\n`)."""
    lines = _HTML_COMMENT.sub("", text).split("\n")
    lines = _without_code(lines)
    lines = _without_traces_and_logs(lines)
    return "\n".join(_without_template(lines))
