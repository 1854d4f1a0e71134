// The guest bytes around RIP: the one reader of them, for the trace's
// instruction column and for the exit policy's messages. Each substrate
// finds where RIP is in guest-physical memory (the worker through KVM's
// registers and page tables, the CPU model from its own state) and hands
// its RAM here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "ptv/common/disasm.hpp"
#include "ptv/vnd/exit.hpp"

namespace ptv::vnd {

// Bytes kept on each side of RIP: an instruction is at most 15 bytes, and
// one that KVM completed before it reported the exit lies before RIP.
inline constexpr uint64_t kCodeWindow = 16;

// Fills exit.rip, cpu_mode and code from `ram`, where RIP's byte is at
// guest-physical `rip_phys`; leaves has_code false if that is outside RAM.
void capture_code(Exit& exit, std::span<const uint8_t> ram, uint64_t rip_phys, uint64_t rip,
                  CpuMode mode);

// The instruction that starts at RIP, from the captured code; nullopt when
// the bytes there are no instruction (or no code was captured).
std::optional<Instruction> instruction_at_rip(const Exit& exit);

}  // namespace ptv::vnd
