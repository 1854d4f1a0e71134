// The VM of one worker process (Firecracker's vstate): the KVM objects
// through vid/ (the VM, its guest memory, its vCPUs), the virtual motherboard
// with its devices, the notification dispatcher and the exit policy. It is
// the vmb::Machine its devices see: guest RAM, the console, the dirty pages
// they write, the completions they post. It does not run the vCPU (that is
// vcpu_loop.hpp) and knows nothing of snapshots or migration beyond handing
// out and taking back its state.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ptv/devices/device_set.hpp"
#include "ptv/devices/uart16550.hpp"
#include "ptv/vid/kvm.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vnd/dispatcher.hpp"
#include "ptv/vnd/exit_policy.hpp"

namespace ptv::worker {

// Where the guest's serial output goes, and how much of it the result keeps.
struct ConsoleConfig {
    int fd = 1;                                  // -1: serial output is kept for the result only
    std::function<void(std::string_view)> sink;  // instead of fd, when set
    size_t capture = 1u << 20;
};

class VirtualMachine : public vmb::Machine {
  public:
    // Guest RAM of `memory_mib` (checked: a ptv::UsageError names the
    // range), the board with every registered device and the `extra` ones
    // (a test's, a lab's; placed by their init level), the dispatcher.
    VirtualMachine(uint32_t memory_mib, vnd::ExitPolicy::Options policy, ConsoleConfig console,
                   const std::vector<devices::DeviceEntry>& extra = {});
    ~VirtualMachine() override;

    // A fresh boot: loads the multiboot image into RAM, creates `cpus`
    // vCPUs and puts each at the entry point (worker/boot.hpp).
    void boot(const std::vector<uint8_t>& image_file, const std::string& name,
              const std::string& cmdline, const std::vector<kvm_cpuid_entry2>& cpuid,
              uint32_t cpus = 1);
    // An empty vCPU over mapped RAM, for a restore or an incoming migration.
    void create_empty();
    // The vCPU and the devices as save_state() gave them (RAM is in place).
    void restore(const nlohmann::json& state);
    // {"vcpus": [...], "devices": {...}, "serial_bytes": N}
    nlohmann::json save_state() const;

    // Records every notification (the trace), with the registers KVM
    // copies on each exit for the RIP and code (KVM_CAP_SYNC_REGS).
    void enable_trace(size_t capacity);
    // The guest bytes around the RIP of the vCPU that left the guest into
    // `exit` (vnd/guest_code.hpp).
    void capture_code(vnd::Exit& exit) const;
    // The guest's state where it stopped (the boot CPU's registers), in the
    // keys the CPU model reports too; null when KVM no longer answers.
    nlohmann::json final_state() const;
    // {"total", "by_reason", "by_device", "by_vcpu"}: the exit table.
    nlohmann::json exit_table() const;

    const vid::Kvm& kvm() const { return kvm_; }
    vid::Vm& kvm_vm() { return vm_; }
    // The boot CPU, and vCPU `i` of vcpu_count().
    vid::Vcpu& vcpu() { return *vcpus_.at(0); }
    vid::Vcpu& vcpu(uint32_t i) { return *vcpus_.at(i); }
    uint32_t vcpu_count() const { return uint32_t(vcpus_.size()); }
    bool has_vcpu() const { return !vcpus_.empty(); }
    const vid::GuestMemory& memory() const { return memory_; }
    vnd::NotificationDispatcher& dispatcher() { return *dispatcher_; }
    const vnd::ExitPolicy& policy() const { return policy_; }
    devices::Uart16550& uart() { return uart_; }
    devices::DeviceSet& devices() { return devices_; }
    const std::string& serial() const { return serial_; }
    uint64_t serial_bytes() const { return serial_bytes_; }

    // Device writes to guest RAM, which KVM's dirty log does not see, kept
    // while a live migration asks (mark_dirty); drained into its bitmap.
    void track_device_writes(bool on);
    void take_device_writes(std::vector<uint64_t>& bitmap);

    // vmb::Machine
    std::span<uint8_t> ram() override { return memory_.span(); }
    void console_write(std::string_view bytes) override;
    void mark_dirty(uint64_t gpa, uint64_t bytes) override;
    void complete(const vmb::Completion& completion) override;
    // Hands the job to the dispatcher's strategy, counting it in flight.
    void submit(vmb::IoJob job) override;
    // Waits until every submitted job has run: a checkpoint's devices and
    // RAM then hold every completion, and no request is half done.
    void drain_io();

  private:
    ConsoleConfig console_;
    vid::Kvm kvm_;
    vid::Vm vm_;
    vid::GuestMemory memory_;
    std::vector<std::unique_ptr<vid::Vcpu>> vcpus_;
    // The motherboard and its devices, in bring-up order.
    vmb::VirtualMotherboard board_;
    devices::DeviceSet devices_{*this};
    devices::Uart16550& uart_ = devices_.get<devices::Uart16550>();
    std::unique_ptr<vnd::NotificationDispatcher> dispatcher_;
    vnd::ExitPolicy policy_;

    std::string serial_;
    uint64_t serial_bytes_ = 0;
    // One bit per page, while device writes are tracked.
    std::unique_ptr<std::atomic<uint64_t>[]> device_dirty_;
    std::atomic<bool> device_dirty_on_{false};

    std::mutex io_lock_;  // jobs_in_flight_
    std::condition_variable io_done_;
    uint64_t jobs_in_flight_ = 0;
};

}  // namespace ptv::worker
