// Hidden case: a random workload from the seed, its schedule on the
// package compared step by step with the harness's model of uthread.hpp.
#include <string>

#include "harness/workload.hpp"
#include "ptv/lab/harness.hpp"

PTV_LAB_CASE("random-workload") {
    // Several workloads per seed, so that one seed sees both endings.
    for (uint64_t i = 0; i < 8; ++i) {
        const uthread::lab::Workload w = uthread::lab::generate_workload(ctx.seed() * 8 + i);
        ctx.input("workload " + std::to_string(i + 1) + " of 8 from seed " +
                  std::to_string(ctx.seed()) + ": " + uthread::lab::describe(w));
        const uthread::lab::Outcome expected = uthread::lab::model_schedule(w);
        const uthread::lab::Outcome got = uthread::lab::run_on_package(w);
        const std::string diff = uthread::lab::compare(w, got, expected);
        ptv::lab::expect(diff.empty(), "workload " + std::to_string(i + 1) + ": " + diff);
    }
}
