// Lab 04: binary translation, as VMware's VMM did it before VT-x (Adams &
// Agesen, "A Comparison of Software and Hardware Techniques for x86
// Virtualization", ASPLOS 2006, section 3). The kit's translator cuts the
// guest kernel's code into translation units (a basic block, at most 12
// instructions, a callout on its own) and runs them from its translation
// cache; the student makes its three decisions (translator.cpp):
//
//   classify()    how each guest instruction is translated;
//   chain()       whether the exit a unit was just left through jumps
//                 straight to the unit found for it from now on;
//   invalidate()  which units a guest write into code makes stale.
//
// This header is the whole API: a view of the decoded instruction, of a
// unit and its exits, and of the cache's units overlapping an address range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ptv::vmm {
struct DecodedInstruction;
struct TranslationUnit;
class TranslationCache;
}  // namespace ptv::vmm

namespace ptv::lab::bt {

// How one guest instruction is translated (the paper's three kinds):
//   Identity  copied unchanged: it runs on the real processor, in the
//             deprivileged guest kernel (ring 1);
//   Inline    rewritten into a few instructions in the translation cache:
//             near control transfers (to stay inside the cache), and reads
//             of state the VMM virtualises (SGDT, SMSW, MOV r/m, CS, ...),
//             which then read the virtual CPU;
//   Callout   a call into the VMM, which emulates it on the virtual CPU.
enum class Translation : uint8_t { Identity, Inline, Callout };

enum class OperandKind : uint8_t {
    None,
    Register,         // a general register
    SegmentRegister,  // CS, DS, ES, FS, GS, SS
    ControlRegister,  // CR0, CR2, CR3, CR4
    Memory,
    Immediate,
    FarPointer,  // seg:offset
};

// A decoded guest instruction.
class Instruction {
  public:
    explicit Instruction(const vmm::DecodedInstruction& insn) : insn_(&insn) {}
    // Intel mnemonic, lower case: "mov", "popfd", "jmp", "sgdt".
    std::string mnemonic() const;
    int operand_count() const;
    OperandKind operand(int i) const;  // i < operand_count(); the destination first
    // #GP unless CPL 0 (HLT, LGDT, LIDT, MOV to or from CRn, INVLPG, ...).
    bool privileged() const;
    // Port I/O: IN, OUT, INS, OUTS (#GP when CPL > IOPL).
    bool io() const;
    // Sensitive but unprivileged on IA-32 (Robin & Irvine 2000): PUSHF,
    // POPF, SGDT, SIDT, SLDT, STR, SMSW, LAR, LSL, VERR, VERW, PUSH/POP and
    // MOV of a segment register, INT n, IRET, far JMP/CALL/RET.
    bool sensitive() const;
    bool far() const;  // a far JMP, CALL or RET
    // A control transfer: JMP, Jcc, CALL, RET, LOOP, INT, IRET, HLT, ...:
    // the last instruction of its unit.
    bool control_transfer() const;

  private:
    const vmm::DecodedInstruction* insn_;
};

// A translation unit in the cache.
class Unit {
  public:
    explicit Unit(vmm::TranslationUnit& unit) : unit_(&unit) {}
    uint32_t eip() const;     // guest EIP of its first instruction
    uint32_t linear() const;  // guest linear address of its first byte
    uint32_t bytes() const;   // guest code bytes: [linear(), linear() + bytes())
    // Its successors known at translation time: slot 0 a direct branch's
    // target, slot 1 the fall-through (the instruction after the unit).
    bool has_successor(int slot) const;
    uint32_t successor(int slot) const;  // an EIP
    // Chaining: exit `slot` of this unit goes straight to `to` from now on,
    // without lookup() (the patched jump of a real translation cache).
    void chain(int slot, Unit to);
    // Invalidation: translate this unit again before it next runs.
    void invalidate();
    bool operator==(const Unit& o) const { return unit_ == o.unit_; }

  private:
    vmm::TranslationUnit* unit_;
};

// The exit a unit was left through: its slot (0: the branch target, 1: the
// fall-through), and whether its target was computed at run time (RET,
// JMP r/m, CALL r/m; slot 0) rather than known at translation time.
struct Exit {
    int slot = 0;
    bool indirect = false;
};

// A guest write into code: the linear bytes [first, last] were written.
struct CodeWrite {
    uint32_t first = 0, last = 0;
};

// The translation cache, as invalidation sees it.
class Cache {
  public:
    explicit Cache(vmm::TranslationCache& cache) : cache_(&cache) {}
    // The units whose guest code overlaps [first, last] (inclusive).
    std::vector<Unit> units_overlapping(uint32_t first, uint32_t last) const;

  private:
    vmm::TranslationCache* cache_;
};

// --- What the student writes (translator.cpp) ---

// Part 1: how `insn` is translated.
Translation classify(const Instruction& insn);
// Part 2: control left `from` through `exit` and arrived at `to`, which
// lookup() found (or translated) for the address it went to.
void chain(Unit from, Exit exit, Unit to);
// Part 3: the guest wrote `write` into code the cache holds translations of.
void invalidate(Cache& cache, CodeWrite write);

}  // namespace ptv::lab::bt
