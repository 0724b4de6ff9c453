"""The trace's plain-text math typeset as MathML (browsers render it natively, no scripts).

The equation lines of ``build_sections`` are written in a small plain notation:
``w^2_11`` (superscript 2, subscript 11), ``a^(l-1)_k`` (a parenthesized
superscript), ``e^(-z)``, ``(w^2)^T``, operators such as ``×``, ``⊙``, ``Σ``. ``expression``
turns such a string into one ``<math>`` element: names become ``<mi>``, numbers
``<mn>``, everything else ``<mo>``, and ^ / _ become ``<msup>``, ``<msub>`` and
``<msubsup>``. It is display only: nothing is evaluated.

    >>> expression("w^2_11")
    '<math><msubsup><mi>w</mi><mn>2</mn><mn>11</mn></msubsup></math>'
"""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(
    r"(?P<space>\s+)"
    r"|(?P<num>\d+(?:\.\d+)?(?:e[+-]?\d+)?)"
    r"|(?P<word>[A-Za-z]{3,}(?:-[A-Za-z]{3,})+)"  # hyphenated words: log-likelihood
    r"|(?P<name>[A-Za-z\u0370-\u03ff\u2202\u2207'\u2032]+)"
    r"|(?P<op>.)"
)
_SPACE = '<mspace width="0.3em"/>'
#: Single-letter symbols followed by ^ or _ in prose notes: a^0, w^2, x_k.
_NOTE_SUP = re.compile(r"(?<![A-Za-z])([A-Za-z\u0370-\u03ff])\^(\d+|[A-Za-z](?![A-Za-z]))")
_NOTE_SUB = re.compile(r"(?<![A-Za-z])([A-Za-z\u0370-\u03ff](?:<sup>[^<]*</sup>)?)_(\d+|[A-Za-z]{1,2}(?![A-Za-z]))")
#: A bare (unparenthesized) script: letters, digits, commas, dots, signs.
_SCRIPT = re.compile(r"[0-9A-Za-z,.+\-]+")
_MINUS = {"-": "\u2212"}


def expression(text: str, display: bool = False) -> str:
    """One ``<math>`` element for a line of trace notation (see the module doc)."""
    body = _row(str(text))
    mode = ' display="block"' if display else ""
    return f"<math{mode}>{body}</math>"


def symbol(text: str) -> str:
    """A symbol such as ``δ^2_1`` or ``∂C/∂w^1_12`` as MathML (same rules as ``expression``)."""
    return expression(text)


def text_html(text: str) -> str:
    """Prose with a little notation (notes, titles) as escaped HTML: a^0 -> a<sup>0</sup>, x_k -> x<sub>k</sub>."""
    out = _NOTE_SUP.sub(r"\1<sup>\2</sup>", html.escape(str(text)))
    return _NOTE_SUB.sub(r"\1<sub>\2</sub>", out)


def _row(text: str) -> str:
    parts, pos = [], 0
    while pos < len(text):
        start = pos
        base, pos = _base(text, pos)
        if base is None:
            # A space between two words or numbers is kept; around operators MathML spaces itself.
            if parts and not parts[-1].startswith("<mo>") and pos < len(text) and not _is_operator(text, pos):
                parts.append(_SPACE)
            continue
        sup = sub = None
        while pos < len(text) and text[pos] in "^_":
            marker = text[pos]
            script, pos = _script(text, pos + 1)
            if script is None:
                base = f"{base}<mo>{marker}</mo>"
                break
            if marker == "^" and sup is None:
                sup = script
            elif marker == "_" and sub is None:
                sub = script
            else:
                break
        if sup is not None and sub is not None:
            parts.append(f"<msubsup>{base}{sub}{sup}</msubsup>")
        elif sup is not None:
            parts.append(f"<msup>{base}{sup}</msup>")
        elif sub is not None:
            parts.append(f"<msub>{base}{sub}</msub>")
        else:
            parts.append(base)
    if len(parts) == 1:
        return parts[0]
    return "<mrow>" + "".join(parts) + "</mrow>"


def _is_operator(text: str, pos: int) -> bool:
    return _TOKEN.match(text, pos).lastgroup == "op"


def _base(text: str, pos: int):
    """(MathML of the token at pos, the position after it); (None, pos') for spaces."""
    match = _TOKEN.match(text, pos)
    kind, value = match.lastgroup, match.group()
    end = match.end()
    if kind == "space":
        return None, end
    if kind == "num":
        return f"<mn>{value}</mn>", end
    if kind == "word":
        return f"<mtext>{html.escape(value)}</mtext>", end
    if kind == "name":
        if len(value) > 1 and value.endswith(("'", "\u2032")) and len(value.rstrip("'\u2032")) == 1:
            return f"<mi>{html.escape(value[0])}</mi><mo>\u2032</mo>", end
        return f"<mi>{html.escape(value)}</mi>", end
    return f"<mo>{html.escape(_MINUS.get(value, value))}</mo>", end


def _script(text: str, pos: int):
    """A superscript or subscript starting at pos: '(...)' (parentheses dropped) or a bare run."""
    if pos < len(text) and text[pos] == "(":
        depth, end = 0, pos
        while end < len(text):
            if text[end] == "(":
                depth += 1
            elif text[end] == ")":
                depth -= 1
                if depth == 0:
                    break
            end += 1
        if depth != 0:
            return None, pos
        return _row(text[pos + 1:end]), end + 1
    match = _SCRIPT.match(text, pos)
    if not match:
        return None, pos
    run = match.group()
    # A bare script made of digits is a number; anything else is read as a row (e.g. "l+1", "T").
    if re.fullmatch(r"\d+(?:\.\d+)?", run):
        return f"<mn>{run}</mn>", match.end()
    return _row(run), match.end()
