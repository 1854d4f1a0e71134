// How a notification reaches its device. The worker process is a server
// whose clients are its guest's device requests, so the question is the
// server-design one of Tanenbaum & van Steen ch. 3: serve each request on
// the thread that received it (inline, like an iterative server), hand it
// to a pool of workers (Fig. 3-3's dispatcher/worker model), or drive it
// from an event loop (a finite-state machine). InlineDispatch is the
// reference: the device runs on the vCPU thread before the vCPU resumes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "ptv/vmb/device.hpp"

namespace ptv::vnd {

// One device access, as the device will see it.
struct Access {
    vmb::Space space;
    uint64_t offset;  // from the base of the device's claimed range
    std::span<uint8_t> data;
    bool is_write;
};

class DispatchStrategy {
  public:
    virtual ~DispatchStrategy() = default;
    virtual std::string_view name() const = 0;
    // Carries one access to `device` and returns its answer. A read's data
    // must be filled in before the call returns: the vCPU resumes with it.
    virtual vmb::Response deliver(vmb::Device& device, const Access& access) = 0;
};

class InlineDispatch final : public DispatchStrategy {
  public:
    std::string_view name() const override { return "inline"; }
    vmb::Response deliver(vmb::Device& device, const Access& a) override {
        if (a.is_write) return device.write(a.space, a.offset, a.data);
        device.read(a.space, a.offset, a.data);
        return {};
    }
};

}  // namespace ptv::vnd
