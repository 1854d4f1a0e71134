// The exit table and the outcome line, from a worker's result (JSON), so
// that ptv-vmwp alone, `ptv kvm run` and `ptv migrate live` print the same
// thing.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ptv::worker {

// "hello: guest halted (hlt with interrupts off) at RIP 0x100036; 62 exits in 310 µs"
std::string outcome_line(const nlohmann::json& result);

// Count, total and mean handling time per exit reason and per device.
std::string exit_table(const nlohmann::json& result);

// The back end (the result's "io"), two lines, when the guest used the
// event channel or the PV disk or the strategy is not inline; "" otherwise:
// "back end: pool:16, doorbells as ioeventfds; 64 jobs, at most 16 waiting at once"
// "pv-disk: 64 requests, 64 completions, 0 errors (built-in, 4096 sectors, 10 ms);
//  event channel: 64 posts, 12 blocks"
// and a third when the host's clients sent the guest requests on the host
// request ring:
// "host-ring: 101 requests, 101 answered, 0 not OK; at most 8 on the ring,
//  93 held back on the host"
std::string back_end_text(const nlohmann::json& result);

// The guest's final registers and memory hash (the result's "final_state"),
// three lines; "" when the result has none.
std::string final_state_text(const nlohmann::json& result);

}  // namespace ptv::worker
