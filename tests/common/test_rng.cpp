// ptv::SplitMix64: the same numbers from the same seed on every machine,
// which every seeded exercise (`ptv threads sim`, `ptv servers sim`, the
// migration problems) and the load generator's path choice depend on.
#include <doctest/doctest.h>

#include <initializer_list>

#include "ptv/common/rng.hpp"

using ptv::SplitMix64;

TEST_CASE("SplitMix64: the first outputs of seeds 0 and 42") {
    // Seed 0 is the published reference sequence of SplitMix64.
    SplitMix64 zero(0);
    CHECK(zero.next() == 0xe220a8397b1dcdafull);
    CHECK(zero.next() == 0x6e789e6aa1b965f4ull);
    CHECK(zero.next() == 0x06c45d188009454full);
    CHECK(zero.next() == 0xf88bb8a8724c81ecull);
    SplitMix64 answer(42);
    CHECK(answer.next() == 0xbdd732262feb6e95ull);
    CHECK(answer.next() == 0x28efe333b266f103ull);
    CHECK(answer.next() == 0x47526757130f9f52ull);
    CHECK(answer.next() == 0x581ce1ff0e4ae394ull);
}

TEST_CASE("SplitMix64: below and between draw by modulo of next") {
    SplitMix64 a(0), b(42);
    for (int want : {5, 0, 9, 4, 7, 0}) CHECK(a.below(10) == uint64_t(want));
    for (int want : {7, 7, 2, 4, 8, 6}) CHECK(b.between(2, 8) == want);
    SplitMix64 c(0);
    for (int want : {4, 3, 4, 6, 4, 4}) CHECK(c.between(2, 8) == want);
}
