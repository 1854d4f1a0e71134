// Which guest instruction caused an exit. KVM completes some instructions
// before it reports the exit (OUT on recent kernels, MMIO writes, HLT), so
// RIP may already point past the culprit; then we decode backwards for the
// instruction that ends at RIP and could have caused this kind of exit.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "ptv/common/disasm.hpp"
#include "ptv/vnd/exit.hpp"

namespace ptv::vnd {

// `code` holds guest bytes around RIP, the byte at RIP at `rip_offset`.
std::optional<Instruction> causing_instruction(ExitReason reason, bool is_write,
                                               std::span<const uint8_t> code, size_t rip_offset,
                                               uint64_t rip, CpuMode mode);

}  // namespace ptv::vnd
