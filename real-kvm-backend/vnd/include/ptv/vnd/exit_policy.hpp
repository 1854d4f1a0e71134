// What an exit means for the run: the one exit policy of the kit. The KVM
// worker's vCPU loop and the CPU model's VMX technique both ask it after
// the dispatcher has handled an exit, and get the same answer for the same
// exit: resume, or end with an outcome (ptv/common/outcome.hpp), a message
// and, when it is known, the address of the instruction to blame.
//
// The rules, in the order they are asked:
//   - a device asked to stop (its Notification carries the request): the
//     debug-exit port's status, or a device error the guest caused;
//   - a write to MMIO space no device claims is a bus error (unless the
//     run drops such writes, --allow-unclaimed-mmio);
//   - HLT with interrupts off ends the run; with interrupts on, HLT waits
//     for an interrupt, and no device raises one yet, so the wait is over
//     at once and the guest resumes after its HLT;
//   - a shutdown is a triple fault, named invalid-opcode when the bytes at
//     RIP are no instruction (the first of the three faults was #UD);
//   - KVM's internal errors, failed entries and unknown exits are KVM's
//     failures, except an emulation failure on bytes that are no
//     instruction, which is the guest's invalid opcode.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ptv/common/outcome.hpp"
#include "ptv/vnd/dispatcher.hpp"
#include "ptv/vnd/exit.hpp"

namespace ptv::vnd {

// The end of a run, as the policy judged it.
struct Verdict {
    Outcome outcome;
    std::string message;
    std::optional<uint64_t> rip;  // the instruction to blame, when known
    // The host lost where the guest was (Exit::vcpu_reset): no RIP and no
    // final state are reported, rather than the reset vector's.
    bool state_lost = false;
};

// Fills in exit's code around RIP (guest_code.hpp) when the policy needs
// the instruction; each substrate reads its own registers and RAM.
using CodeReader = std::function<void(Exit&)>;

class ExitPolicy {
  public:
    struct Options {
        bool allow_unclaimed_mmio = false;  // drop unclaimed MMIO writes
    };
    ExitPolicy() = default;
    explicit ExitPolicy(Options options) : options_(options) {}

    // nullopt: the vCPU resumes. `exit` gains its code when a message
    // needs the instruction.
    std::optional<Verdict> judge(Exit& exit, const Notification& n,
                                 const CodeReader& read_code) const;

  private:
    std::optional<Verdict> device_stop(Exit& exit, const vmb::StopRequest& request,
                                       const CodeReader& read_code) const;
    std::optional<Verdict> bus_error(Exit& exit, const CodeReader& read_code) const;
    std::optional<Verdict> halt(const Exit& exit) const;
    std::optional<Verdict> shutdown(Exit& exit, const CodeReader& read_code) const;
    std::optional<Verdict> kvm_failure(Exit& exit, const CodeReader& read_code) const;

    Options options_;
};

}  // namespace ptv::vnd
