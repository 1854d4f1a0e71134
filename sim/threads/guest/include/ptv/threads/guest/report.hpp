// What `ptv threads kvm` prints: the guest's timeline per thread beside the
// simulator's, the total as a ratio, the order of events and the reads.
#pragma once

#include <string>

#include "ptv/threads/guest/guest_model.hpp"
#include "ptv/threads/guest/timeline.hpp"
#include "ptv/threads/sim/simulator.hpp"

namespace ptv::threads::guest {

struct RunSetup {
    GuestModel model = GuestModel::ManyToOne;
    int cpus = 1;
    int tick_ms = 10;
    std::string dispatch = "event";
    ptv::threads::sim::Workload workload;
};

std::string render_comparison(const RunSetup& s, const ptv::threads::sim::Result& predicted,
                              const GuestTimeline& g);

}  // namespace ptv::threads::guest
