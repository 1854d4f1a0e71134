// The defaults of a device with no state to save.
#include "ptv/vmb/device.hpp"

#include <nlohmann/json.hpp>

namespace ptv::vmb {

nlohmann::json Device::save_state() const {
    return nullptr;
}

void Device::load_state(const nlohmann::json&) {}

}  // namespace ptv::vmb
