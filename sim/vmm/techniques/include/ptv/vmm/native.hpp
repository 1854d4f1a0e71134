// Native execution: the guest alone on the modelled machine (the reference).
#pragma once

#include "ptv/vmm/technique.hpp"

namespace ptv::vmm {

class Native : public Technique {
  public:
    using Technique::Technique;
    std::string_view name() const override { return "native"; }
    bool on_event(Cpu& cpu, const Event& e) override;
};

}  // namespace ptv::vmm
