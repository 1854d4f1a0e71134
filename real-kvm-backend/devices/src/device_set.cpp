#include "ptv/devices/device_set.hpp"

#include <algorithm>
#include <string>

namespace ptv::devices {

DeviceSet::DeviceSet(vmb::Machine& machine, const std::vector<DeviceEntry>& entries) {
    for (const DeviceEntry& e : entries) slots_.push_back({e.make(machine), e.level});
}

vmb::Device& DeviceSet::add(std::unique_ptr<vmb::Device> device, InitLevel level) {
    slots_.push_back({std::move(device), level});
    return *slots_.back().device;
}

void DeviceSet::plug_into(vmb::VirtualMotherboard& board) {
    std::vector<const Slot*> order;
    for (const Slot& s : slots_) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(),
                     [](const Slot* a, const Slot* b) { return a->level < b->level; });
    for (const Slot* s : order) s->device->plug_in(board);
}

vmb::Device* DeviceSet::find(std::string_view name) const {
    for (const Slot& s : slots_)
        if (s.device->name() == name) return s.device.get();
    return nullptr;
}

nlohmann::json DeviceSet::save_state() const {
    nlohmann::json j = nlohmann::json::object();
    for (const Slot& s : slots_) j[std::string(s.device->name())] = s.device->save_state();
    return j;
}

void DeviceSet::load_state(const nlohmann::json& j) {
    for (const Slot& s : slots_)
        if (auto it = j.find(std::string(s.device->name())); it != j.end() && !it->is_null())
            s.device->load_state(*it);
}

}  // namespace ptv::devices
