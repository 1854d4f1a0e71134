// Small multiboot guests made as machine code from a seed: a kernel that
// uses only privileged instructions the VMM must emulate (CLI/STI, IN/OUT
// on the UART, MOV CRn, LGDT/LIDT/LTR, HLT, IRET to ring 3), the way
// tests/vmm's guests are written in NASM, but generated, so the hidden
// tests see guests nobody wrote by hand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::lab::trap {

// What a generated guest does (each part's public cases use one piece).
struct GuestRecipe {
    bool interrupt_flag = true;  // CLI, STI, STI;HLT
    bool port_io = true;         // IN/OUT of 1, 2 and 4 bytes on the UART, OUT imm8
    bool control_registers = true;
    bool own_tables = true;     // LGDT, far JMP, segment loads, LIDT, LTR, INT 0x80 in the kernel
    bool user_mode = true;      // IRET to ring 3, system calls, IOPL 3 then 0, a #GP
    bool popf_ignored = false;  // POPF that the bare machine ignores too (no divergence)
    int ops = 12;               // random operations in the kernel body
};

struct GeneratedGuest {
    std::vector<uint8_t> image;  // a multiboot image loaded at 1 MiB
    std::string description;     // what it does, for the test's input line
};

GeneratedGuest generate_guest(uint64_t seed, const GuestRecipe& recipe);

}  // namespace ptv::lab::trap
