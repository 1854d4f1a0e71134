// A page of scratch registers in MMIO space: a write stores, a read returns
// what was stored. The MMIO microbenchmark's device, the MMIO twin of the
// POST-code port.
#pragma once

#include <array>
#include <cstring>

#include "ptv/portmap.h"
#include "ptv/vmb/device.hpp"
#include "ptv/vmb/motherboard.hpp"

namespace ptv::devices {

class MmioScratch : public vmb::Device {
  public:
    void plug_in(vmb::VirtualMotherboard& board) override {
        board.claim(vmb::Space::Mmio, PTV_MMIO_SCRATCH_BASE, PTV_MMIO_SCRATCH_SIZE, *this);
    }
    std::string_view name() const override { return "mmio-scratch"; }
    void read(vmb::Space, uint64_t offset, std::span<uint8_t> data) override {
        if (offset + data.size() <= regs_.size())
            std::memcpy(data.data(), regs_.data() + offset, data.size());
    }
    vmb::Response write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) override {
        if (offset + data.size() <= regs_.size())
            std::memcpy(regs_.data() + offset, data.data(), data.size());
        return {};
    }

    nlohmann::json save_state() const override;
    void load_state(const nlohmann::json& s) override;

  private:
    std::array<uint8_t, PTV_MMIO_SCRATCH_SIZE> regs_{};
};

}  // namespace ptv::devices
