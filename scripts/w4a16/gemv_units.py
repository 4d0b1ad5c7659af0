"""Generated translation units for TensorRT-LLM's CUDA-core GEMV, compiling only what is tested.

TensorRT-LLM reaches the GEMV through `weight_only::kernel_launcher(arch, params, stream)`, an
inline function that names one `select_gs<isGroupwise, KernelDetails<...>>` per (kernel type,
layout) it supports on any architecture. Each `select_gs` fans out into group sizes x
activation-scale/zero/bias pointers x alpha handling x M = 1..15: TensorRT-LLM's own dispatcher
files instantiate about 960 kernels per file. We keep TensorRT-LLM's launcher and dispatcher
code and cut the fan-out with explicit specialisations that throw:

* every `select_gs` that the launcher names other than the one used for int4 groupwise
  weights on SM90 (read out of the tree's `kernelLauncher.h`, so the list follows the tree);
* `check_pointer` for group sizes not selected;
* `check_alpha` with activation scales (AWQ's pre-quant scale, not part of W4A16 here) and
  for zero-point settings not selected;
* `dispatcher` with alpha applied in advance (the W4A8 path).

What is left is TensorRT-LLM's code for (activation, group, zeros, bias) x M = 1..15.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from w4a16.errors import UserError

GEMV_DIR = "tensorrt_llm/kernels/weightOnlyBatchedGemv"
LAUNCHER_HEADER = f"{GEMV_DIR}/kernelLauncher.h"
DISPATCHER_HEADER = f"{GEMV_DIR}/kernelDispatcher.h"
NAMESPACE = "tensorrt_llm::kernels::weight_only"
# The TensorRT-LLM kernel type of int4 groupwise weights per activation type.
KERNEL_TYPE = {"fp16": "FP16Int4Groupwise", "bf16": "BF16Int4Groupwise"}
GROUPS = (64, 128)
# The templates the stubs specialise, as the dispatcher header must declare them.
_DISPATCHER_SIGNATURES = {
    "check_pointer": r"template\s*<\s*typename Details,\s*int GroupSize\s*>\s*void check_pointer\(",
    "check_alpha": (r"template\s*<\s*typename Details,\s*int GroupSize,\s*bool EnableActScale,\s*"
                    r"bool EnableZero,\s*bool EnableBias\s*>\s*void check_alpha\("),
    "dispatcher": (r"template\s*<\s*typename Details,\s*int GroupSize,\s*bool EnableActScale,\s*"
                   r"bool EnableZero,\s*bool EnableBias,\s*bool ApplyAlphaInAdvance\s*>\s*"
                   r"void dispatcher\("),
}
_ARGS = "Params& params, cudaStream_t s"


@dataclass(frozen=True)
class GemvCombo:
    """One `select_gs` specialisation the launcher names, and whether SM90 reaches it."""

    kernel_type: str  # e.g. FP16Int4Groupwise
    details: str  # KernelDetails<A, W, Layout, ConverterInterleave, KTile>
    groupwise: bool
    on_sm90: bool
    w4a8: bool  # reached only with alpha applied in advance (the W4A8 path)

    @property
    def select_gs(self) -> str:
        return f"select_gs<{'true' if self.groupwise else 'false'}, {self.details}>"


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def _macro_ktiles(text: str) -> dict[str, int]:
    """Each EXEC-style macro of the launcher -> the K tile its KernelDetails<...> uses."""
    tiles = {}
    for m in re.finditer(r"#define\s+(\w+)\s*\(([^)]*)\)((?:[^\n]*\\\n)*[^\n]*)", text):
        inner = re.search(r"KernelDetails<\s*A\s*,\s*B\s*,\s*Layout\s*,\s*ConverterInterleave\s*,"
                          r"\s*(\d+)\s*>", m.group(3))
        if inner:
            tiles[m.group(1)] = int(inner.group(1))
    return tiles


_CONDITION_TOKEN = re.compile(r"\s*(arch|\d+|==|!=|<=|>=|<|>|&&|\|\||!|\(|\))")
_PY = {"&&": " and ", "||": " or ", "!": " not "}


def _holds_for(condition: str, arch: int) -> bool:
    """Evaluate an `if` condition of the launcher: comparisons of `arch` joined by && || !."""
    pos, parts = 0, []
    while pos < len(condition.rstrip()):
        m = _CONDITION_TOKEN.match(condition, pos)
        if not m:
            raise ValueError(condition.strip())
        parts.append(_PY.get(m.group(1), m.group(1)))
        pos = m.end()
    try:
        return bool(eval("".join(parts), {"__builtins__": {}}, {"arch": arch}))  # noqa: S307
    except SyntaxError:
        raise ValueError(condition.strip()) from None


def _drop_directives(text: str) -> str:
    """Preprocessor lines (with their continuations) out, line count kept."""
    return re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.M)


def parse_launcher(text: str, where: str = LAUNCHER_HEADER) -> list[GemvCombo]:
    """The `select_gs` specialisations `kernel_launcher` names, with the SM90 ones marked.

    The body is read as nested `if (condition) { ... }` blocks; each EXEC-style line inherits
    the conditions of the blocks around it (an `else if` chain on `arch` is exclusive, so each
    condition can be evaluated on its own).
    """
    text = _strip_comments(text)
    ktiles = _macro_ktiles(text)
    text = _drop_directives(text)
    start = text.find("kernel_launcher(")
    if start < 0 or not ktiles:
        raise UserError(f"{where}: no kernel_launcher with EXEC-style macros; this GEMV launcher "
                        "has a form the build does not know")
    body_start = text.index("{", start)
    combos: dict[str, GemvCombo] = {}
    stack: list[str] = []
    pending: str | None = None
    i, depth = body_start + 1, 1
    call = re.compile(r"\b(" + "|".join(map(re.escape, ktiles)) + r")\s*\(([^;]*?)\)\s*;")
    cond = re.compile(r"\bif\s*\(")
    while i < len(text) and depth:
        ch = text[i]
        m_call = call.match(text, i)
        m_if = cond.match(text, i)
        if m_if:
            j, level = m_if.end(), 1
            while level:
                level += {"(": 1, ")": -1}.get(text[j], 0)
                j += 1
            pending = text[m_if.end():j - 1]
            i = j
            continue
        if m_call:
            macro, args = m_call.group(1), [a.strip() for a in m_call.group(2).split(",")]
            if len(args) != 5 or not args[0].startswith("KernelType::"):
                raise UserError(f"{where}: cannot read the launcher line {m_call.group(0)!r}")
            ktype = args[0].split("::", 1)[1]
            details = f"KernelDetails<{args[1]}, {args[2]}, {args[3]}, {args[4]}, {ktiles[macro]}>"
            try:
                sm90 = all(_holds_for(c, 90) for c in stack)
            except ValueError as exc:
                raise UserError(f"{where}: cannot evaluate the condition {exc} for SM90") from None
            combo = GemvCombo(ktype, details, "Groupwise" in ktype, sm90, macro != "EXEC")
            old = combos.get(combo.select_gs)
            combos[combo.select_gs] = combo if old is None else GemvCombo(
                ktype, details, combo.groupwise, old.on_sm90 or sm90, old.w4a8 and combo.w4a8)
            i = m_call.end()
            continue
        if ch == "{":
            depth += 1
            stack.append(pending or "true")
            pending = None
        elif ch == "}":
            depth -= 1
            if stack:
                stack.pop()
        elif ch == ";":
            pending = None
        i += 1
    if not combos:
        raise UserError(f"{where}: kernel_launcher names no GEMV kernel this build can read")
    return list(combos.values())


def tested_combo(combos: Sequence[GemvCombo], activation: str, where: str) -> GemvCombo:
    """The one specialisation SM90 runs for int4 groupwise weights of this activation type."""
    found = [c for c in combos if c.kernel_type == KERNEL_TYPE[activation] and c.on_sm90
             and not c.w4a8]
    if len(found) != 1:
        raise UserError(f"{where}: expected one SM90 GEMV for {KERNEL_TYPE[activation]}, "
                        f"found {len(found)}")
    return found[0]


def check_dispatcher(text: str, where: str) -> None:
    """The stubs specialise dispatcher templates; refuse a dispatcher of another shape."""
    flat = _strip_comments(text)
    for name, pattern in _DISPATCHER_SIGNATURES.items():
        if not re.search(pattern, flat):
            raise UserError(f"{where}: no `{name}` template of the expected form; the GEMV "
                            "dispatcher has a shape this build does not know")


@dataclass(frozen=True)
class GemvSelection:
    activations: tuple[str, ...]
    quant_ops: tuple[str, ...]
    groups: tuple[int, ...]

    @property
    def zero_settings(self) -> tuple[bool, ...]:
        return tuple(q == "scale_zeros" for q in self.quant_ops)


def _b(flag: bool) -> str:
    return "true" if flag else "false"


def _stub(signature: str, what: str) -> list[str]:
    return ["template <>", f"void {signature}(Params&, cudaStream_t) {{",
            f'  throw std::runtime_error("w4a16: the CUDA-core GEMV {what} is not compiled into '
            'this build");', "}"]


def _header(includes: Sequence[str]) -> list[str]:
    return ["// Generated by `w4a16 generate`; do not edit.", *[f'#include {i}' for i in includes],
            "", f"namespace {NAMESPACE} {{"]


def group_tu(details: str, activation: str, group: int, sel: GemvSelection) -> str:
    """check_pointer<Details, group> with the unused pointer and alpha paths stubbed out."""
    lines = _header(["<stdexcept>", f'"{DISPATCHER_HEADER}"'])
    lines.append(f"using D = {details};")
    for zero in (True, False):
        for bias in (True, False):
            lines += _stub(f"check_alpha<D, {group}, true, {_b(zero)}, {_b(bias)}>",
                           f"with activation scales ({activation}, group {group})")
            if zero not in sel.zero_settings:
                lines += _stub(f"check_alpha<D, {group}, false, {_b(zero)}, {_b(bias)}>",
                               f"{'with' if zero else 'without'} zero points ({activation})")
            else:
                lines += _stub(f"dispatcher<D, {group}, false, {_b(zero)}, {_b(bias)}, true>",
                               "with alpha applied in advance (the W4A8 path)")
    lines += ["", f"template void check_pointer<D, {group}>({_ARGS});",
              f"}}  // namespace {NAMESPACE}", ""]
    return "\n".join(lines)


def activation_tu(details: str, activation: str, sel: GemvSelection) -> str:
    """select_gs for one activation type; group sizes not selected throw."""
    lines = _header(["<stdexcept>", f'"{DISPATCHER_HEADER}"'])
    lines.append(f"using D = {details};")
    for group in GROUPS:
        if group in sel.groups:
            lines.append(f"extern template void check_pointer<D, {group}>({_ARGS});")
        else:
            lines += _stub(f"check_pointer<D, {group}>", f"for group size {group}")
    lines += ["", f"template void {'select_gs<true, D>'}({_ARGS});",
              f"}}  // namespace {NAMESPACE}", ""]
    return "\n".join(lines)


def registry_header(stubbed: Sequence[GemvCombo], sel: GemvSelection) -> str:
    """Declares the stubbed select_gs specialisations before kernel_launcher names them, and
    lists what was compiled; include it instead of kernelLauncher.h."""
    lines = [
        "// Generated by `w4a16 generate`; do not edit.",
        "#pragma once",
        "#include <array>",
        "",
        f'#include "{GEMV_DIR}/common.h"',
        f'#include "{GEMV_DIR}/details.h"',
        "",
        f"namespace {NAMESPACE} {{",
        "template <bool isGroupwise, typename Details>",
        f"void select_gs({_ARGS});",
        "// Defined in w4a16_gemv_stubs.cu: GEMVs this build does not test (they throw).",
    ]
    for c in stubbed:
        lines += ["template <>", f"void {c.select_gs}({_ARGS});"]
    lines += [f"}}  // namespace {NAMESPACE}", "", f'#include "{LAUNCHER_HEADER}"', "",
              "namespace w4a16 {", "struct CompiledGemv {",
              "  char const* activation;  // fp16 | bf16",
              "  bool zeros;              // scale-and-zeros",
              "  int group;", "};"]
    rows = [(a, z, g) for a in sel.activations for z in sel.zero_settings for g in sel.groups]
    lines.append(f"inline constexpr std::array<CompiledGemv, {len(rows)}> kCompiledGemv{{{{")
    lines += [f'    {{"{a}", {_b(z)}, {g}}},' for a, z, g in rows]
    lines += ["}};", "}  // namespace w4a16", ""]
    return "\n".join(lines)


def stubs_tu(stubbed: Sequence[GemvCombo]) -> str:
    lines = _header(["<stdexcept>", '"w4a16_gemv_registry.h"'])
    for c in stubbed:
        lines += _stub(c.select_gs, f"{c.kernel_type} with {c.details}")
    lines += [f"}}  // namespace {NAMESPACE}", ""]
    return "\n".join(lines)


def generate(out_dir: Path, cpp_root: Path, sel: GemvSelection,
             write: Callable[[Path, str], None]) -> list[Path]:
    """Write the GEMV units for the tree at `cpp_root` (its `cpp/` folder); returns the .cu
    files to compile. `write(path, text)` keeps unchanged files' mtimes."""
    launcher = cpp_root / LAUNCHER_HEADER
    dispatcher = cpp_root / DISPATCHER_HEADER
    for path in (launcher, dispatcher):
        if not path.is_file():
            raise UserError(f"the GEMV sources are incomplete: {path} is missing")
    check_dispatcher(dispatcher.read_text(errors="replace"), str(dispatcher))
    combos = parse_launcher(launcher.read_text(errors="replace"), str(launcher))
    tested = {a: tested_combo(combos, a, str(launcher)) for a in sel.activations}
    used = {c.select_gs for c in tested.values()}
    stubbed = [c for c in combos if c.select_gs not in used]
    files: dict[str, str] = {
        "w4a16_gemv_registry.h": registry_header(stubbed, sel),
        "w4a16_gemv_stubs.cu": stubs_tu(stubbed),
    }
    for act, combo in tested.items():
        files[f"w4a16_gemv_{act}.cu"] = activation_tu(combo.details, act, sel)
        for group in sel.groups:
            files[f"w4a16_gemv_{act}_g{group}.cu"] = group_tu(combo.details, act, group, sel)
    for stale in out_dir.glob("w4a16_gemv_*"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        write(out_dir / name, text)
    return [out_dir / name for name in files if name.endswith(".cu")]
