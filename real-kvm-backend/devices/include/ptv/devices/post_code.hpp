// The POST-code port 0x80: BIOSes write their progress codes here and a
// diagnostic card shows the last one. A one-byte register and nothing else,
// which makes it the cheapest possible device: the PIO microbenchmark
// measures the exit path, not the device.
#pragma once

#include <nlohmann/json.hpp>

#include "ptv/portmap.h"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class PostCode : public vmb::Device {
  public:
    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Pio, PTV_POST_CODE_PORT, 1, *this);
    }
    std::string_view name() const override { return "post-code"; }
    void read(vmb::Space, uint64_t, std::span<uint8_t> data) override {
        for (auto& b : data) b = last_;
    }
    vmb::Response write(vmb::Space, uint64_t, std::span<const uint8_t> data) override {
        if (!data.empty()) last_ = data[0];
        return {};
    }
    uint8_t last() const { return last_; }
    nlohmann::json save_state() const override { return {{"last", last_}}; }
    void load_state(const nlohmann::json& s) override { last_ = s.at("last").get<uint8_t>(); }

  private:
    uint8_t last_ = 0;
};

}  // namespace ptv::devices
