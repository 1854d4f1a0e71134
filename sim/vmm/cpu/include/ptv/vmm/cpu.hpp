// The CPU model: an interpreter for x86-32 protected mode (the instruction
// subset in sim/vmm/README.md), with CPL 0 and 3, EFLAGS.IF and IOPL, GDT
// and IDT, exceptions and external interrupts. It knows nothing of
// virtualization: a Platform (the bare machine, or a VMM) plugs into it,
// receives its port I/O and MMIO, and may take exceptions, intercept
// instructions and watch sensitive ones. Each technique of sim/vmm is such a
// Platform; that is the whole difference between them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <vector>
#include "ptv/common/outcome.hpp"

#include "ptv/vmm/decoded_instruction.hpp"
#include "ptv/vmm/decoder.hpp"
#include "ptv/vmm/micro_op.hpp"
#include "ptv/vmm/state.hpp"

namespace ptv::vmm {

// Exception vectors (SDM vol. 3, table 6-1).
namespace vec {
constexpr uint8_t DE = 0, DB = 1, BP = 3, OF = 4, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11, SS = 12,
                  GP = 13, PF = 14;
}

// An event that transfers control through the IDT: an exception, INT n or
// an external interrupt.
struct Event {
    enum class Kind : uint8_t { Exception, SoftwareInterrupt, External };
    Kind kind = Kind::Exception;
    uint8_t vector = 0;
    bool has_error = false;
    uint32_t error = 0;
    uint32_t eip = 0;         // of the instruction that caused it
    uint32_t return_eip = 0;  // what the handler's frame returns to
};

// Thrown inside an instruction; the CPU turns it into an Event.
struct CpuFault {
    uint8_t vector;
    bool has_error = false;
    uint32_t error = 0;
};

// Why run() returned, as an outcome of the kit's one table (common/
// outcome.hpp): the CPU's own reasons (InstructionBudget, Unsupported-
// Instruction, TripleFault, InvalidOpcode when the first fault was #UD) or
// what the platform decided (Halted, GuestExit, BusError, ...).
struct Stop {
    Outcome outcome = Outcome::Halted;
    uint32_t eip = 0;
    std::string detail;
};

class Cpu;

class Platform {
  public:
    virtual ~Platform() = default;
    virtual uint32_t port_in(Cpu& cpu, uint16_t port, uint8_t size) = 0;
    virtual void port_out(Cpu& cpu, uint16_t port, uint8_t size, uint32_t value) = 0;
    // Accesses outside RAM (and outside the VMM area).
    virtual uint32_t mmio_read(Cpu& cpu, uint32_t address, uint8_t size) = 0;
    virtual void mmio_write(Cpu& cpu, uint32_t address, uint8_t size, uint32_t value) = 0;

    // Called before a system instruction (privileged, I/O, sensitive, HLT,
    // CLI/STI, CPUID) executes, when wants_intercepts() is true. Return true
    // if the platform carried it out (and moved EIP on) itself: a VM exit.
    virtual bool intercept(Cpu&, const DecodedInstruction&) { return false; }
    // An exception or interrupt is about to go through the IDT. Return true
    // if the platform handled it instead (a trap into the VMM).
    virtual bool on_event(Cpu&, const Event&) { return false; }
    // HLT executed with no interrupt pending to wake it (EIP past the HLT):
    // the platform decides what it means, and calls cpu.request_stop() to
    // end the run. The virtualization techniques ask the exit policy, as
    // the KVM worker does (vnd/exit_policy.hpp).
    virtual void on_hlt(Cpu& cpu) = 0;
    // The processor set the accessed bit of a descriptor it loaded (at
    // linear address `at`); a VMM with shadow tables copies it back.
    virtual void descriptor_accessed(Cpu&, uint32_t /*at*/) {}
    // After a sensitive instruction executed (when watch_sensitive()).
    virtual void after_sensitive(Cpu&, const DecodedInstruction&, const CpuState& /*before*/) {}
    // The CPU's timer ran out (Cpu::set_timer): the machine's periodic work
    // on the model's time, between two instructions. It is one-shot: the
    // platform sets the next one.
    virtual void timer(Cpu&) {}

    bool wants_intercepts = false;
    bool watch_sensitive = false;
};

struct CpuCounters {
    uint64_t instructions = 0;
    uint64_t decodes = 0;
    uint64_t exceptions = 0;
    uint64_t interrupts = 0;
};

class Cpu {
  public:
    // `ram` is guest-physical memory from address 0.
    Cpu(std::span<uint8_t> ram, Platform& platform);

