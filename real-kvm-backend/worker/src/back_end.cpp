#include "ptv/worker/back_end.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "ptv/common/error.hpp"
#include "ptv/devices/disk_image.hpp"
#include "ptv/devices/event_channel.hpp"
#include "ptv/devices/host_ring.hpp"
#include "ptv/devices/pv_disk.hpp"

namespace ptv::worker {

namespace {

// A disk slower than this is a mistake, not a lesson: ten seconds a request.
constexpr double kMaxLatencyMs = 10000;

uint64_t latency_ns(double ms) {
    return uint64_t(std::llround(ms * 1e6));
}

void check_latency(double ms) {
    if (!std::isfinite(ms) || ms < 0 || ms > kMaxLatencyMs)
        throw UsageError(
            fmt::format("--disk-latency {} is out of range; give 0 to {} ms", ms, kMaxLatencyMs));
}

}  // namespace

void BackEnd::check(const BackEndConfig& config) {
    (void)vnd::make_strategy(config.dispatch);
    check_latency(config.disk_latency_ms);
    if (!config.disk_path.empty()) (void)devices::DiskImage::open(config.disk_path);
}

BackEnd::BackEnd(VirtualMachine& vm, const BackEndConfig& config)
    : vm_(vm), config_(config), strategy_(vnd::make_strategy(config.dispatch)) {
    check_latency(config_.disk_latency_ms);
    auto disk = config_.disk_path.empty() ? devices::DiskImage::simulated()
                                          : devices::DiskImage::open(config_.disk_path);
    disk_name_ = disk->describe();
    vm_.devices().get<devices::PvDisk>().attach(std::move(disk),
                                                latency_ns(config_.disk_latency_ms));
    // Every completion wakes the vCPU that asked, through its event bit.
    auto& events = vm_.devices().get<devices::EventChannel>();
    vm_.dispatcher().set_guest_notifier(
        [&events](const vmb::Completion& c) { events.post(c.vcpu, c.event); });
    vm_.dispatcher().set_strategy(*strategy_);
}

BackEnd::~BackEnd() {
    stop();
    vm_.dispatcher().set_guest_notifier(nullptr);
    vm_.dispatcher().reset_strategy();
}

void BackEnd::start(StopHandler on_stop) {
    if (running_) return;
    on_stop_ = std::move(on_stop);
    // Doorbells without exits: KVM signals an eventfd for the guest's write
    // and the vCPU runs on; the strategy's thread reads the count.
    if (strategy_->takes_doorbells() && vm_.kvm_vm().has_ioeventfd()) {
        const auto& board = vm_.dispatcher().board();
        for (size_t i = 0; i < board.devices().size(); ++i)
            for (const vmb::Doorbell& d : board.devices()[i]->doorbells()) {
                const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (fd < 0)
                    throw std::runtime_error(fmt::format("eventfd: {}", std::strerror(errno)));
                auto bell = std::make_unique<Bell>(Bell{d, uint16_t(i), vid::Fd(fd)});
                vm_.kvm_vm().add_ioeventfd(d.space == vmb::Space::Pio, d.address, d.size, fd);
                Bell* b = bell.get();
                strategy_->watch(fd, [this, b](uint64_t rings) { ring(*b, rings); });
                bells_.push_back(std::move(bell));
                ioeventfd_ = true;
            }
    }
    strategy_->start();
    running_ = true;
}

// On the strategy's thread: the guest rang `rings` times since the last
// look (0: a pass of quiesce()'s own); one pass over the device's ring
// serves them all.
void BackEnd::ring(Bell& bell, uint64_t rings) {
    vnd::NotificationDispatcher& d = vm_.dispatcher();
    if (rings) d.count_doorbells(bell.target, rings);
    // The jobs this pass submits are this doorbell's, in the trace.
    const uint64_t id = d.path() && rings ? d.path()->doorbell(d.now(), bell.target, rings) : 0;
    vnd::RequestPath::Scope scope(id, 0);
    uint32_t value = 0;
    vmb::Device& device = *d.board().devices()[bell.target];
    const vmb::Response r =
        device.write(bell.doorbell.space, bell.doorbell.offset,
                     {reinterpret_cast<const uint8_t*>(&value), bell.doorbell.size});
    if (r && on_stop_) on_stop_(*r);
}

void BackEnd::quiesce() {
    // One pass over every device's ring, rung or not: a strategy's thread
    // may have read a doorbell and not yet served it, and a request left on
    // a ring then would wait for a doorbell that never comes again (after a
    // migration, on another host). A pass over an empty ring takes nothing.
    for (auto& b : bells_) {
        uint64_t rings = 0;
        if (::read(b->eventfd.get(), &rings, sizeof rings) != sizeof rings) rings = 0;
        ring(*b, rings);
    }
    vm_.drain_io();
}

void BackEnd::stop() {
    if (!running_) return;
    running_ = false;
    // The guest is done with them: requests still waiting on the disk
    // finish now rather than after their latency.
    strategy_->hurry();
    strategy_->stop();
    for (auto& b : bells_) {
        try {
            vm_.kvm_vm().remove_ioeventfd(b->doorbell.space == vmb::Space::Pio, b->doorbell.address,
                                          b->doorbell.size, b->eventfd.get());
        } catch (const vid::KvmError&) {
            // The VM is going away with it: closing the eventfd is enough.
        }
    }
    bells_.clear();
}

nlohmann::json BackEnd::report() const {
    const auto disk = vm_.devices().get<devices::PvDisk>().stats();
    const auto events = vm_.devices().get<devices::EventChannel>().stats();
    const auto ring = vm_.devices().get<devices::HostRing>().stats();
    const auto s = strategy_->stats();
    return {{"dispatch", std::string(strategy_->name())},
            {"ioeventfd", ioeventfd_},
            {"jobs", s.jobs},
            {"max_waiting", s.max_waiting},
            {"disk", disk_name_},
            {"latency_ms", config_.disk_latency_ms},
            {"pv_disk",
             {{"requests", disk.requests},
              {"completions", disk.completions},
              {"errors", disk.errors},
              {"ring_passes", disk.ring_passes},
              {"held_back", disk.held_back},
              {"max_in_flight", disk.max_in_flight}}},
            {"host_ring",
             {{"requests", ring.requests},
              {"responses", ring.responses},
              {"errors", ring.errors},
              {"max_outstanding", ring.max_outstanding},
              {"held_back", ring.held_back}}},
            {"event_channel",
             {{"posts", events.posts},
              {"dropped", events.dropped},
              {"waits", events.waits},
              {"wakes", events.wakes}}}};
}

}  // namespace ptv::worker
