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

struct TranslationCounters {
    uint64_t translations = 0;  // units translated (retranslations included)
    uint64_t translated_instructions = 0;
    uint64_t retranslations = 0;    // units found stale and translated again
    uint64_t invalidations = 0;     // guest writes into lines holding decoded code
    uint64_t tc_hits = 0;           // lookup() found a current translation
    uint64_t tc_misses = 0;         // lookup() had to translate
    uint64_t chained = 0;           // transfers that followed a chain
    uint64_t lookups = 0;           // transfers through lookup() (indirect, or not yet chained)
    uint64_t indirect = 0;          // of those, indirect jumps, calls and returns
    uint64_t direct_execution = 0;  // CPL 3 instructions run directly
    uint64_t identity_executed = 0, inline_executed = 0;
    std::map<std::string, uint64_t> callouts;  // by instruction
    nlohmann::json to_json() const;
};

class BinaryTranslation : public Technique {
  public:
    using Technique::Technique;
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

    TranslationCache cache_;
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
