// The default of a machine with no dispatch strategy: the iterative way.
#include "ptv/vmb/machine.hpp"

#include <chrono>
#include <thread>

namespace ptv::vmb {

void Machine::submit(IoJob job) {
    if (job.latency_ns) std::this_thread::sleep_for(std::chrono::nanoseconds(job.latency_ns));
    job.run();
}

}  // namespace ptv::vmb
