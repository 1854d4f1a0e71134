// The worker's policy for the exits that are not device accesses: what a
// HLT, a triple fault, a KVM internal error or a failed VM entry means for
// the guest, and which outcome (and exit status) it ends in.
#include <fmt/format.h>

#include <algorithm>

#include "ptv/common/disasm.hpp"
#include "ptv/worker/worker.hpp"

namespace ptv::worker {

using vnd::Action;
using vnd::ExitReason;

// The worker's reaction to each exit that is not a device access.
void WorkerProcess::register_policies() {
    dispatcher_->on(ExitReason::Hlt, [this](const vnd::Exit& e) {
        if (!e.interrupts_enabled) {
            outcome_ = Outcome::Halted;
            message_ = "guest halted (hlt with interrupts off)";
            return Action::Stop;
        }
        // HLT waits for an interrupt. No device raises one yet, so the
        // wait is over at once: the guest resumes after its HLT.
        return Action::Resume;
    });
    dispatcher_->on(ExitReason::Shutdown, [this](const vnd::Exit&) {
        // A triple fault. If the bytes at RIP are no instruction at all, the
        // first of the three faults was #UD: name that, it is the cause.
        std::string insn = instruction_at_rip();
        if (insn.empty()) {
            outcome_ = Outcome::InvalidOpcode;
            message_ =
                "guest executed bytes that are not an x86 instruction (#UD), then "
                "triple-faulted with no handler for it";
        } else if (insn.starts_with("ud")) {
            outcome_ = Outcome::InvalidOpcode;
            message_ = fmt::format(
                "guest executed an undefined opcode ({}), then triple-faulted "
                "with no handler for it",
                insn);
        } else {
            outcome_ = Outcome::TripleFault;
            message_ = fmt::format(
                "guest triple-faulted (shutdown): no handler for the exception raised by '{}'",
                insn);
        }
        return Action::Stop;
    });
    dispatcher_->on(ExitReason::InternalError, [this](const vnd::Exit& e) {
        // KVM intercepts #UD to emulate a few instructions itself; garbage
        // it cannot emulate comes back as an emulation failure. Bytes that
        // are no instruction are the guest's fault, not KVM's: say so.
        if (e.hardware_reason == KVM_INTERNAL_ERROR_EMULATION) {
            std::string insn = instruction_at_rip();
            if (insn.empty() || insn.starts_with("ud")) {
                outcome_ = Outcome::InvalidOpcode;
                message_ = insn.empty()
                               ? "guest executed bytes that are not an x86 instruction "
                                 "(invalid opcode)"
                               : fmt::format("guest executed an undefined opcode ({})", insn);
                return Action::Stop;
            }
        }
        outcome_ = Outcome::KvmFailure;
        static constexpr const char* kSuberrors[] = {
            "", "emulation failure", "simultaneous exception", "delivery event failure"};
        const char* what = e.hardware_reason < 4 ? kSuberrors[e.hardware_reason] : "unknown";
        message_ = fmt::format(
            "KVM internal error {} ({}): KVM could not handle what the guest "
            "did",
            e.hardware_reason, what);
        return Action::Stop;
    });
    dispatcher_->on(ExitReason::FailEntry, [this](const vnd::Exit& e) {
        outcome_ = Outcome::KvmFailure;
        message_ = fmt::format("VM entry failed (hardware reason {:#x}): invalid guest state",
                               e.hardware_reason);
        return Action::Stop;
    });
    dispatcher_->on(ExitReason::Unknown, [this](const vnd::Exit& e) {
        outcome_ = Outcome::KvmFailure;
        message_ = fmt::format("unexpected KVM exit reason {}", e.hardware_reason);
        return Action::Stop;
    });
}

std::string WorkerProcess::instruction_at_rip() {
    try {
        const kvm_regs r = vcpu_->regs();
        const kvm_sregs s = vcpu_->sregs();
        uint64_t linear = s.cs.base + r.rip;
        uint64_t phys = linear;
        if (s.cr0 & 0x80000000) {
            auto t = vcpu_->translate(linear);
            if (!t) return "?";
            phys = *t;
        }
        auto ram = memory_.span();
        if (phys >= ram.size()) return "?";
        const CpuMode mode = (s.efer & 0x400) && s.cs.l ? CpuMode::Long64
                             : s.cs.db                  ? CpuMode::Protected32
                                                        : CpuMode::Real16;
        auto insn =
            disassemble(ram.subspan(phys, std::min<size_t>(15, ram.size() - phys)), r.rip, mode);
        return insn ? insn->text : "";
    } catch (const std::exception&) {
        return "?";
    }
}

}  // namespace ptv::worker
