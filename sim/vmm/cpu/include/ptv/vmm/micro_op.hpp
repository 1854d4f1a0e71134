// The pre-decoded form the CPU model executes translated code in (binary
// translation, sim/vmm/techniques/binary_translation.*): one MicroOp per
// guest instruction, with a handler chosen for the instruction's form when
// it is translated ("add r32, imm" gets its own handler, with the register
// and immediate already extracted), so executing it costs an indirect call
// and a few loads instead of a decode-cache probe, a switch on the mnemonic
// and generic operand access. Instructions without a specialised handler
// keep their DecodedInstruction and run through the interpreter's own
// semantics, so both paths compute the same thing by construction.
#pragma once

#include <array>
#include <cstdint>

#include "ptv/vmm/decoded_instruction.hpp"

namespace ptv::vmm {

class Cpu;
struct MicroOp;
using OpHandler = void (*)(Cpu&, const MicroOp&);

struct MicroOp {
    OpHandler fn = nullptr;
    uint8_t dst = 0, src = 0;  // general registers
    uint8_t size = 4;          // operand size, bytes
    uint8_t cc = 0;            // condition code of a conditional branch
    // A memory operand: seg:[base + index * scale + disp] (0xff: none).
    uint8_t seg = 0xff, base = 0xff, index = 0xff, scale = 0;
    int32_t disp = 0;
    uint32_t imm = 0;
    uint32_t eip = 0;     // the guest instruction's EIP
    uint32_t next = 0;    // EIP of the instruction after it
    uint32_t target = 0;  // a direct branch's target EIP
    const DecodedInstruction* insn = nullptr;
    bool generic = false;     // runs through the interpreter's semantics
    bool terminator = false;  // a control transfer: the block's last op
};

// How a translated block was left.
struct BlockExit {
    enum class Kind : uint8_t {
        Successor,  // through successor 0 or 1 (known at translation time)
        Indirect,   // to an address computed at run time (RET, JMP r/m): lookup()
        Break,      // stopped early: code was written, a stop was asked, or a fault
    };
    Kind kind = Kind::Successor;
    uint8_t successor = 0;
    bool faulted = false;    // an exception was delivered (a step of its own)
    uint32_t completed = 0;  // guest instructions retired in the last block
    uint64_t total = 0;      // ... in all the blocks run (run_chained)
};

// A translated block as the CPU runs it: its ops (followed by one
// end_of_block() op, not counted),  and the blocks its
// successors are chained to (patched in by the translator), so that the
// CPU goes from block to block without returning to the translator, as
// translated code jumps from one translation to the next in a real TC.
struct TranslatedBlock {
    const MicroOp* ops = nullptr;
    uint32_t count = 0;
    std::array<TranslatedBlock*, 2> chain{};  // successor 0: branch target; 1: fall-through
    // The CPU's count of writes into code lines when the translator last
    // found this block current: the CPU follows a chain to it only if no
    // code was written since (else the translator checks it again).
    uint64_t checked_at = 0;
    // Counted as it runs: entries, transfers through each chain, and runs
    // to the end.
    uint64_t executions = 0, completed = 0;
    std::array<uint64_t, 2> chained{};
};

// Chooses the handler for `insn` at `eip` (the translation of one
// instruction into the pre-decoded form). `insn` must outlive the op.
MicroOp lower(const DecodedInstruction& insn, uint32_t eip);
// The op after a block's last one: each op calls the next (threaded code),
// and this one returns.
MicroOp end_of_block();

}  // namespace ptv::vmm
