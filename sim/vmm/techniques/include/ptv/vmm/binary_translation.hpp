// Binary translation, as VMware's software VMM did it before VT-x (Adams &
// Agesen, "A Comparison of Software and Hardware Techniques for x86
// Virtualization", ASPLOS 2006, section 3): guest kernel code is translated
// while it runs, one translation unit (a basic block, cut at a control
// transfer or a size cap) at a time, into a translation cache (TC).
//   identity translation  most instructions are copied unchanged;
//   inline translation    near control transfers are rewritten for the TC
//                         (direct ones chained to the target's translation,
//                         indirect ones and returns through lookup()), and
//                         reads of state the VMM virtualises (MOV r/m, CS;
//                         SGDT; SMSW; ...) read the virtual CPU instead;
//   callouts              privileged and sensitive instructions (CLI, POPF,
//                         IN, OUT, LGDT, INT, IRET, HLT, ...) become calls
//                         into the VMM, which emulates them on the virtual
//                         CPU ("cli" becomes "call HANDLE_CLI").
// User code (CPL 3) runs by direct execution, not translated. Because no
// sensitive instruction ever runs untranslated in the guest kernel, the
// guest cannot tell (popf, Robin & Irvine's example, behaves) — which is
// how VMware virtualized an ISA that is not classically virtualizable.
// A write into translated code makes its translation stale; the next entry
// translates it again. The cache of units, with chaining and invalidation,
// is translation_cache.hpp. Translated units are executed by the CPU model
// from their pre-decoded form (cpu/micro_op.hpp), which also makes this the
// fastest way through the simulator.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ptv/vmm/technique.hpp"
#include "ptv/vmm/translation_cache.hpp"

namespace ptv::vmm {

// How the translator treats one guest instruction.
Translation classify(const DecodedInstruction& insn);

// An exit of a unit, taken at run time: its successor slot (0: the branch
// target, 1: the fall-through), and whether the target was computed at run
// time (RET, JMP r/m, CALL r/m: slot 0) rather than known when the unit was
// translated.
struct UnitExit {
    uint8_t slot = 0;
    bool indirect = false;
};

// The kit's chaining: a unit left through an exit whose successor was known
// at translation time goes straight to `to` from now on, if `to` is that
// successor (TranslationCache::chain); an indirect exit is never chained.
void chain_known_successor(TranslationUnit& from, UnitExit exit, TranslationUnit& to);

// The translator's three decisions (Adams & Agesen 2006, section 3), which
// a replacement (the binary-translation lab's) may make instead of the
// kit's: how each guest instruction is translated; whether the exit a unit
// was just left through is chained to the unit lookup() found for it; and
// which units a write into code [first, last] invalidates. No `invalidate`
// (the kit's): a unit is stale once either code line it came from was
// written (TranslationCache::stale), checked lazily when it is entered.
struct TranslatorDecisions {
    Translation (*classify)(const DecodedInstruction&) = &vmm::classify;
    void (*chain)(TranslationUnit& from, UnitExit exit,
                  TranslationUnit& to) = &chain_known_successor;
    void (*invalidate)(TranslationCache& cache, uint32_t first, uint32_t last) = nullptr;
};

// A sensitive or privileged instruction translated identically runs on the
// real processor in the deprivileged guest kernel (ring 1 under VMware's
// VMM), not on the virtual CPU: privileged ones, I/O, CLI/STI, INT n, IRET
// and far transfers fault (#GP); PUSHF shows the real IF (1) and IOPL (0);
// POPF leaves IF and IOPL alone (CPL > IOPL); SGDT/SIDT store the VMM's
// tables' base; SMSW reads the real CR0 (PG, NE, MP set); MOV r/m, CS or SS
// and PUSH CS or SS show RPL 1. Robin & Irvine (2000) list them; this is
// why the kit's classify() never translates one identically.
void run_deprivileged(Cpu& cpu, const DecodedInstruction& insn);

struct TranslationCounters {
    uint64_t translations = 0;  // units translated (retranslations included)
    uint64_t translated_instructions = 0;
    uint64_t retranslations = 0;     // units found stale and translated again
    uint64_t invalidations = 0;      // guest writes into lines holding decoded code
    uint64_t tc_hits = 0;            // lookup() found a current translation
    uint64_t tc_misses = 0;          // lookup() had to translate
    uint64_t chained = 0;            // transfers that followed a chain
    uint64_t lookups = 0;            // transfers through lookup() (indirect, or not yet chained)
    uint64_t indirect = 0;           // of those, indirect jumps, calls and returns
    uint64_t direct_execution = 0;   // CPL 3 instructions run directly
    uint64_t units_invalidated = 0;  // units a write into code invalidated (own invalidation)
    uint64_t identity_executed = 0, inline_executed = 0;
    std::map<std::string, uint64_t> callouts;  // by instruction
    nlohmann::json to_json() const;
};

class BinaryTranslation : public Technique {
  public:
    explicit BinaryTranslation(SimulatedMachine& machine, TranslatorDecisions decisions = {})
        : Technique(machine), decisions_(decisions) {}
    std::string_view name() const override { return "binary-translation"; }
    void start(Cpu& cpu) override;
    Stop run(Cpu& cpu, uint64_t budget) override;
    bool on_event(Cpu& cpu, const Event& e) override;
    nlohmann::json details() const override;

    const TranslationCounters& translation_counters() const { return bt_; }
    // The units in guest-address order (for the listing and the graph).
    std::vector<const TranslationUnit*> units() const { return cache_.units(); }
    // `--listing`: each guest block beside its translation.
    std::string listing(const Cpu& cpu) const;
    // `--dot`: the translation cache as a Graphviz graph of units, chains
    // (solid) and lookups (dashed).
    std::string dot() const;

    // Translation units hold at most this many guest instructions
    // (VMware's translator used 12).
    static constexpr uint32_t kMaxUnitInstructions = 12;

  private:
    TranslationUnit* lookup(Cpu& cpu, uint64_t key);
    void translate(Cpu& cpu, TranslationUnit& tu);
    void account(TranslationUnit& tu, const BlockExit& exit);
    void note_hit(const Cpu& cpu, const TranslationUnit& tu);

    void fold(TranslationUnit& tu);

    TranslatorDecisions decisions_;
    TranslationCache cache_;
    uint64_t writes_seen_ = 0;  // code writes already handed to decisions_.invalidate
    std::map<std::pair<const TranslationUnit*, const TranslationUnit*>, uint64_t> indirect_edges_;
    TranslationCounters bt_;
    const TranslationUnit* last_ = nullptr;  // for the graph's lookup edges
    bool last_indirect_ = false;
    bool keep_graph_ = false;
    uint64_t indirect_hits_seen_ = 0;

  public:
    // Record the lookup edges of the graph (--dot); off by default: it
    // costs a map update per indirect transfer.
    void keep_graph() { keep_graph_ = true; }
};

}  // namespace ptv::vmm
