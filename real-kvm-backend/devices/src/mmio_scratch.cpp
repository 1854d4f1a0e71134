#include "ptv/devices/mmio_scratch.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ptv::devices {

nlohmann::json MmioScratch::save_state() const {
    // Only the registers that were written: the page is mostly zero.
    nlohmann::json words = nlohmann::json::object();
    for (size_t i = 0; i < regs_.size(); i += 4) {
        uint32_t w;
        std::memcpy(&w, regs_.data() + i, 4);
        if (w) words[std::to_string(i)] = w;
    }
    return {{"words", words}};
}

void MmioScratch::load_state(const nlohmann::json& s) {
    regs_.fill(0);
    for (const auto& [offset, value] : s.at("words").items()) {
        const size_t off = std::stoul(offset);
        if (off % 4 || off + 4 > regs_.size())
            throw std::invalid_argument("mmio-scratch: register offset out of the page");
        const uint32_t w = value.get<uint32_t>();
        std::memcpy(regs_.data() + off, &w, 4);
    }
}

}  // namespace ptv::devices
