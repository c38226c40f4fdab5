"""Text sent as format=flowed (RFC 3676, Thunderbird's default) read back as its writer typed
it: soft line breaks joined, quote depth kept, space-stuffing removed. Pure."""

from __future__ import annotations

import re

_LINE_END = re.compile(r"\r\n|\r|\n")

_SIGNATURE_SEPARATOR = "-- "


def unflowed(text: str, *, delete_space: bool = False) -> str:
    """The lines of format=flowed text joined at their soft breaks (RFC 3676 section 4).

    A line ending in a space goes on in the next line of the same quote depth; the signature
    separator "-- " never does. With DelSp=yes (``delete_space``) that space was added by the
    sender's wrapping and is dropped. Quoted lines come back as ">" marks, a space and the text.
    """
    lines: list[str] = []
    joined: list[str] = []  # the pieces of a line still being joined
    joined_depth = 0
    for line in _LINE_END.split(text):
        content = line.lstrip(">")
        depth = len(line) - len(content)
        content = content.removeprefix(" ")  # space-stuffing, or the space after quote marks
        separator = content == _SIGNATURE_SEPARATOR
        if joined and (depth != joined_depth or separator):  # improperly flowed: ends here
            lines.append(_quoted(joined_depth, "".join(joined)))
            joined = []
        soft = content.endswith(" ") and not separator
        joined.append(content[:-1] if soft and delete_space else content)
        joined_depth = depth
        if not soft:
            lines.append(_quoted(depth, "".join(joined)))
            joined = []
    if joined:
        lines.append(_quoted(joined_depth, "".join(joined)))
    return "\n".join(lines)


def _quoted(depth: int, content: str) -> str:
    if not depth:
        return content
    return ">" * depth + (" " + content if content else "")
