// What the translation cache holds, for people: `--listing` puts each guest
// unit beside its translation, `--dot` draws units, chains and lookups.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "ptv/common/format.hpp"
#include "ptv/vmm/binary_translation.hpp"

namespace ptv::vmm {

namespace {

std::string upper(std::string s) {
    for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string unit_ref(const TranslationUnit& tu, int k) {
    if (!tu.has_successor[k]) return "?";
    return fmt::format(
        "unit {:#x}{}", tu.successor[k],
        tu.link[k] ? fmt::format(" (chained, x{})", thousands(tu.chained[k])) : " (lookup)");
}

// The translated code of one instruction, in the notation of Adams &
// Agesen's examples: identity copies, rewritten transfers, callouts.
std::string translated(const TranslationUnit& tu, size_t i, const std::string& guest) {
    const DecodedInstruction& in = tu.guest[i];
    const MicroOp& op = tu.code[i];
    const auto m = ZydisMnemonic(in.mnemonic);
    switch (tu.how[i]) {
        case Translation::Identity:
            return guest;
        case Translation::Callout:
            return "call HANDLE_" + upper(ZydisMnemonicGetString(m));
        case Translation::Inline:
            break;
    }
    const std::string operand =
        guest.find(' ') == std::string::npos ? "" : guest.substr(guest.find(' ') + 1);
    if (m == ZYDIS_MNEMONIC_RET) return "pop tmp; jmp lookup(tmp)";
    if (m == ZYDIS_MNEMONIC_CALL)
        return op.target != op.next ? fmt::format("push {:#x}; jmp {}", op.next, unit_ref(tu, 0))
                                    : fmt::format("push {:#x}; jmp lookup({})", op.next, operand);
    if (m == ZYDIS_MNEMONIC_JMP)
        return op.target != op.next ? "jmp " + unit_ref(tu, 0)
                                    : fmt::format("jmp lookup({})", operand);
    if (in.ends_block)  // Jcc, LOOP, JECXZ
        return fmt::format("{} {}; else {}", ZydisMnemonicGetString(m), unit_ref(tu, 0),
                           unit_ref(tu, 1));
    return guest + "  ; reads the virtual CPU";
}

}  // namespace

std::string BinaryTranslation::listing(const Cpu& cpu) const {
    const auto all = units();
    size_t identity = 0, inl = 0, callouts = 0;
    for (const auto* tu : all)
        for (auto h : tu->how)
            ++(h == Translation::Identity ? identity : h == Translation::Inline ? inl : callouts);
    std::string out = fmt::format(
        "Translation cache: {} units, {} guest instructions ({} identity, {} inline, {} "
        "callouts)\n"
        "  =  identity translation (copied unchanged)\n"
        "  ~  inline translation (rewritten, stays in the translation cache)\n"
        "  !  callout (a call into the VMM, which emulates the instruction)\n"
        "  op: how the CPU model runs it (fast: a pre-decoded handler; interp: the "
        "interpreter's semantics)\n",
        all.size(), identity + inl + callouts, identity, inl, callouts);
    for (const auto* tu : all) {
        out +=
            fmt::format("\nunit {:#x}: {} instruction{}, {} bytes, executed {} time{}{}\n", tu->eip,
                        tu->guest.size(), tu->guest.size() == 1 ? "" : "s", tu->bytes,
                        thousands(tu->executions), tu->executions == 1 ? "" : "s",
                        tu->version > 1 ? fmt::format(", translated {} times", tu->version) : "");
        for (size_t i = 0; i < tu->guest.size(); ++i) {
            const uint32_t eip = tu->code[i].eip;
            const std::string guest = cpu.decoder().disassemble(tu->guest[i].bytes, eip);
            const char mark = tu->how[i] == Translation::Identity ? '='
                              : tu->how[i] == Translation::Inline ? '~'
                                                                  : '!';
            const char* how = tu->callout ? "vmm" : tu->code[i].generic ? "interp" : "fast";
            out += fmt::format("  {:#010x}  {:<32} {}  {:<6} {}\n", eip, guest, mark, how,
                               translated(*tu, i, guest));
        }
        if (tu->callout && tu->has_successor[1]) out += "  then " + unit_ref(*tu, 1) + "\n";
        if (!tu->callout && tu->has_successor[1] && !tu->guest.empty() &&
            !tu->guest.back().ends_block)
            out += "  falls through to " + unit_ref(*tu, 1) + "\n";
    }
    return out;
}

std::string BinaryTranslation::dot() const {
    auto id = [](const TranslationUnit* tu) { return fmt::format("u{:x}", tu->linear); };
    std::string s =
        "digraph translation_cache {\n  rankdir=TB;\n"
        "  node [shape=box, fontname=\"monospace\", fontsize=10];\n"
        "  edge [fontname=\"Helvetica\", fontsize=9];\n";
    for (const auto* tu : units()) {
        if (tu->callout)
            s += fmt::format(
                "  {} [label=\"{:#x}\\ncallout: {}\\nx{}\", style=filled, "
                "fillcolor=\"#f6c6c6\"];\n",
                id(tu), tu->eip, tu->callout_name, tu->executions);
        else
            s += fmt::format("  {} [label=\"{:#x}\\n{} instructions\\nx{}\"];\n", id(tu), tu->eip,
                             tu->guest.size(), tu->executions);
        for (int k = 0; k < 2; ++k)
            if (tu->link[k])
                s += fmt::format("  {} -> {} [label=\"{} x{}\"];\n", id(tu), id(tu->link[k]),
                                 k == 0 ? "taken" : "next", tu->chained[k]);
    }
    for (const auto& [edge, n] : indirect_edges_)
        s += fmt::format("  {} -> {} [style=dashed, label=\"lookup x{}\"];\n", id(edge.first),
                         id(edge.second), n);
    return s + "}\n";
}

}  // namespace ptv::vmm
