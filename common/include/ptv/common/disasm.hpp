// x86 disassembly for traces and messages, through Zydis (Intel syntax).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace ptv {

enum class CpuMode : uint8_t { Real16, Protected32, Long64 };

struct Instruction {
    std::string text;  // "out dx, al"
    uint8_t length;
    bool is_undefined;  // ud0/ud1/ud2: defined to raise #UD
};

// Decodes the instruction at the start of `code`, which the guest sees at
// `address`. nullopt when the bytes are not a valid instruction.
std::optional<Instruction> disassemble(std::span<const uint8_t> code, uint64_t address,
                                       CpuMode mode);

// The instruction that ends exactly at code[end] (for exits KVM reports
// after completing the instruction, such as MMIO writes): the longest
// decoding of code[end-k, end) for k = 1..15 that is one instruction of
// length k and writes memory. nullopt when no candidate fits.
std::optional<Instruction> disassemble_ending_at(std::span<const uint8_t> code, size_t end,
                                                 uint64_t end_address, CpuMode mode);

}  // namespace ptv
