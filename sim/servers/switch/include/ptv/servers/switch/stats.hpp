// What the front-end switch counts, per back end and in all: a snapshot any
// thread may take while it runs (FrontEndSwitch::stats()).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ptv/servers/switch/address.hpp"

namespace ptv::servers::frontend {

struct BackendStats {
    Address address;
    bool up = true;                 // in rotation
    uint64_t open = 0;              // relayed connections open now (connecting included)
    uint64_t connections = 0;       // connections relayed to it (connected), in all
    uint64_t bytes_to_backend = 0;  // client -> server
    uint64_t bytes_to_client = 0;   // server -> client
    uint64_t marked_down = 0;       // times taken out of rotation
    uint64_t failed_connects = 0;   // connections to it that failed (each retried elsewhere)
};

struct SwitchStats {
    uint64_t accepted = 0;  // client connections accepted
    uint64_t refused = 0;   // closed unserved: no back end was up
    std::vector<BackendStats> backends;
};

// One row per back end, then the totals: the table `ptv servers switch`
// prints when it stops (and every second with --stats).
std::string render(const SwitchStats& s);

}  // namespace ptv::servers::frontend
