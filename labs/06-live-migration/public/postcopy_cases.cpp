// Part 2, post-copy: public cases. Each is one post-copy migration on the
// simulator with your push, beside the kit's page-order push
// (harness/postcopy_check.hpp).
#include "harness/postcopy_check.hpp"

namespace ptv::lab::migration {

PTV_LAB_CASE("postcopy-far-working-set") {
    // The guest works in 64 pages far from page 0: page order reaches them
    // last, so every one of them faults.
    check_postcopy_all(
        ctx,
        {{"a working set in the upper half of memory", 4096, 4000, "wws:64:1000:3000", 200, 0.25},
         {"a working set at the end of memory", 8192, 10000, "wws:256:2000:7936", 100, 0.25}});
}

PTV_LAB_CASE("postcopy-two-regions") {
    // Two working sets in turn, each far from the other and from page 0.
    check_postcopy_all(ctx,
                       {{"two working sets in turn", 8192, 5000,
                         "phases:wws:128:2000:2048@100ms,wws:128:2000:6144@100ms", 200, 0.25}});
}

PTV_LAB_CASE("postcopy-no-worse-than-page-order") {
    // A guest that reads memory in page order: the page-order push is
    // already right; yours must not do worse.
    check_postcopy_all(
        ctx, {{"a sweep from page 0, slower than the link", 4096, 4000, "sweep:2000", 200, 1},
              {"a sweep from page 0, faster than the link", 2048, 2000, "sweep:4000", 200, 1}});
}

}  // namespace ptv::lab::migration
