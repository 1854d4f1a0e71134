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
    uint64_t address;  // where the guest sees it
    uint8_t length;
    bool is_undefined;  // ud0/ud1/ud2: defined to raise #UD
    bool port_io;       // in, out, ins, outs
    bool reads_memory;
    bool writes_memory;
};

// Decodes the instruction at the start of `code`, which the guest sees at
// `address`. nullopt when the bytes are not a valid instruction.
std::optional<Instruction> disassemble(std::span<const uint8_t> code, uint64_t address,
                                       CpuMode mode);

// The instruction that ends exactly at code[end], for exits that KVM
// reports after completing the instruction (RIP already points past it): the
// longest decoding of code[end-k, end), k = 1..15, that is one instruction of
// length k and that `accept` agrees could have caused the exit. nullopt when
// no candidate fits.
std::optional<Instruction> disassemble_ending_at(std::span<const uint8_t> code, size_t end,
                                                 uint64_t end_address, CpuMode mode,
                                                 bool (*accept)(const Instruction&));

}  // namespace ptv
