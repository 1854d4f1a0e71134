// The translation cache of binary translation (sim/vmm/techniques/
// translation_cache.*) on its own: lookup misses and hits, chaining of one
// unit's exit to another, and invalidation of a unit when the guest writes
// into the bytes it was translated from (Adams & Agesen 2006, section 3).
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "ptv/vmm/translation_cache.hpp"

using namespace ptv::vmm;

namespace {

class NoDevices : public Platform {
  public:
    uint32_t port_in(Cpu&, uint16_t, uint8_t) override { return 0xffffffffu; }
    void port_out(Cpu&, uint16_t, uint8_t, uint32_t) override {}
    uint32_t mmio_read(Cpu&, uint32_t, uint8_t) override { return 0xffffffffu; }
    void mmio_write(Cpu&, uint32_t, uint8_t, uint32_t) override {}
    void on_hlt(Cpu& cpu) override {
        if (!cpu.state().interrupts_enabled()) cpu.request_stop("hlt", ptv::Outcome::Halted);
    }
};

// The cache's key for 32-bit code at a linear address, as the translator
// makes it.
uint64_t key32(uint32_t linear) {
    return linear | uint64_t(1) << 32;
}

// Guest code at `linear`: `count` NOPs, decoded once by the CPU (which
// marks the line as holding code), and a unit covering it.
TranslationUnit& translated_nops(TranslationCache& tc, Cpu& cpu, uint32_t linear, uint32_t count) {
    std::memset(cpu.ram().data() + linear, 0x90, count);
    for (uint32_t i = 0; i < count; ++i) REQUIRE(cpu.fetch(linear + i) != nullptr);
    TranslationUnit& tu = tc.insert(key32(linear), linear);
    tu.bytes = count;
    TranslationCache::watch(cpu, tu);
    return tu;
}

}  // namespace

TEST_CASE("translation cache: a lookup misses until the unit is inserted, then hits it") {
    TranslationCache tc;
    CHECK(tc.find(key32(0x1000)) == nullptr);
    TranslationUnit& a = tc.insert(key32(0x1000), 0x1000);
    CHECK(a.linear == 0x1000);
    CHECK(a.eip == 0x1000);
    CHECK(tc.find(key32(0x1000)) == &a);
    // 0x2003 shares 0x1000's slot of the direct-mapped table: both are
    // still found, one of them through the hash map behind it.
    TranslationUnit& b = tc.insert(key32(0x2003), 0x2003);
    CHECK(tc.find(key32(0x1000)) == &a);
    CHECK(tc.find(key32(0x2003)) == &b);
    CHECK(tc.find(key32(0x1000)) == &a);
    // 16-bit code at the same address is another translation.
    CHECK(tc.find(0x1000) == nullptr);
    CHECK(tc.size() == 2);
    const auto units = tc.units();
    REQUIRE(units.size() == 2);
    CHECK(units[0] == &a);
    CHECK(units[1] == &b);
}

TEST_CASE("translation cache: a chained exit goes straight to its successor's unit") {
    TranslationCache tc;
    TranslationUnit& from = tc.insert(key32(0x1000), 0x1000);
    TranslationUnit& to = tc.insert(key32(0x1010), 0x1010);
    TranslationUnit& callout = tc.insert(key32(0x1020), 0x1020);
    callout.callout = true;
    CHECK(TranslationCache::follow(from, 1, 0x1010) == nullptr);  // not chained yet

    TranslationCache::chain(from, 1, to);
    CHECK(from.link[1] == &to);
    CHECK(from.chain[1] == &to);  // the CPU follows it itself
    CHECK(from.link[0] == nullptr);
    CHECK(TranslationCache::follow(from, 1, 0x1010) == &to);
    CHECK(TranslationCache::follow(from, 1, 0x1010) == &to);
    CHECK(from.chained[1] == 2);
    // The exit went elsewhere this time (the unit was translated again
    // for other code): not the chain's target, not counted.
    CHECK(TranslationCache::follow(from, 1, 0x1014) == nullptr);
    CHECK(from.chained[1] == 2);

    // A callout is linked but not chained: the VMM runs it, not the CPU.
    TranslationCache::chain(from, 0, callout);
    CHECK(from.link[0] == &callout);
    CHECK(from.chain[0] == nullptr);
    CHECK(TranslationCache::follow(from, 0, 0x1020) == &callout);
}

TEST_CASE("translation cache: a unit is stale once the guest writes into its code") {
    std::vector<uint8_t> ram(1 << 20, 0);
    NoDevices devices;
    Cpu cpu(ram, devices);
    TranslationCache tc;
    TranslationUnit& a = translated_nops(tc, cpu, 0x1000, 8);
    TranslationUnit& b = translated_nops(tc, cpu, 0x2000, 8);
    CHECK_FALSE(TranslationCache::stale(cpu, a));
    CHECK_FALSE(TranslationCache::stale(cpu, b));

    // A write to data (a line without decoded code) invalidates nothing.
    cpu.write_linear(0x8000, 4, 0xdeadbeef);
    CHECK(cpu.decode_cache_invalidations() == 0);
    CHECK_FALSE(TranslationCache::stale(cpu, a));

    // A write into b's code: b is stale, a (other lines) is not.
    cpu.write_linear(0x2004, 1, 0xcc);
    CHECK(cpu.decode_cache_invalidations() == 1);
    CHECK_FALSE(TranslationCache::stale(cpu, a));
    CHECK(TranslationCache::stale(cpu, b));
    CHECK(TranslationCache::stale(cpu, b));  // until it is translated again
    TranslationCache::watch(cpu, b);
    CHECK_FALSE(TranslationCache::stale(cpu, b));

    // A unit that reaches into the next line is stale after a write there.
    TranslationUnit& c = translated_nops(tc, cpu, 0x30fc, 8);  // 0x30fc..0x3103
    CHECK(c.lines[0] == 0x30fc);
    CHECK(c.lines[1] == 0x3103);
    cpu.write_linear(0x3102, 1, 0x90);
    CHECK(TranslationCache::stale(cpu, c));
    CHECK_FALSE(TranslationCache::stale(cpu, a));
}
