// Part 2, the para-virtualized block device: public cases. Each runs
// disk-pv with a fixed script: batches of requests in the ring, one
// doorbell each.
#include "harness/check.hpp"

namespace ptv::lab::devices {
namespace {
using R = Request;
}

PTV_LAB_CASE("pv-read-one") {
    run_and_check(ctx, Which::Pv, Script().batch({R::read(5, 1)}), {},
                  "read sector 5: one request, one doorbell");
}

PTV_LAB_CASE("pv-batch-read") {
    run_and_check(ctx, Which::Pv,
                  Script().batch({R::read(0, 1), R::read(10, 2), R::read(2047, 1), R::read(3, 8),
                                  R::read(500, 16), R::read(0, 1)}),
                  {}, "one batch of six reads");
}

PTV_LAB_CASE("pv-write") {
    run_and_check(ctx, Which::Pv,
                  Script()
                      .batch({R::write(20, 4, 77), R::write(30, 1, 78)})
                      .batch({R::read(19, 6), R::read(30, 1)})
                      .batch({R::write(21, 1, 79), R::read(20, 4)}),
                  {}, "writes, then reads of the same sectors, in three batches");
}

PTV_LAB_CASE("pv-one-doorbell-per-batch") {
    std::vector<R> full;
    for (uint32_t i = 0; i < 16; ++i) full.push_back(R::read(100 + 3 * i, 2));
    run_and_check(ctx, Which::Pv,
                  Script()
                      .batch({R::read(1, 1)})
                      .batch(full)
                      .batch({R::write(7, 1, 3), R::read(7, 1), R::read(8, 1)}),
                  {}, "batches of 1, 16 (a full ring) and 3 requests: 3 doorbells in all");
}

PTV_LAB_CASE("pv-ring-wrap") {
    Script s;
    s.start(4294967290u);  // the free-running indices wrap around 2^32 too
    for (uint32_t b = 0; b < 5; ++b)
        s.batch({R::write(50 * b, 2, b), R::read(50 * b + 1, 1), R::read(50 * b, 2),
                 R::read(2040, 8), R::read(b, 1)});
    run_and_check(ctx, Which::Pv, s, {},
                  "five batches of five from index 4294967290: the ring (16 slots) wraps, and "
                  "so do the u32 indices");
}

PTV_LAB_CASE("pv-io-error") {
    run_and_check(ctx, Which::Pv,
                  Script()
                      .batch({R::read(0, 1), R::read(2047, 2), R::write(4000, 1, 1), R::read(1, 1)})
                      .batch({R::read(2046, 2)}),
                  {},
                  "requests past the end of a 2048-sector disk: status 1 (I/O error) for them, "
                  "the others done");
}

}  // namespace ptv::lab::devices
