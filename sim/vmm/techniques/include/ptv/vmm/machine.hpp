// The simulated machine a technique runs a guest on: guest RAM, the virtual
// motherboard with the same devices the KVM worker has (16550 UART, POST
// port, debug-exit, 8254 PIT, i8042 keyboard controller, VGA text console,
// PV console, PV clock, event channel, PV disk, MMIO scratch page), the
// notification dispatcher that routes accesses to them, and the multiboot
// boot the KVM worker does, so a guest starts from the same memory and
// registers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ptv/devices/device_set.hpp"
#include "ptv/devices/key_script.hpp"
#include "ptv/devices/pv_clock.hpp"
#include "ptv/vmb/machine.hpp"
#include "ptv/vmb/motherboard.hpp"
#include "ptv/vmm/cpu.hpp"
#include "ptv/vnd/dispatcher.hpp"
#include "ptv/vnd/exit_policy.hpp"

namespace ptv::vmm {

struct GuestConfig {
    std::string image_path;
    // The image itself, when it was made in memory (a generated guest):
    // used instead of reading image_path.
    std::vector<uint8_t> image;
    std::string name;
    std::string cmdline;
    uint32_t memory_mib = 64;  // as `ptv kvm run`
    bool echo = false;         // copy guest console output to stdout as it comes
    bool allow_unclaimed_mmio = false;
    // Devices beyond the registry's (a test's, a lab's), plugged in with
    // the others by their init level, as DeviceSet::add does.
    std::vector<devices::DeviceEntry> extra_devices;
    // Keys pressed on the i8042's keyboard at these model times (`--keys`),
    // so a run with input is the same every time.
    std::vector<devices::ScheduledKey> keys;
    // Called once the devices are made, before the guest runs: a test hands
    // a host-side device the work the guest will find, such as the host
    // ring's clients' requests (HostRing::send), which wait there until the
    // guest binds its queue. The model has no host clients of its own.
    std::function<void(devices::DeviceSet&)> prepare_devices;
};

class SimulatedMachine : public vmb::Machine {
  public:
    // Loads the image (throws ptv::UsageError for a bad image or size).
    explicit SimulatedMachine(const GuestConfig& config);

    // The register state the multiboot specification promises (the same
    // as worker/boot.cpp gives a KVM vCPU).
    void boot(CpuState& s) const;
    uint32_t entry() const { return entry_; }

    // A port or MMIO access from the guest, routed by the dispatcher to the
    // device that claimed it, then judged by the exit policy (a device's
    // stop, a bus error end the run). `exit` carries rip/code when tracing.
    uint32_t access(Cpu& cpu, vnd::Exit& exit, uint32_t value);
    // An exit as the KVM worker would see it here, on the model's clock.
    vnd::Exit make_exit(Cpu& cpu, vnd::ExitReason reason, uint32_t address, uint8_t size,
                        bool is_write);
    // Dispatches an exit that is no device access (HLT, shutdown) and asks
    // the exit policy what it means (nullopt: the vCPU resumes).
    std::optional<vnd::Verdict> dispatch(Cpu& cpu, vnd::Exit& exit);
    // The exit policy's word alone, for an event that does not leave the
    // guest under a technique (a HLT on the bare machine).
    std::optional<vnd::Verdict> judge(const Cpu& cpu, vnd::Exit& exit,
                                      const vnd::Notification& n) const;

    vnd::NotificationDispatcher& dispatcher() { return *dispatcher_; }
    const vnd::NotificationDispatcher& dispatcher() const { return *dispatcher_; }
    const std::string& output() const { return output_; }
    // The VGA text screen as the guest left it (25 lines of text).
    std::vector<std::string> screen() const;
    // The CPU whose run this machine hosts: its instruction count is the
    // dispatcher's clock (1 µs of trace time per instruction). The key
    // script's presses are handed to the keyboard then, on that clock.
    void attach(Cpu& cpu);
    // The machine's periodic work, on the model's time (the CPU's timer,
    // through its platform): the PV clock page is rewritten every
    // PvClock::kRefreshPeriodNs, as the KVM worker's clock thread does.
    void timer(Cpu& cpu);
    // Model time per instruction.
    static constexpr uint64_t kNsPerInstruction = 1000;
    const GuestConfig& config() const { return config_; }

    // vmb::Machine
    std::span<uint8_t> ram() override { return ram_; }
    void console_write(std::string_view bytes) override;
    // Traced by the dispatcher, whose guest notifier posts the completion's
    // event to its vCPU on the event channel (as the KVM worker does).
    void complete(const vmb::Completion& completion) override;
    // The model serves an asynchronous job (the PV disk's requests) at once,
    // inside the exit that started it, at no model time: it has no wall
    // clock to wait out the latency on, and a run stays the same every time.
    // A guest's "sti; hlt" then finds its event already pending.
    void submit(vmb::IoJob job) override { job.run(); }
    // The model's time, 1 µs per instruction (the dispatcher's clock too);
    // 0 until a CPU is attached, so devices made with the machine start at 0.
    uint64_t now_ns() const override {
        return cpu_ ? cpu_->counters().instructions * kNsPerInstruction : 0;
    }

  private:
    void capture_code(const Cpu& cpu, vnd::Exit& exit) const;

    GuestConfig config_;
    std::vector<uint8_t> ram_;
    uint32_t entry_ = 0;
    // Before the devices: they may ask the time (now_ns()) when they are made.
    const Cpu* cpu_ = nullptr;
    vmb::VirtualMotherboard board_;
    devices::DeviceSet devices_{*this};
    std::unique_ptr<vnd::NotificationDispatcher> dispatcher_;
    devices::PvClock* pv_clock_ = nullptr;  // refreshed by timer()
    static constexpr uint64_t kRefreshInstructions =
        devices::PvClock::kRefreshPeriodNs / kNsPerInstruction;
    uint64_t next_refresh_ = 0;  // the timer's deadline, in instructions
    vnd::ExitPolicy policy_;
    std::string output_;
    bool keys_pressed_ = false;
};

}  // namespace ptv::vmm
