// The supervisor's restart rule (README.md, "Supervision"): exponential
// back-off, the first restart at once, then 100 ms, 200 ms, ... up to 10 s
// (a worker that ran 10 s resets it); more than five restarts within a
// minute is a crash loop, and the VM is left failed.
#pragma once

#include <cstdint>

#include "vm.hpp"

namespace ptv::vmms {

constexpr unsigned kMaxRestartsPerMinute = 5;
constexpr uint64_t kBackoffBaseMs = 100;   // the 2nd restart in a row waits this long
constexpr uint64_t kBackoffMaxMs = 10000;  // and the wait doubles up to this
constexpr uint64_t kStableRunMs = 10000;   // a worker that lived this long resets the back-off

struct RestartDecision {
    bool give_up = false;   // a crash loop: no restart
    uint64_t delay_ms = 0;  // else: restart after this long
};

// Decides after a worker of `vm` ended at `now_unix_ms` (`failed`: it
// crashed or failed, rather than ended cleanly), and books the restart in
// the VM's record (restart times, consecutive failures).
RestartDecision decide_restart(Vm& vm, int64_t now_unix_ms, bool failed);

}  // namespace ptv::vmms
