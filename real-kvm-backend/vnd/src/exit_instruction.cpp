#include "ptv/vnd/exit_instruction.hpp"

namespace ptv::vnd {

std::optional<Instruction> causing_instruction(ExitReason reason, bool is_write,
                                               std::span<const uint8_t> code, size_t rip_offset,
                                               uint64_t rip, CpuMode mode) {
    bool (*could_cause)(const Instruction&) = nullptr;
    if (reason == ExitReason::PortIo)
        could_cause = [](const Instruction& i) { return i.port_io; };
    else if (reason == ExitReason::Mmio && is_write)
        could_cause = [](const Instruction& i) { return i.writes_memory; };
    else if (reason == ExitReason::Mmio)
        could_cause = [](const Instruction& i) { return i.reads_memory; };
    else if (reason == ExitReason::Hlt)
        could_cause = [](const Instruction& i) { return i.text == "hlt"; };
    if (rip_offset > code.size()) return std::nullopt;
    auto at = disassemble(code.subspan(rip_offset), rip, mode);
    if (!could_cause || (at && could_cause(*at))) return at;
    return disassemble_ending_at(code, rip_offset, rip, mode, could_cause);
}

}  // namespace ptv::vnd
