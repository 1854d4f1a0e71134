#include "ptv/common/disasm.hpp"

#include <Zydis/Zydis.h>

namespace ptv {

namespace {

struct Decoded {
    ZydisDecodedInstruction insn;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

ZydisMachineMode machine_mode(CpuMode mode) {
    switch (mode) {
        case CpuMode::Real16:
            return ZYDIS_MACHINE_MODE_REAL_16;
        case CpuMode::Long64:
            return ZYDIS_MACHINE_MODE_LONG_64;
        default:
            return ZYDIS_MACHINE_MODE_LEGACY_32;
    }
}

std::optional<Decoded> decode(std::span<const uint8_t> code, CpuMode mode) {
    ZydisDecoder decoder;
    const ZydisStackWidth width = mode == CpuMode::Long64   ? ZYDIS_STACK_WIDTH_64
                                  : mode == CpuMode::Real16 ? ZYDIS_STACK_WIDTH_16
                                                            : ZYDIS_STACK_WIDTH_32;
    if (!ZYAN_SUCCESS(ZydisDecoderInit(&decoder, machine_mode(mode), width))) return std::nullopt;
    Decoded d;
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code.data(), code.size(), &d.insn, d.ops)))
        return std::nullopt;
    return d;
}

Instruction format(const Decoded& d, uint64_t address) {
    ZydisFormatter formatter;
    ZydisFormatterInit(&formatter, ZYDIS_FORMATTER_STYLE_INTEL);
    char buf[256];
    ZydisFormatterFormatInstruction(&formatter, &d.insn, d.ops, d.insn.operand_count_visible, buf,
                                    sizeof buf, address, nullptr);
    const auto m = d.insn.mnemonic;
    Instruction out{buf, address, d.insn.length, false, false, false, false};
    out.is_undefined =
        m == ZYDIS_MNEMONIC_UD0 || m == ZYDIS_MNEMONIC_UD1 || m == ZYDIS_MNEMONIC_UD2;
    out.port_io = m == ZYDIS_MNEMONIC_IN || m == ZYDIS_MNEMONIC_OUT || m == ZYDIS_MNEMONIC_INSB ||
                  m == ZYDIS_MNEMONIC_INSW || m == ZYDIS_MNEMONIC_INSD ||
                  m == ZYDIS_MNEMONIC_OUTSB || m == ZYDIS_MNEMONIC_OUTSW ||
                  m == ZYDIS_MNEMONIC_OUTSD;
    for (uint8_t i = 0; i < d.insn.operand_count; ++i) {
        if (d.ops[i].type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
        if (d.ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_READ) out.reads_memory = true;
        if (d.ops[i].actions & ZYDIS_OPERAND_ACTION_MASK_WRITE) out.writes_memory = true;
    }
    return out;
}

}  // namespace

std::optional<Instruction> disassemble(std::span<const uint8_t> code, uint64_t address,
                                       CpuMode mode) {
    auto d = decode(code, mode);
    if (!d) return std::nullopt;
    return format(*d, address);
}

std::optional<Instruction> disassemble_ending_at(std::span<const uint8_t> code, size_t end,
                                                 uint64_t end_address, CpuMode mode,
                                                 bool (*accept)(const Instruction&)) {
    for (size_t k = std::min<size_t>(15, end); k >= 1; --k) {
        auto d = decode(code.subspan(end - k, k), mode);
        if (!d || d->insn.length != k) continue;
        Instruction insn = format(*d, end_address - k);
        if (accept(insn)) return insn;
    }
    return std::nullopt;
}

}  // namespace ptv
