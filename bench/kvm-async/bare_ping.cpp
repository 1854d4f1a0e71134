#include "bare_ping.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ptv/common/clock.hpp"
#include "ptv/common/error.hpp"
#include "ptv/portmap.h"
#include "ptv/vid/kvm.hpp"
#include "ptv/vmb/boot_area.hpp"
#include "ptv/vmb/multiboot.hpp"
#include "ptv/worker/boot.hpp"

namespace ptv::bench {

namespace {

constexpr size_t kMemoryBytes = size_t(64) << 20;  // the worker's default

uint32_t* word(uint8_t* ram, uint32_t gpa) {
    return reinterpret_cast<uint32_t*>(ram + gpa);
}

// Serves every request on the ring, as the PV disk does, minus its checks.
void serve(uint8_t* ram, uint32_t queue, uint32_t event_page) {
    const uint32_t size = *word(ram, queue + PTV_PVDISK_OFF_SIZE);
    const uint32_t used = queue + PTV_PVDISK_OFF_REQ + size * PTV_PVDISK_REQ_SIZE;
    auto* req_head =
        reinterpret_cast<std::atomic<uint32_t>*>(word(ram, queue + PTV_PVDISK_OFF_REQ_HEAD));
    uint32_t& req_tail = *word(ram, queue + PTV_PVDISK_OFF_REQ_TAIL);
    auto* used_head =
        reinterpret_cast<std::atomic<uint32_t>*>(word(ram, queue + PTV_PVDISK_OFF_USED_HEAD));
    while (req_tail != req_head->load(std::memory_order_acquire)) {
        const uint32_t r = queue + PTV_PVDISK_OFF_REQ + (req_tail % size) * PTV_PVDISK_REQ_SIZE;
        const uint32_t lba = *word(ram, r + PTV_PVDISK_REQ_LBA);
        const uint32_t buffer = *word(ram, r + PTV_PVDISK_REQ_BUFFER);
        for (uint32_t w = 0; w < PTV_ATA_SECTOR_SIZE / 4; ++w)
            *word(ram, buffer + 4 * w) = PTV_PVDISK_SIM_WORD(lba, w);
        const uint32_t h = used_head->load(std::memory_order_relaxed);
        const uint32_t u = used + (h % size) * PTV_PVDISK_USED_SIZE;
        *word(ram, u + PTV_PVDISK_USED_ID) = *word(ram, r + PTV_PVDISK_REQ_ID);
        *word(ram, u + PTV_PVDISK_USED_STATUS) = PTV_PVBLK_S_OK;
        used_head->store(h + 1, std::memory_order_release);
        ++req_tail;
    }
    reinterpret_cast<std::atomic<uint32_t>*>(word(ram, event_page + PTV_EVTCHN_OFF_PENDING))
        ->fetch_or(1u << PTV_EVT_PVDISK);
}

class EventFd {
  public:
    EventFd() : fd_(::eventfd(0, EFD_CLOEXEC)) {
        if (fd_ < 0) throw std::runtime_error("eventfd failed");
    }
    ~EventFd() { ::close(fd_); }
    int fd() const { return fd_; }
    void signal() const {
        const uint64_t one = 1;
        (void)!::write(fd_, &one, sizeof one);
    }
    void wait() const {
        uint64_t v;
        (void)!::read(fd_, &v, sizeof v);
    }

  private:
    int fd_;
};

}  // namespace

PingRun run_bare_ping(const std::string& image_path, uint32_t n) {
    const std::vector<uint8_t> file = vmb::read_image_file(image_path);
    const vmb::MultibootImage image = vmb::parse_multiboot(file, image_path);
    vid::Kvm kvm;
    vid::Vm vm(kvm);
    if (!vm.has_ioeventfd()) throw UsageError("this host's KVM has no ioeventfd");
    vid::GuestMemory memory(kMemoryBytes);
    vmb::load_multiboot(image, file, memory.span(), image_path);
    vmb::write_boot_area(memory.span(), std::to_string(n));
    vm.map_memory(0, 0, memory);
    vid::Vcpu vcpu(vm, 0);
    vcpu.set_cpuid(kvm.supported_cpuid());
    worker::enter_protected_mode(vcpu, image.entry);

    uint8_t* ram = memory.host();
    EventFd doorbell, wake;
    vm.add_ioeventfd(true, PTV_PVDISK_NOTIFY_PORT, 4, doorbell.fd());
    std::atomic<uint32_t> queue{0}, event_page{0};
    std::atomic<bool> done{false};
    // The back end: one thread on the doorbell.
    std::thread back_end([&] {
        for (;;) {
            doorbell.wait();
            if (done.load()) return;
            serve(ram, queue.load(), event_page.load());
            wake.signal();
        }
    });

    const kvm_run* run = vcpu.kvm_run_page();
    PingRun result;
    result.round_trips = n;
    auto pending = [&] {
        return reinterpret_cast<std::atomic<uint32_t>*>(
                   word(ram, event_page.load() + PTV_EVTCHN_OFF_PENDING))
                   ->load() != 0;
    };
    const uint64_t t_start = now_ns();
    try {
        for (bool running = true; running;) {
            if (vcpu.enter() == vid::Vcpu::RunStatus::Kicked) continue;
            switch (run->exit_reason) {
                case KVM_EXIT_INTR:
                    break;
                case KVM_EXIT_HLT:
                    // Block/wake: park until the back end has posted.
                    if (!pending()) ++result.waits;
                    while (!pending()) wake.wait();
                    break;
                case KVM_EXIT_IO: {
                    uint8_t* data =
                        reinterpret_cast<uint8_t*>(const_cast<kvm_run*>(run)) + run->io.data_offset;
                    uint32_t value = 0;
                    std::memcpy(&value, data, std::min<size_t>(run->io.size, 4));
                    if (run->io.port == PTV_DEBUG_EXIT_PORT)
                        running = false;
                    else if (run->io.port == PTV_EVTCHN_PORT)
                        event_page = value;
                    else if (run->io.port == PTV_PVDISK_QUEUE_PORT)
                        queue = value;
                    else if (run->io.direction == KVM_EXIT_IO_IN)
                        std::memset(data, 0x60, run->io.size);  // the UART: always ready
                    break;
                }
                default:
                    throw std::runtime_error(
                        fmt::format("bare ping: exit reason {}; '{}' is not pvdisk-ping?",
                                    run->exit_reason, image_path));
            }
        }
    } catch (...) {
        done = true;
        doorbell.signal();
        back_end.join();
        throw;
    }
    result.run_ns = now_ns() - t_start;
    done = true;
    doorbell.signal();
    back_end.join();
    vm.remove_ioeventfd(true, PTV_PVDISK_NOTIFY_PORT, 4, doorbell.fd());
    return result;
}

}  // namespace ptv::bench
