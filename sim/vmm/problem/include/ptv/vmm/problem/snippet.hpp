// The instructions `ptv vmm problem` asks about: each is machine code with
// the few instructions around it that make its effect visible (a setup that
// puts the machine in a state where the instruction matters, a reveal that
// moves what it read into a register), and the assembly a student reads.
// Only the bytes are written here; whether an instruction traps, diverges or
// exits is what the CPU model does with them (problem.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::vmm::problem {

struct Snippet {
    std::string instruction;  // Intel syntax of the instruction asked about
    std::string setup;        // assembly before it ("" if none)
    std::string reveal;       // assembly after it ("" if none)
    std::vector<uint8_t> setup_bytes, instruction_bytes, reveal_bytes;
};

// The catalogue, in a fixed order (a problem names its snippets by index).
const std::vector<Snippet>& snippets();

// One line of assembly for a snippet: "cli ; pushfd ; pop eax".
std::string assembly(const Snippet& s);

// Where the snippets that store to memory store (inside the guest image).
inline constexpr uint32_t kScratch = 0x100800;

}  // namespace ptv::vmm::problem
