#include "ptv/worker/vcpu_group.hpp"

#include <fmt/format.h>

#include <thread>

namespace ptv::worker {

VcpuGroup::VcpuGroup(VirtualMachine& vm, double timeout_s) : vm_(vm), timeout_s_(timeout_s) {
    loops_[0] = std::make_unique<VcpuLoop>(vm, timeout_s, 0);
}

vnd::Verdict VcpuGroup::run() {
    const uint32_t n = vm_.vcpu_count();
    if (n <= 1) return loops_[0]->run();
    for (uint32_t i = 1; i < n; ++i) loops_[i] = std::make_unique<VcpuLoop>(vm_, timeout_s_, i);
    count_.store(n);
    // A run ended from outside before the others existed reaches them too.
    if (from_outside_.load())
        for (uint32_t i = 1; i < n; ++i) loops_[i]->end(VcpuLoop::End::Stop);
    std::vector<std::thread> aps;
    for (uint32_t i = 1; i < n; ++i) aps.emplace_back([this, i] { settle(i, loops_[i]->run()); });
    settle(0, loops_[0]->run());
    for (auto& t : aps) t.join();
    std::lock_guard lock(lock_);
    return *verdict_;
}

bool VcpuGroup::settle(uint32_t vcpu, vnd::Verdict verdict) {
    const uint32_t n = count_.load();
    std::lock_guard lock(lock_);
    if (verdict_) return false;  // the VM's outcome is known already
    if (verdict.outcome == Outcome::Halted && !from_outside_.load()) {
        // This vCPU stops; the others go on.
        if (++halted_ < n) return false;
        verdict_ =
            vnd::Verdict{Outcome::Halted,
                         fmt::format("guest halted: all {} vCPUs halted with interrupts off", n),
                         {}};
        return true;
    }
    if (!from_outside_.load()) {
        verdict.message = fmt::format("vCPU {}: {}", vcpu, verdict.message);
        deciding_ = vcpu;
    }
    verdict_ = std::move(verdict);
    // The VM's outcome is decided: every other vCPU stops where it is.
    for (uint32_t i = 0; i < n; ++i)
        if (i != vcpu) loops_[i]->end(VcpuLoop::End::Stop);
    return true;
}

void VcpuGroup::end(VcpuLoop::End why) {
    from_outside_.store(true);
    const uint32_t n = count_.load();
    for (uint32_t i = 0; i < n; ++i) loops_[i]->end(why);
}

void VcpuGroup::end(VcpuLoop::End why, const std::string& message) {
    from_outside_.store(true);
    const uint32_t n = count_.load();
    for (uint32_t i = 0; i < n; ++i) loops_[i]->end(why, message);
}

uint64_t VcpuGroup::exits() const {
    uint64_t sum = 0;
    const uint32_t n = count_.load();
    for (uint32_t i = 0; i < n; ++i) sum += loops_[i]->exits();
    return sum;
}

uint64_t VcpuGroup::blocks() const {
    uint64_t sum = 0;
    const uint32_t n = count_.load();
    for (uint32_t i = 0; i < n; ++i) sum += loops_[i]->blocks();
    return sum;
}

}  // namespace ptv::worker
