// Hidden case: random workloads from the seed, each one's schedule on the
// package compared step by step with the harness's model of uthread.hpp.
#include <string>

#include "harness/workload.hpp"
#include "ptv/lab/harness.hpp"

PTV_LAB_CASE("random-workload") {
    // Many small workloads per seed: a bug that shows in one workload of
    // four (a broadcast that misses a waiter, a mutex taken out of turn) is
    // then found with every seed, not with some.
    constexpr uint64_t kWorkloads = 50;
    const std::string from = " from seed " + std::to_string(ctx.seed());
    for (uint64_t i = 0; i < kWorkloads; ++i) {
        const uthread::lab::Workload w =
            uthread::lab::generate_workload(ctx.seed() * kWorkloads + i);
        const uthread::lab::Outcome expected = uthread::lab::model_schedule(w);
        const uthread::lab::Outcome got = uthread::lab::run_on_package(w);
        const std::string diff = uthread::lab::compare(w, got, expected);
        if (!diff.empty()) {
            const std::string which =
                "workload " + std::to_string(i + 1) + " of " + std::to_string(kWorkloads) + from;
            ctx.input(which + ": " + uthread::lab::describe(w));
            throw ptv::lab::Failure(which + ": " + diff);
        }
    }
    ctx.input(std::to_string(kWorkloads) + " workloads" + from + ", all as the rules say");
}
