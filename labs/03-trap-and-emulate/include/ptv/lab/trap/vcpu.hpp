// The VMM as a trap handler sees it (README.md): the guest kernel runs
// deprivileged in ring 3, so every privileged instruction it executes
// faults (#GP) into the VMM, which decodes it and calls one of your
// handlers (handlers.hpp). A handler emulates the instruction against the
// *virtual* CPU, the registers the guest kernel believes it has, and
// resumes the guest after it (Popek & Goldberg 1974: the VMM's
// "interpreter" routines, one per privileged instruction).
//
// This header is all a handler may use; the kit's CPU model stays behind
// it. Instruction set names and rules: Intel SDM vol. 2 (the instruction's
// page) and vol. 3 (ch. 2.8 system instructions, 5 protection, 6 events).
#pragma once

#include <cstdint>
#include <string>

namespace ptv::lab::trap {

// General registers as the SDM numbers them (ModRM order). With a 1-byte
// size, 4-7 are AH, CH, DH, BH.
enum Gpr : uint8_t { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
enum class Sreg : uint8_t { ES, CS, SS, DS, FS, GS };

namespace eflags {
constexpr uint32_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
                   TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11, IOPL = 3u << 12,
                   NT = 1u << 14, RF = 1u << 16, AC = 1u << 18, ID = 1u << 21;
constexpr unsigned kIoplShift = 12;
}  // namespace eflags

// Exception vectors (SDM vol. 3, table 6-1).
namespace vector {
constexpr uint8_t UD = 6, TS = 10, NP = 11, SS = 12, GP = 13;
}

// CR0 bits the model knows (SDM vol. 3, 2.5).
namespace cr0 {
constexpr uint32_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4,
                   NE = 1u << 5, WP = 1u << 16, AM = 1u << 18, PG = 1u << 31;
}

// The trapped instruction, as the VMM decoded it.
// Part 1: CLI, STI, HLT, IN, OUT. Part 2: MOV CRn, r32 (MovToCr), MOV r32,
// CRn (MovFromCr), LGDT, LIDT, LTR. Part 3: IRET. Part 4: POPF, which
// never traps (check_popf in handlers.hpp).
enum class Mnemonic : uint8_t {
    Cli,
    Sti,
    Hlt,
    In,
    Out,
    MovToCr,
    MovFromCr,
    Lgdt,
    Lidt,
    Ltr,
    Iret,
    Popf
};

struct Operand {
    enum class Kind : uint8_t { None, Register, ControlRegister, Immediate, Memory };
    Kind kind = Kind::None;
    uint8_t size = 0;      // bytes the instruction reads or writes: 1, 2 or 4
    uint8_t reg = 0;       // Register: a Gpr (of `size` bytes); ControlRegister: n of CRn
    uint32_t value = 0;    // Immediate
    uint32_t address = 0;  // Memory: the guest linear address (segment base + offset)
};

struct Instruction {
    Mnemonic mnemonic{};
    uint32_t eip = 0;          // where it is (the guest's EIP, segments are flat)
    uint8_t length = 0;        // bytes
    uint8_t operand_size = 4;  // 2 or 4 (IRET: the size of each stack slot)
    Operand op[2];             // Intel order: destination first
    std::string text;          // Intel syntax, for messages ("out dx, al")
};

struct TableRegister {
    uint32_t base = 0;
    uint16_t limit = 0;
};

// The task register (and its hidden part, loaded from the descriptor).
struct TaskRegister {
    uint16_t selector = 0;
    uint32_t base = 0, limit = 0;
    uint8_t access = 0;  // the descriptor's byte 5 (type, S, DPL, P)
};

// What the guest kernel believes about the processor. The real processor
// holds the VMM's values meanwhile: ring 3, IF=1, IOPL 0, the VMM's GDT and
// IDT, CR0 with paging on.
struct VirtualRegisters {
    uint8_t cpl = 0;      // the ring the guest believes it runs in
    uint32_t eflags = 0;  // only IF and IOPL are kept here; other bits are 0
    TableRegister gdtr, idtr;
    TaskRegister tr;
    uint32_t cr0 = 0, cr2 = 0, cr3 = 0, cr4 = 0;
};

// The guest's processor and machine, for a handler.
class Vcpu {
  public:
    // The virtual CPU (change it in place).
    virtual VirtualRegisters& virt() = 0;

    // General registers: the guest's own, on the real processor.
    virtual uint32_t reg(uint8_t gpr, uint8_t size = 4) const = 0;
    virtual void set_reg(uint8_t gpr, uint32_t value, uint8_t size = 4) = 0;

    // Guest memory at a guest linear address (1, 2 or 4 bytes, little-endian).
    virtual uint32_t read(uint32_t linear, uint8_t size) = 0;
    virtual void write(uint32_t linear, uint8_t size, uint32_t value) = 0;
    // Pops `size` bytes from the guest's stack (SS:ESP), as the processor does.
    virtual uint32_t pop(uint8_t size) = 0;

    // Port I/O on the guest's devices, through the same dispatcher the bare
    // machine's IN and OUT reach (size 1, 2 or 4 bytes).
    virtual uint32_t port_in(uint16_t port, uint8_t size) = 0;
    virtual void port_out(uint16_t port, uint8_t size, uint32_t value) = 0;

    // Loads a segment register for the guest from its GDT (the descriptor
    // cache, and for SS and data segments the accessed bit in the guest's
    // table, as the model's processor does). Checks only that the descriptor is inside the GDT and
    // present (else the guest gets the fault): the privilege rules are yours. CS and SS take the
    // RPL of `selector` as the ring they run in.
    virtual void load_segment(Sreg reg, uint16_t selector) = 0;

    // The instruction is done: EIP moves past it and it counts as executed.
    virtual void retire(const Instruction& insn) = 0;
    // The same for a control transfer: the guest goes on at `eip`.
    virtual void retire_to(const Instruction& insn, uint32_t eip) = 0;
    // The bare machine would fault here: the guest's own handler gets the
    // exception, through the guest's IDT, with EIP at the instruction.
    // Do not retire it.
    virtual void raise(uint8_t vector, uint32_t error_code = 0) = 0;
    // The guest executed HLT (retire it first: the processor stops with EIP
    // past it). With the virtual IF clear the guest has stopped for good.
    virtual void halt() = 0;

    // Part 4: the guest saw something the bare machine would not have
    // shown it. The VMM's report names the instruction and its EIP.
    virtual void report_divergence(const Instruction& insn, const std::string& what) = 0;

    // The real processor's registers: the VMM's, not the guest's. EFLAGS
    // holds the guest's arithmetic flags (CF ... OF, DF, AC) but IF and
    // IOPL of the VMM; CR0 is the host's.
    virtual uint32_t real_eflags() const = 0;
    virtual void set_real_eflags(uint32_t value) = 0;
    virtual uint32_t real_cr0() const = 0;

  protected:
    ~Vcpu() = default;
};

}  // namespace ptv::lab::trap