    CpuState& state() { return s_; }
    const CpuState& state() const { return s_; }
    std::span<uint8_t> ram() { return ram_; }
    const CpuCounters& counters() const { return counters_; }
    uint64_t decode_cache_invalidations() const { return cache_.invalidations(); }
    // EFLAGS bits whose value is undefined after the last instruction that
    // wrote them (SDM: "undefined"): comparisons with hardware mask them.
    uint32_t undefined_flags() const { return undefined_; }

    // A platform that completed an intercepted instruction itself counts it.
    void retire() { ++counters_.instructions; }

    // Runs until a Stop; `budget` instructions at most (0: no limit).
    Stop run(uint64_t budget);
    // One instruction (or one event delivery). Returns a Stop when stopped.
    std::optional<Stop> step();
    // The platform ends the run after the current instruction.
    // Ends the run with `outcome` once the current instruction is done; the
    // first request wins.
    void request_stop(std::string detail, Outcome outcome);

    // A timer on the model's time, which is retired instructions: once
    // `at` instructions have retired, the platform's timer() runs before
    // the next one in run(); in translated code (run_chained(), and a
    // translator's loop that calls poll_timer()) at the next block
    // boundary, where interrupts are taken too.
    void set_timer(uint64_t at) { timer_at_ = at; }
    uint64_t until_timer() const {
        return timer_at_ > counters_.instructions ? timer_at_ - counters_.instructions : 0;
    }
    void poll_timer() {
        if (counters_.instructions >= timer_at_) [[unlikely]] {
            timer_at_ = kNoTimer;
            platform_.timer(*this);
        }
    }

    // An external interrupt line: delivered before the next instruction
    // when EFLAGS.IF is set (SDM vol. 3, 6.8.1).
    void raise_interrupt(uint8_t vector) { pending_irq_ = vector; }

    // A private region for the platform's own tables (a VMM's shadow GDT),
    // mapped at `base` and invisible in RAM (VMware kept its VMM in the top
    // 4 MiB of the guest's address space).
    void map_private(uint32_t base, size_t size);
    std::span<uint8_t> private_area() { return private_; }
    uint32_t private_base() const { return private_base_; }

    // Memory and operand access, also used by VMMs emulating an instruction.
    uint32_t read_linear(uint32_t linear, uint8_t size);
    void write_linear(uint32_t linear, uint8_t size, uint32_t value);
    uint32_t effective_address(const Operand& o) const;
    uint32_t linear_address(const Operand& o) const;
    uint32_t read_operand(const DecodedInstruction& insn, const Operand& o);
    void write_operand(const DecodedInstruction& insn, const Operand& o, uint32_t value);
    uint32_t reg(uint8_t index, uint8_t size) const;
    void set_reg(uint8_t index, uint8_t size, uint32_t value);
    void push(uint32_t value, uint8_t size = 4);
    uint32_t pop(uint8_t size = 4);

    // Segment loading with the protected-mode checks (SDM vol. 3, 5.8): used
    // by MOV/POP sreg, far transfers, IRET and event delivery.
    void load_segment(Sreg reg, uint16_t selector);
    // Reads a descriptor from the GDT/LDT; throws #GP(selector) if outside.
    uint64_t read_descriptor(uint16_t selector);
    // Delivers an event through the IDT (SDM vol. 3, 6.12), as the hardware
    // would; platforms that emulate delivery for their guests call it too.
    void deliver(const Event& e);
    // Delivers through the IDT with the hardware's nesting rules (a fault
    // while delivering becomes #DF, a fault while delivering #DF a triple
    // fault), without asking the platform: for VMMs reflecting an event
    // into their guest.
    void deliver_with_nesting(Event e);

