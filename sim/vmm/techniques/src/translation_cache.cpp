// The translation cache: units, lookup, chaining and invalidation (see
// translation_cache.hpp).
#include "ptv/vmm/translation_cache.hpp"

#include <algorithm>

namespace ptv::vmm {

const char* translation_name(Translation t) {
    switch (t) {
        case Translation::Identity:
            return "identity";
        case Translation::Inline:
            return "inline";
        case Translation::Callout:
            return "callout";
    }
    return "?";
}

TranslationUnit* TranslationCache::find(uint64_t key) {
    FastEntry& f = fast_[slot(key)];
    if (f.key == key) return f.unit;
    auto it = units_.find(key);
    if (it == units_.end()) return nullptr;
    f = {key, it->second.get()};
    return it->second.get();
}

TranslationUnit& TranslationCache::insert(uint64_t key, uint32_t eip) {
    auto tu = std::make_unique<TranslationUnit>();
    tu->eip = eip;
    tu->linear = uint32_t(key);
    TranslationUnit* p = tu.get();
    units_.emplace(key, std::move(tu));
    by_linear_.emplace(p->linear, p);
    fast_[slot(key)] = {key, p};
    return *p;
}

void TranslationCache::chain(TranslationUnit& from, uint8_t via, TranslationUnit& to) {
    from.link[via] = &to;
    if (!to.callout) from.chain[via] = &to;  // the CPU follows it from now on
}

TranslationUnit* TranslationCache::follow(TranslationUnit& from, uint8_t via, uint32_t linear) {
    TranslationUnit* to = from.link[via];
    if (!to || to->linear != linear) return nullptr;
    ++from.chained[via];
    return to;
}

void TranslationCache::watch(const Cpu& cpu, TranslationUnit& tu) {
    tu.checked_at = cpu.decode_cache_invalidations();
    tu.lines[0] = tu.linear;
    tu.lines[1] = tu.linear + (tu.bytes ? tu.bytes - 1 : 0);
    tu.generations[0] = cpu.code_generation(tu.lines[0]);
    tu.generations[1] = cpu.code_generation(tu.lines[1]);
}

bool TranslationCache::stale(const Cpu& cpu, TranslationUnit& tu) {
    // No write into any code line since the last check: nothing to compare.
    if (tu.checked_at == cpu.decode_cache_invalidations()) return false;
    if (cpu.code_generation(tu.lines[0]) != tu.generations[0] ||
        cpu.code_generation(tu.lines[1]) != tu.generations[1])
        return true;
    tu.checked_at = cpu.decode_cache_invalidations();
    return false;
}

std::vector<TranslationUnit*> TranslationCache::overlapping(uint32_t first, uint32_t last) const {
    // A unit spans at most two 256-byte code lines, so none that starts
    // more than 512 bytes below `first` reaches it.
    constexpr uint32_t kMaxUnitBytes = 512;
    std::vector<TranslationUnit*> v;
    const uint32_t from = first > kMaxUnitBytes ? first - kMaxUnitBytes : 0;
    for (auto it = by_linear_.lower_bound(from); it != by_linear_.end() && it->first <= last;
         ++it) {
        const TranslationUnit* tu = it->second;
        const uint32_t end = tu->linear + std::max<uint32_t>(tu->bytes, 1) - 1;
        if (end >= first) v.push_back(it->second);
    }
    return v;
}

void TranslationCache::invalidate(TranslationUnit& tu) {
    if (!tu.invalid) ++invalidated_;
    tu.invalid = true;
}

std::vector<const TranslationUnit*> TranslationCache::units() const {
    std::vector<const TranslationUnit*> v;
    for (const auto& [key, tu] : units_) v.push_back(tu.get());
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->linear < b->linear; });
    return v;
}

}  // namespace ptv::vmm
