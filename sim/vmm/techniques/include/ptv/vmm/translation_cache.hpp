// The translation cache (TC) of a binary translator, in the vocabulary of
// Adams & Agesen, "A Comparison of Software and Hardware Techniques for x86
// Virtualization" (ASPLOS 2006, section 3): translation units, each guest
// code from an address to a control transfer and its translation (the
// paper's compiled code fragment); lookup() of the unit for a guest
// address; chaining, which patches a unit's exit to jump straight to its
// successor's translation so that transfer never looks up again; and
// invalidation, which makes a unit stale once the guest writes into the
// code it was translated from. The translator itself (what goes into a
// unit) is binary_translation.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ptv/vmm/cpu.hpp"

namespace ptv::vmm {

// How the translator treats one guest instruction.
enum class Translation : uint8_t { Identity, Inline, Callout };
const char* translation_name(Translation t);

// One translation unit: guest code from `eip` to a control transfer, a
// callout, or the size cap, and its translation. The TranslatedBlock part
// is what the CPU runs; its chains point at other units (never at a
// callout, which the VMM runs).
struct TranslationUnit : TranslatedBlock {
    uint32_t eip = 0;     // guest EIP (offset in CS) of its first instruction
    uint32_t linear = 0;  // CS.base + eip: the TC's key, with the code size
    uint32_t bytes = 0;
    std::vector<DecodedInstruction> guest;  // the decoded guest instructions
    std::vector<MicroOp> code;              // their translation, pre-decoded
    std::vector<Translation> how;           // per instruction
    bool callout = false;                   // a lone callout: the VMM runs it
    std::string callout_name;               // its mnemonic ("cli", "out", ...)
    uint32_t inline_count = 0;              // inline translations in it
    // The 256-byte code lines it came from and their write generations.
    std::array<uint32_t, 2> lines{}, generations{};
    // Successor 0: a direct branch's target; 1: the fall-through. Known at
    // translation time, so they can be chained.
    std::array<bool, 2> has_successor{};
    std::array<uint32_t, 2> successor{};
    std::array<TranslationUnit*, 2> link{};  // successors' units, callouts included
    uint32_t identity_count = 0;
    // A lone sensitive or privileged instruction translated identically:
    // it runs as the deprivileged guest kernel would run it on the real
    // processor (run_deprivileged()), not through the VMM.
    bool deprivileged = false;
    // Invalidated by a write into its guest code (a translator that
    // invalidates by the bytes written; else its lines' generations say it).
    bool invalid = false;
    uint64_t folded = 0;   // completed executions already counted in the totals
    uint32_t version = 1;  // 2 after the first retranslation, ...
};

class TranslationCache {
  public:
    // Lookup: the unit translated for `key` (a linear address and the code
    // size), current or stale, or nullptr (a miss: the translator makes
    // one with insert()). A direct-mapped table in front of the hash map
    // answers repeated lookups of the same addresses.
    TranslationUnit* find(uint64_t key);
    // A new, empty unit for `key`, whose guest code starts at `eip`: the
    // translator fills it in.
    TranslationUnit& insert(uint64_t key, uint32_t eip);

    // Chaining: exit `via` of `from` (0: the branch target, 1: the
    // fall-through) goes to `to` from now on. The CPU follows the chain
    // itself unless `to` is a callout, which the VMM must run.
    static void chain(TranslationUnit& from, uint8_t via, TranslationUnit& to);
    // The unit exit `via` of `from` is chained to, if that unit starts at
    // `linear` (the transfer then counts as chained), else nullptr.
    static TranslationUnit* follow(TranslationUnit& from, uint8_t via, uint32_t linear);

    // Invalidation on writes to translated code. watch() records, once a
    // unit is translated, the write generations of the code lines its
    // guest bytes lie in (a unit spans at most two); stale() says whether
    // the guest wrote into them since, so the unit must be translated
    // again before it runs. stale() costs one comparison while the guest
    // writes into no code at all.
    static void watch(const Cpu& cpu, TranslationUnit& tu);
    static bool stale(const Cpu& cpu, TranslationUnit& tu);

    // Invalidation by the bytes written, for a translator that does its
    // own: the units whose guest code overlaps [first, last] (linear
    // addresses, inclusive), and invalidate(), which marks a unit to be
    // translated again before it next runs.
    std::vector<TranslationUnit*> overlapping(uint32_t first, uint32_t last) const;
    void invalidate(TranslationUnit& tu);
    uint64_t invalidated() const { return invalidated_; }  // units marked by invalidate()

    size_t size() const { return units_.size(); }
    // Every unit, in guest-address order (for the listing and the graph).
    std::vector<const TranslationUnit*> units() const;
    // Every unit, in no particular order, for totals over all of them.
    template <class F>
    void for_each(F&& f) {
        for (auto& [key, tu] : units_) f(*tu);
    }

  private:
    std::unordered_map<uint64_t, std::unique_ptr<TranslationUnit>> units_;
    std::multimap<uint32_t, TranslationUnit*> by_linear_;  // for overlapping()
    uint64_t invalidated_ = 0;
    // The direct-mapped fast path (the TC's hash table, in VMware's words).
    struct FastEntry {
        uint64_t key = ~uint64_t(0);
        TranslationUnit* unit = nullptr;
    };
    static constexpr size_t kFastEntries = 4096;
    static size_t slot(uint64_t key) { return (key ^ (key >> 12)) & (kFastEntries - 1); }
    std::vector<FastEntry> fast_ = std::vector<FastEntry>(kFastEntries);
};

}  // namespace ptv::vmm
