// A decoded guest instruction in the form the interpreter executes: the
// mnemonic (Zydis's) and up to three operands reduced to what execution
// needs. Decoding happens once per instruction address; the decode cache
// (decoder.hpp) hands the same object out until the guest writes its bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace ptv::vmm {

struct Operand {
    enum class Kind : uint8_t { None, Reg, Mem, Imm, Ptr };
    enum class RegClass : uint8_t { Gpr, Gpr8High, Sreg, Cr, Other };
    Kind kind = Kind::None;
    uint8_t size = 0;  // bytes
    // Reg: the register; a Gpr8High is AH/CH/DH/BH (index 0..3 of EAX..EBX).
    RegClass reg_class = RegClass::Gpr;
    uint8_t reg = 0;
    // Mem: seg:[base + index * scale + disp] (0xff: no base / no index).
    uint8_t seg = 0;
    uint8_t base = 0xff, index = 0xff, scale = 0;
    int32_t disp = 0;
    // Imm (sign-extended to the operand size as Zydis says); Ptr: seg:offset.
    uint32_t imm = 0;
    uint16_t ptr_segment = 0;
};

struct DecodedInstruction {
    uint16_t mnemonic = 0;  // ZydisMnemonic
    uint8_t length = 0;
    uint8_t operand_count = 0;  // visible operands
    uint8_t operand_size = 4;   // effective operand size, bytes
    uint8_t address_size = 4;
    bool rep = false, repne = false;
    uint8_t segment_override = 0xff;  // string instructions' source segment
    // Classes the techniques ask about (set by the decoder, SDM vol. 3 and
    // Robin & Irvine 2000): privileged = #GP unless CPL 0; io = IN/OUT/INS/
    // OUTS, checked against IOPL; sensitive = reads or writes state that
    // belongs to the VMM but does not trap at CPL 3.
    bool privileged = false, io = false, sensitive = false;
    // Any of those, or CLI/STI (IOPL-sensitive) or CPUID: what a VMM may intercept.
    bool system = false;
    bool far = false;         // far JMP/CALL/RET
    bool ends_block = false;  // control transfer (for binary translation)
    std::array<Operand, 3> op{};
    std::array<uint8_t, 15> bytes{};
};

}  // namespace ptv::vmm
