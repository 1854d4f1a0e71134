// Synthetic traces of a known shape and size, for the tests and bench/viz: a
// KVM run's trace (docs/DESIGN.md, "The trace") with `exits` exits cycling
// through port I/O on the UART, MMIO on the scratch page and HLT, each with
// its notification and flow, as ptv-vmwp writes them.
#pragma once

#include <cstddef>
#include <string>

namespace ptv::viz {

// 4 events per exit (exit, notification, flow start, flow end) plus the
// track names. Reasons: io (uart), mmio (mmio-scratch), hlt (vcpu).
std::string synthetic_kvm_trace(size_t exits);

}  // namespace ptv::viz
