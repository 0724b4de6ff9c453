"""Step-by-step traces of one training step: every number, with the equation it comes from.

    >>> from bprop.explain import get_example, trace_step, print_trace
    >>> example = get_example("seed000")
    >>> trace = trace_step(example.build(), example.inputs, example.targets, example.eta)
    >>> round(float(trace.output.a[0, 0]), 8)
    0.75136507

``trace_step`` (trace.py) runs one SGD step with the network's own code and keeps
every array; ``build_sections`` (steps.py) turns them into equation lines;
formats.py prints them to the terminal or writes Markdown / HTML.
"""

from .examples import EXAMPLES, Example, get_example, network_from_arrays
from .formats import FORMATS, print_trace, render, terminal_text, to_html, to_markdown, write_trace
from .steps import Line, Matrix, Section, build_sections
from .trace import LayerStep, StepTrace, check_size, trace_step

__all__ = [
    "trace_step",
    "StepTrace",
    "LayerStep",
    "check_size",
    "build_sections",
    "Section",
    "Line",
    "Matrix",
    "print_trace",
    "terminal_text",
    "to_markdown",
    "to_html",
    "render",
    "write_trace",
    "FORMATS",
    "Example",
    "EXAMPLES",
    "get_example",
    "network_from_arrays",
]
