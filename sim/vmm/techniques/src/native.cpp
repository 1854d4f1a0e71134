// Native: the guest on the bare (modelled) machine, at CPL 0, with its own
// IDT, touching the devices directly. The reference every technique is
// compared with: equivalence means "the same as this" (Popek & Goldberg's
// first property).
#include "ptv/vmm/native.hpp"
#include "ptv/vmm/cost_model.hpp"

namespace ptv::vmm {

bool Native::on_event(Cpu&, const Event&) {
    counters_.cycles += cost::kHardwareEvent;
    return false;  // the processor delivers it through the guest's IDT
}

}  // namespace ptv::vmm
