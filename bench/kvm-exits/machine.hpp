// The machine the numbers came from. An exit round trip costs what the
// host's KVM makes it cost: about 1 µs with VT-x or AMD-V, 15-20 µs under
// kvm_pvm (a paravirtualized KVM for hosts that are themselves VMs without
// nested virtualization). Ratios compare across machines; ns do not.
#pragma once

#include "results.hpp"

namespace ptv::bench {

MachineContext read_machine_context();

}  // namespace ptv::bench
