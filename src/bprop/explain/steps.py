"""The trace as text: sections of equation lines with the numbers filled in.

``build_sections(trace)`` turns a ``StepTrace`` into a list of ``Section``s,
the same for every output format (terminal, Markdown, HTML). A section holds
the general formulas it applies, one ``Line`` per neuron or weight
("z^1_1 = 0.15 × 0.05 + 0.2 × 0.1 + 0.35 = 0.3775"), and, when the layer or
the batch is too big for lines, the matrices.

Every number in a line is read from the trace's arrays: the expression only
spells out which numbers the network combined, and the value after the last
"=" is the one the network computed. The small tables below say how each rule
is written (display only, never evaluated).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .trace import LayerStep, StepTrace

#: Per-neuron lines are written for batches up to this size; bigger batches get matrices.
MAX_LINE_BATCH = 4
#: A sum is written term by term up to this many terms.
MAX_TERMS = 8
#: At most this many lines per section; bigger layers get matrices only.
MAX_LINES = 72


@dataclass
class Line:
    """``symbol = expression = value``, tagged with the equation it applies."""

    equation: str
    symbol: str
    expression: str
    value: float
    sample: int | None = None


@dataclass
class Matrix:
    name: str
    array: np.ndarray
    row_label: str = ""
    column_label: str = ""


@dataclass
class Section:
    key: str
    title: str
    equation: str
    formulas: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    matrices: list[Matrix] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class NumberFormat:
    """Prints numbers with ``digits`` decimals: 0.751365070, -0.038098237.

    Short numbers (at most 6 decimals, like the given 0.15 or 0.3775) lose their
    trailing zeros; very small (below 10^-(digits - 4), and below 0.1 at any ``digits``) or
    large (from 10^6) magnitudes switch to scientific notation.
    """

    def __init__(self, digits: int = 9):
        self.digits = int(digits)

    def __call__(self, value: float) -> str:
        value = float(value)
        if value == 0:
            return "0"
        magnitude = abs(value)
        # fixed notation keeps at least 4 significant digits at 9 decimals (down to 1e-5); with
        # few decimals (--digits 3 or 4) numbers from 0.1 up stay fixed: 10^-(digits - 4) would
        # have written every number below 10 as 4.000e-01
        if magnitude < 10.0 ** -max(self.digits - 4, 1) or magnitude >= 1e6:
            return f"{value:.{max(self.digits - 3, 3)}e}"
        text = f"{value:.{self.digits}f}"
        short = text.rstrip("0")
        if len(short.split(".")[1]) <= 6:
            text = short.rstrip(".")
        return "0" if text in ("-0", "") else text

    def factor(self, value: float) -> str:
        """A number inside a product or sum: negatives in parentheses."""
        text = self(value)
        return f"({text})" if text.startswith("-") else text


def exact(value: float) -> str:
    """A given constant (η, a leaky slope) to 15 significant digits: 0.5, 3.3333333333.

    The lines compute with it at full precision, so it is printed so: 6 digits would show
    η = 3.3333333333 as 3.33333, and "w - η × ∂C/∂w" would not add up to the value shown.
    """
    return f"{float(value):.15g}"


# -- notation ----------------------------------------------------------------------


def idx(*indices: int) -> str:
    """Subscript text: 1, 2 -> '12'; any index >= 10 -> '10,3'."""
    if all(i < 10 for i in indices):
        return "".join(str(i) for i in indices)
    return ",".join(str(i) for i in indices)


def a_symbol(l: int, k: int) -> str:
    return f"x_{k}" if l == 0 else f"a^{l}_{k}"


def sample_suffix(trace: StepTrace, i: int) -> str:
    return f" (x{i + 1})" if trace.batch_size > 1 else ""


# -- display templates of the rules (never evaluated) -----------------------------


def activation_expression(layer: LayerStep, i: int, j: int, f: NumberFormat) -> str:
    name = layer.activation.name
    z = layer.z[i, j]
    if name == "sigmoid":
        return f"1 / (1 + e^(-{f.factor(z)}))"
    if name == "tanh":
        return f"tanh({f(z)})"
    if name == "relu":
        return f"max(0, {f(z)})"
    if name == "leaky_relu":
        return f(z) if z > 0 else f"{exact(layer.activation.slope)} × {f.factor(z)}"
    if name == "identity":
        return f(z)
    if name == "softmax":
        zs = layer.z[i]
        if zs.size > 4:
            return f"e^{f.factor(z)} / Σ_k e^(z_k)"
        return f"e^{f.factor(z)} / (" + " + ".join(f"e^{f.factor(v)}" for v in zs) + ")"
    return f"{name}({f(z)})"


def derivative_expression(layer: LayerStep, i: int, j: int, f: NumberFormat) -> str:
    name = layer.activation.name
    a, z = layer.a[i, j], layer.z[i, j]
    if name == "sigmoid":
        return f"a(1 - a) = {f(a)} × (1 - {f(a)})"
    if name == "tanh":
        return f"1 - a² = 1 - {f.factor(a)}²"
    if name == "relu":
        return f"1 since z = {f(z)} > 0" if z > 0 else f"0 since z = {f(z)} ≤ 0"
    if name == "leaky_relu":
        return f"1 since z > 0" if z > 0 else f"{exact(layer.activation.slope)} since z ≤ 0"
    if name == "identity":
        return "1"
    return layer.activation.derivative_formula


def cost_gradient_expression(trace: StepTrace, i: int, j: int, f: NumberFormat) -> str:
    a, y = trace.output.a[i, j], trace.targets[i, j]
    per_batch = f" / {trace.batch_size}" if trace.batch_size > 1 else ""
    name = trace.cost.name
    if name == "quadratic":
        if per_batch:
            return f"(a - y){per_batch} = ({f(a)} - {f.factor(y)}){per_batch}"
        return f"a - y = {f(a)} - {f.factor(y)}"
    if name == "cross_entropy":
        return f"(a - y) / (a(1 - a)){per_batch} = ({f(a)} - {f.factor(y)}) / ({f(a)} × (1 - {f(a)})){per_batch}"
    if name == "log_likelihood":
        return f"-y / a{per_batch} = -{f.factor(y)} / {f(a)}{per_batch}"
    return trace.cost.gradient_formula


def cost_term_expression(trace: StepTrace, i: int, j: int, f: NumberFormat) -> str | None:
    a, y = trace.output.a[i, j], trace.targets[i, j]
    name = trace.cost.name
    if name == "quadratic":
        return f"½ (a - y)² = ½ ({f(a)} - {f.factor(y)})²"
    if name == "cross_entropy":
        return f"-[y ln a + (1 - y) ln(1 - a)] = -[{f(y)} ln {f(a)} + (1 - {f(y)}) ln(1 - {f(a)})]"
    if name == "log_likelihood":
        return None if y == 0 else f"-y ln a = -{f(y)} ln {f(a)}"
    return None


SATURATION_NOTE = (
    "Saturated: some a^L round to exactly 0 or 1 here, so the textbook expressions on this page "
    "(ln a, ln(1 - a), 1 / (a(1 - a))) cannot be evaluated as written and their terms do not add up; "
    "the values shown are exact: bprop computes the cost and δ^L from the logits z^L in log space "
    "(ln a = z - lse(z), softplus; bprop.heads)."
)


def saturated(trace: StepTrace) -> bool:
    """True when an output in (0, 1) has rounded to exactly 0 or 1 (the textbook route breaks down)."""
    a = trace.output.a
    return trace.output.activation.output_range == (0.0, 1.0) and bool(np.any((a == 0) | (a == 1)))


FUSED_RULES = {
    ("softmax", "log_likelihood"): "softmax + log-likelihood",
    ("sigmoid", "cross_entropy"): "sigmoid + cross-entropy",
}


# -- sections ----------------------------------------------------------------------


def build_sections(trace: StepTrace, digits: int = 9) -> list[Section]:
    """All sections of the trace, in the order the step runs."""
    f = NumberFormat(digits)
    sections = [forward_section(trace, layer, f) for layer in trace.layers]
    sections.append(cost_section(trace, f))
    sections.append(bp1_section(trace, f))
    for layer in reversed(trace.layers[:-1]):
        sections.append(bp2_section(trace, layer, trace.layers[layer.index], f))
    for layer in reversed(trace.layers):
        sections.append(gradient_section(trace, layer, f))
    for layer in trace.layers:
        sections.append(update_section(trace, layer, f))
    sections.append(check_section(trace, f))
    if trace.aliases:
        for section in sections:
            for line in section.lines:
                line.symbol = _with_alias(line.symbol, trace.aliases)
    return sections


def _with_alias(symbol: str, aliases: dict[str, str]) -> str:
    """'∂C/∂w^2_11' -> '∂C/∂w^2_11 (w5)' when aliases maps 'w^2_11' to 'w5'."""
    for base, alias in aliases.items():
        if symbol == base or symbol.endswith("∂" + base):
            return f"{symbol} ({alias})"
    return symbol


def _layer_role(trace: StepTrace, layer: LayerStep) -> str:
    return "output layer" if layer.index == len(trace.layers) else "hidden layer"


def _show_lines(trace: StepTrace, count: int) -> bool:
    return trace.batch_size <= MAX_LINE_BATCH and count * trace.batch_size <= MAX_LINES


def _sum_text(terms: list[str], tail: str | None = None) -> str:
    """'a + b + tail', writing '+ -0.3 × 2' as '- 0.3 × 2'; long sums are abbreviated."""
    if len(terms) > MAX_TERMS:
        terms = [f"Σ of {len(terms)} terms"]
    if tail is not None:
        terms = terms + [tail]
    text = terms[0]
    for term in terms[1:]:
        text += f" - {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def forward_section(trace: StepTrace, layer: LayerStep, f: NumberFormat) -> Section:
    l, act = layer.index, layer.activation
    previous = "x" if l == 1 else f"a^{l - 1}"
    section = Section(
        key=f"forward-{l}",
        title=f"Forward, layer {l} ({_layer_role(trace, layer)}, {act.name})",
        equation="forward",
        formulas=[f"z^{l} = w^{l} {previous} + b^{l}", f"a^{l} = {act.name}(z^{l}),  {act.formula}"],
    )
    if l == 1:
        section.notes.append("Input: a^0 = x = " + _vector_text(trace.x, f) + ".")
    if _show_lines(trace, 2 * layer.n_out):
        for i in range(trace.batch_size):
            for j in range(layer.n_out):
                terms = [
                    f"{f(layer.weights[j, k])} × {f.factor(layer.a_prev[i, k])}" for k in range(layer.n_in)
                ]
                expression = _sum_text(terms, f(layer.biases[j]))
                section.lines.append(Line("forward", f"z^{l}_{j + 1}" + sample_suffix(trace, i), expression, layer.z[i, j], i))
            for j in range(layer.n_out):
                expression = activation_expression(layer, i, j, f)
                section.lines.append(Line("forward", f"a^{l}_{j + 1}" + sample_suffix(trace, i), expression, layer.a[i, j], i))
    else:
        section.matrices += [Matrix(f"w^{l}", layer.weights, "j", "k"), Matrix(f"b^{l}", layer.biases)]
    if trace.batch_size > 1 or not section.lines:
        section.matrices += [Matrix(f"z^{l} (one row per sample)", layer.z, "x", "j"),
                             Matrix(f"a^{l} (one row per sample)", layer.a, "x", "j")]
    return section


def cost_section(trace: StepTrace, f: NumberFormat) -> Section:
    m = trace.batch_size
    section = Section(key="cost", title=f"Cost ({trace.cost.name})", equation="cost", formulas=[trace.cost.formula])
    section.notes.append("Targets: y = " + _vector_text(trace.targets, f) + ".")
    if saturated(trace) and trace.cost.needs_probabilities:
        section.notes.append(SATURATION_NOTE)
    n_out = trace.output.n_out
    if _show_lines(trace, n_out + 1):
        for i in range(m):
            suffix = sample_suffix(trace, i)
            terms = []
            for j in range(n_out):
                expression = cost_term_expression(trace, i, j, f)
                if expression is None:
                    continue
                symbol = f"C_{j + 1}{suffix}" if m == 1 else f"C_x{i + 1},{j + 1}"
                section.lines.append(Line("cost", symbol, expression, trace.neuron_costs[i, j], i))
                terms.append(f(trace.neuron_costs[i, j]))
            if terms:
                symbol = "C" if m == 1 else f"C_x{i + 1}"
                section.lines.append(Line("cost", symbol, _sum_text(terms) if terms else "0", trace.sample_costs[i], i))
    if m > 1:
        terms = [f(c) for c in trace.sample_costs]
        section.lines.append(Line("cost", "C", f"({_sum_text(terms)}) / {m}", trace.cost_value))
    elif not section.lines or section.lines[-1].symbol != "C":
        section.lines.append(Line("cost", "C", "", trace.cost_value))
    return section


def bp1_section(trace: StepTrace, f: NumberFormat) -> Section:
    out = trace.output
    L, m = out.index, trace.batch_size
    per_batch = f" / {m}" if m > 1 else ""
    section = Section(
        key="bp1", title=f"BP1: the error of the output layer, δ^{L} = ∂C/∂z^{L}", equation="BP1",
        formulas=[f"δ^{L} = ∇_a C ⊙ σ'(z^{L})"],
    )
    if m > 1:
        section.notes.append(f"C is the mean over the batch of {m}, so every δ and ∂C/∂a carries the factor 1/{m}.")
    rule = out.delta_rule
    if saturated(trace) and rule != "fused":
        section.notes.append(SATURATION_NOTE)
    lines = _show_lines(trace, out.n_out * (3 if rule != "jacobian" else out.n_out + 2))
    if rule == "fused":
        pair = FUSED_RULES.get((out.activation.name, trace.cost.name), f"{out.activation.name} + {trace.cost.name}")
        section.formulas.append(f"{pair} (fused): δ^{L} = (a^{L} - y){' / m' if m > 1 else ''}; σ' cancels against ∂C/∂a")
        if lines:
            for i in range(m):
                for j in range(out.n_out):
                    expression = f"({f(out.a[i, j])} - {f.factor(trace.targets[i, j])}){per_batch}" if m > 1 else \
                        f"{f(out.a[i, j])} - {f.factor(trace.targets[i, j])}"
                    section.lines.append(Line("BP1", f"δ^{L}_{j + 1}" + sample_suffix(trace, i), expression, out.delta[i, j], i))
    elif rule == "elementwise":
        section.formulas.append(f"{trace.cost.gradient_formula};  {out.activation.derivative_formula}")
        if lines:
            for i in range(m):
                s = sample_suffix(trace, i)
                for j in range(out.n_out):
                    n = j + 1
                    section.lines.append(Line("BP1", f"∂C/∂a^{L}_{n}{s}", cost_gradient_expression(trace, i, j, f), out.grad_a[i, j], i))
                    section.lines.append(Line("BP1", f"σ'(z^{L}_{n}){s}", derivative_expression(out, i, j, f), out.sigma_prime[i, j], i))
                    expression = f"∂C/∂a^{L}_{n} × σ'(z^{L}_{n}) = {f(out.grad_a[i, j])} × {f.factor(out.sigma_prime[i, j])}"
                    section.lines.append(Line("BP1", f"δ^{L}_{n}{s}", expression, out.delta[i, j], i))
    else:
        section.formulas.append(
            f"{out.activation.name} couples its outputs: δ^{L}_i = Σ_j (∂a_j/∂z_i) ∂C/∂a_j with the full Jacobian "
            f"∂a_j/∂z_i = a_j (1[i=j] - a_i)"
        )
        section.formulas.append(trace.cost.gradient_formula)
        if lines:
            for i in range(m):
                s = sample_suffix(trace, i)
                for j in range(out.n_out):
                    section.lines.append(Line("BP1", f"∂C/∂a^{L}_{j + 1}{s}", cost_gradient_expression(trace, i, j, f), out.grad_a[i, j], i))
                for r in range(out.n_out):
                    for c in range(out.n_out):
                        a_c, a_r = out.a[i, c], out.a[i, r]
                        expression = f"a_{c + 1}(1 - a_{r + 1}) = {f(a_c)} × (1 - {f(a_r)})" if r == c else \
                            f"-a_{c + 1} a_{r + 1} = -{f(a_c)} × {f(a_r)}"
                        section.lines.append(Line("BP1", f"∂a_{c + 1}/∂z_{r + 1}{s}", expression, out.jacobian[i, r, c], i))
                for r in range(out.n_out):
                    terms = [f"{f.factor(out.jacobian[i, r, c])} × {f.factor(out.grad_a[i, c])}" for c in range(out.n_out)]
                    section.lines.append(Line("BP1", f"δ^{L}_{r + 1}{s}", _sum_text(terms), out.delta[i, r], i))
    if not section.lines or m > 1:
        section.matrices.append(Matrix(f"δ^{L} (one row per sample)", out.delta, "x", "j"))
    return section


def bp2_section(trace: StepTrace, layer: LayerStep, above: LayerStep, f: NumberFormat) -> Section:
    l, m = layer.index, trace.batch_size
    section = Section(
        key=f"bp2-{l}", title=f"BP2: the error of hidden layer {l}, δ^{l}", equation="BP2",
        formulas=[f"δ^{l} = ((w^{l + 1})^T δ^{l + 1}) ⊙ σ'(z^{l})", layer.activation.derivative_formula],
        notes=[f"w^{l + 1} is the weight matrix before the update: every gradient of the step uses the old weights."],
    )
    if _show_lines(trace, 3 * layer.n_out):
        for i in range(m):
            s = sample_suffix(trace, i)
            for k in range(layer.n_out):
                n = k + 1
                terms = [f"{f(above.weights[j, k])} × {f.factor(above.delta[i, j])}" for j in range(above.n_out)]
                section.lines.append(Line("BP2", f"((w^{l + 1})^T δ^{l + 1})_{n}{s}", _sum_text(terms), layer.grad_a[i, k], i))
                section.lines.append(Line("BP2", f"σ'(z^{l}_{n}){s}", derivative_expression(layer, i, k, f), layer.sigma_prime[i, k], i))
                expression = f"{f(layer.grad_a[i, k])} × {f.factor(layer.sigma_prime[i, k])}"
                section.lines.append(Line("BP2", f"δ^{l}_{n}{s}", expression, layer.delta[i, k], i))
    if not section.lines or m > 1:
        section.matrices.append(Matrix(f"δ^{l} (one row per sample)", layer.delta, "x", "j"))
    return section


def gradient_section(trace: StepTrace, layer: LayerStep, f: NumberFormat) -> Section:
    l, m = layer.index, trace.batch_size
    previous = "x" if l == 1 else f"a^{l - 1}"
    over_batch = "Σ_x " if m > 1 else ""
    section = Section(
        key=f"grad-{l}", title=f"BP3 and BP4: gradients of layer {l}", equation="BP3/BP4",
        formulas=[f"BP3: ∂C/∂b^{l}_j = {over_batch}δ^{l}_j", f"BP4: ∂C/∂w^{l}_jk = {over_batch}{previous}_k δ^{l}_j"],
    )
    count = layer.n_out * (layer.n_in + 1)
    if _show_lines(trace, max(1, count // max(1, m))) and count <= MAX_LINES:
        for j in range(layer.n_out):
            terms = [f(layer.delta[i, j]) for i in range(m)]
            expression = _sum_text(terms) if m > 1 else f"δ^{l}_{j + 1}"
            section.lines.append(Line("BP3", f"∂C/∂b^{l}_{j + 1}", expression, layer.grad_biases[j]))
        for j in range(layer.n_out):
            for k in range(layer.n_in):
                terms = [f"{f.factor(layer.a_prev[i, k])} × {f.factor(layer.delta[i, j])}" for i in range(m)]
                section.lines.append(Line("BP4", f"∂C/∂w^{l}_{idx(j + 1, k + 1)}", _sum_text(terms), layer.grad_weights[j, k]))
    else:
        section.matrices += [Matrix(f"∂C/∂w^{l}", layer.grad_weights, "j", "k"), Matrix(f"∂C/∂b^{l}", layer.grad_biases)]
    return section


def update_section(trace: StepTrace, layer: LayerStep, f: NumberFormat) -> Section:
    l, eta = layer.index, trace.eta
    section = Section(
        key=f"update-{l}", title=f"Update of layer {l} (η = {exact(eta)})", equation="update",
        formulas=[f"w^{l} ← w^{l} - η ∂C/∂w^{l}"],
    )
    if layer.train_biases:
        section.formulas.append(f"b^{l} ← b^{l} - η ∂C/∂b^{l}")
    else:
        section.notes.append(f"b^{l} is fixed in this example (train_biases=False): ∂C/∂b^{l} is computed above but not applied.")
    count = layer.n_out * (layer.n_in + 1)
    if count <= MAX_LINES:
        for j in range(layer.n_out):
            for k in range(layer.n_in):
                expression = f"{f(layer.weights[j, k])} - {exact(eta)} × {f.factor(layer.grad_weights[j, k])}"
                section.lines.append(Line("update", f"w^{l}_{idx(j + 1, k + 1)}", expression, layer.new_weights[j, k]))
        if layer.train_biases:
            for j in range(layer.n_out):
                expression = f"{f(layer.biases[j])} - {exact(eta)} × {f.factor(layer.grad_biases[j])}"
                section.lines.append(Line("update", f"b^{l}_{j + 1}", expression, layer.new_biases[j]))
    else:
        section.matrices.append(Matrix(f"new w^{l}", layer.new_weights, "j", "k"))
        if layer.train_biases:
            section.matrices.append(Matrix(f"new b^{l}", layer.new_biases))
    return section


def check_section(trace: StepTrace, f: NumberFormat) -> Section:
    change = trace.cost_after - trace.cost_value
    verdict = "went down" if change < 0 else "did not go down (try a smaller η)"
    return Section(
        key="check", title="After the step", equation="check",
        formulas=["the same forward pass and cost with the updated parameters"],
        lines=[Line("check", "C after the step", f"was {f(trace.cost_value)}", trace.cost_after)],
        notes=[f"The cost {verdict}: change {f(change)}."],
    )


def _vector_text(array: np.ndarray, f: NumberFormat) -> str:
    rows = ["(" + ", ".join(f(v) for v in row) + ")" for row in np.atleast_2d(array)]
    if len(rows) > 6:
        rows = rows[:6] + [f"... {len(rows) - 6} more"]
    return rows[0] if len(rows) == 1 else "[" + ", ".join(rows) + "]"
