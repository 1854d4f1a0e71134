#include "ptv/vnd/guest_code.hpp"

#include <algorithm>
#include <cstring>

namespace ptv::vnd {

void capture_code(Exit& exit, std::span<const uint8_t> ram, uint64_t rip_phys, uint64_t rip,
                  CpuMode mode) {
    exit.rip = rip;
    exit.cpu_mode = uint8_t(mode);
    if (rip_phys >= ram.size()) return;
    const uint64_t before = std::min(rip_phys, kCodeWindow);
    const uint64_t begin = rip_phys - before;
    const uint64_t end = std::min<uint64_t>(ram.size(), rip_phys + kCodeWindow);
    exit.code_len = uint8_t(end - begin);
    exit.code_rip_offset = uint8_t(before);
    std::memcpy(exit.code.data(), ram.data() + begin, exit.code_len);
    exit.has_code = true;
}

std::optional<Instruction> instruction_at_rip(const Exit& exit) {
    if (!exit.has_code) return std::nullopt;
    const std::span<const uint8_t> code{exit.code.data(), exit.code_len};
    return disassemble(code.subspan(exit.code_rip_offset), exit.rip, CpuMode(exit.cpu_mode));
}

}  // namespace ptv::vnd
