// The limit: the same guest on the same KVM, loaded by the project's own
// loader, with nothing in the exit path but KVM_RUN and a look at the exit
// reason. No bus, no dispatcher, no device, no accounting: whatever the
// worker process adds to an exit round trip is the difference to this.
#pragma once

#include <cstdint>
#include <string>

#include "results.hpp"

namespace ptv::bench {

// Boots pio-loop (`image`) with command line N in a fresh VM and runs it to
// its debug exit. Throws ptv::UsageError (no /dev/kvm, bad image) or
// std::runtime_error (an exit that is not port I/O: not pio-loop).
ExitRun run_bare_loop(const std::string& image, uint32_t n);

}  // namespace ptv::bench
