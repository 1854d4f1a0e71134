#include "restart_policy.hpp"

#include <algorithm>

namespace ptv::vmms {

RestartDecision decide_restart(Vm& vm, int64_t now, bool failed) {
    std::erase_if(vm.restart_times_ms, [now](int64_t t) { return now - t > 60000; });
    if (vm.started_unix_ms && now - vm.started_unix_ms > int64_t(kStableRunMs))
        vm.consecutive_failures = 0;
    if (vm.restart_times_ms.size() >= kMaxRestartsPerMinute) return {true, 0};
    const uint64_t delay_ms =
        vm.consecutive_failures == 0
            ? 0
            : std::min(kBackoffMaxMs, kBackoffBaseMs << std::min(vm.consecutive_failures - 1, 16u));
    if (failed) ++vm.consecutive_failures;
    vm.restart_times_ms.push_back(now);
    return {false, delay_ms};
}

}  // namespace ptv::vmms