    // Binary translation (micro_op.hpp): runs a translated block's ops, the
    // CPU model executing pre-decoded code, and the blocks chained after it,
    // until a transfer that is not chained, an early exit, or `budget`
    // instructions (0: none). `block` is left at the last block run. Faults
    // are delivered as the interpreter delivers them; interrupts wait for
    // the end.
    BlockExit run_chained(TranslatedBlock*& block, uint64_t budget);
    // For a run loop of the platform's own (binary translation).
    bool stopped() const { return stop_.has_value(); }
    // The translator's answers to lookup(), kept where run_chained() finds
    // them: an indirect jump or a return to a block found here goes on in
    // translated code (the TC's hash table, probed by translated code).
    void remember_block(uint32_t linear, TranslatedBlock* block);
    uint64_t indirect_hits() const { return bt_indirect_hits_; }
    // Makes the lazy flags of translated code real in EFLAGS (for a reader
    // of state() between runs, such as a test).
    void settle_flags() { materialize_flags(); }
    Stop take_stop();
    bool interrupt_deliverable() const { return pending_irq_ && s_.interrupts_enabled(); }
    uint32_t code_generation(uint32_t linear) const { return cache_.generation(linear); }
    // For a translator that invalidates by the bytes written: watch the
    // code lines of [first, last], and take the bytes written into code
    // lines since the last call (DecodeCache::watch, take_written).
    void watch_code(uint32_t first, uint32_t last) { cache_.watch(first, last); }
    std::optional<std::pair<uint32_t, uint32_t>> take_code_written() {
        return cache_.take_written();
    }

    // Text for messages: bytes and Intel syntax of the instruction at `eip`.
    std::string describe(uint32_t eip);
    const Decoder& decoder() const { return decoder_; }
    // Decodes (through the cache) the instruction at linear address `eip`.
    const DecodedInstruction* fetch(uint32_t eip);

  private:
    friend struct MicroOps;  // micro_ops.cpp: the handlers of translated code
    // Flags of the last flag-writing translated instruction, computed only
    // when something reads them (QEMU's and Bochs's "lazy flags"): inside
    // run_chained() and between its calls; whatever else reads EFLAGS (the
    // interpreter's step, an event, the end of a run) materialises them first.
    struct LazyFlags {
        enum Kind : uint8_t { None, Add, Sub, Logic, Inc, Dec, Shift, Imul } kind = None;
        uint8_t size = 4;
        uint16_t mnemonic = 0;  // Shift: which one
        uint32_t a = 0, b = 0, result = 0;
        // Flags written eagerly on top of the lazy ones (ROL/ROR write only
        // CF and OF): applied after them.
        uint32_t over_mask = 0, over_bits = 0, over_undefined = 0;
    };
    uint32_t lazy_carry() const;  // CF as the lazy flags have it (2: in EFLAGS)
    void materialize_flags();
    bool lazy_condition(uint8_t cc);

    void step_one();  // step() without copying the Stop out: run()'s hot path
    void execute(const DecodedInstruction& insn);
    bool execute_system(const DecodedInstruction& insn);  // system.cpp
    bool execute_string(const DecodedInstruction& insn);  // strings.cpp
    void event(Event e);
    void do_iret(const DecodedInstruction& insn);
    void far_transfer(uint16_t selector, uint32_t offset, bool is_call, uint8_t size);
    void far_return(uint8_t size, uint16_t pop_bytes);
    bool condition(uint8_t cc) const;
    void set_flags(uint32_t value, uint32_t mask, uint32_t undefined);

    CpuState s_;
    std::span<uint8_t> ram_;
    Platform& platform_;
    Decoder decoder_;
    DecodeCache cache_;
    CpuCounters counters_;
    uint32_t undefined_ = 0;
    int fault_depth_ = 0;         // > 0: delivering an event
    uint8_t first_fault_ = 0xff;  // the vector that started a fault chain
    std::optional<uint8_t> pending_irq_;
    std::optional<Stop> stop_;
    std::vector<uint8_t> private_;
    uint32_t private_base_ = 0;
    DecodedInstruction scratch_;  // uncached decode (code outside RAM)
    LazyFlags lazy_;
    bool bt_break_ = false;           // leave the translated block after this op
    uint32_t bt_esp_ = 0;             // ESP before a generic op, for its faults
    const MicroOp* bt_op_ = nullptr;  // the op that left the block (or faulted)
    struct BlockTarget {
        uint32_t linear = 0;
        TranslatedBlock* block = nullptr;
    };
    static constexpr size_t kBlockTargets = 4096;
    std::vector<BlockTarget> bt_targets_;
    uint64_t bt_indirect_hits_ = 0;
    BlockExit bt_exit_;
    // Last, so the members the translated code's handlers use keep their
    // places (and their short encodings) in the object.
    static constexpr uint64_t kNoTimer = ~uint64_t(0);
    uint64_t timer_at_ = kNoTimer;
};

}  // namespace ptv::vmm
