#include "ptv/vnd/exit_policy.hpp"

#include <fmt/format.h>

#include "ptv/vnd/exit_instruction.hpp"
#include "ptv/vnd/guest_code.hpp"

namespace ptv::vnd {

namespace {

void ensure_code(Exit& exit, const CodeReader& read_code) {
    if (!exit.has_code && read_code) read_code(exit);
}

// ", by 'out dx, eax'" for a message about a faulting access, and the
// culprit's address for the outcome's RIP (KVM may report RIP past it).
std::string culprit(Exit& exit, const CodeReader& read_code, std::optional<uint64_t>& rip) {
    ensure_code(exit, read_code);
    if (!exit.has_code) return "";
    auto insn = causing_instruction(exit.reason, exit.is_write, {exit.code.data(), exit.code_len},
                                    exit.code_rip_offset, exit.rip, CpuMode(exit.cpu_mode));
    if (!insn) return "";
    rip = insn->address;
    return fmt::format(", by '{}'", insn->text);
}

// The instruction at RIP as text: "" for bytes that are no instruction,
// "?" when the bytes could not be read.
std::string text_at_rip(Exit& exit, const CodeReader& read_code) {
    ensure_code(exit, read_code);
    if (!exit.has_code) return "?";
    auto insn = instruction_at_rip(exit);
    return insn ? insn->text : "";
}

}  // namespace

std::optional<Verdict> ExitPolicy::judge(Exit& exit, const Notification& n,
                                         const CodeReader& read_code) const {
    if (n.stop) [[unlikely]]
        return device_stop(exit, *n.stop, read_code);
    switch (exit.reason) {
        case ExitReason::PortIo:
            return std::nullopt;
        case ExitReason::Mmio:
            if (n.unclaimed && exit.is_write && !options_.allow_unclaimed_mmio) [[unlikely]]
                return bus_error(exit, read_code);
            return std::nullopt;
        case ExitReason::Hlt:
            return halt(exit);
        case ExitReason::Shutdown:
            return shutdown(exit, read_code);
        case ExitReason::Interrupted:
            return std::nullopt;  // the vCPU loop looks at why it was kicked
        case ExitReason::InternalError:
        case ExitReason::FailEntry:
        case ExitReason::Unknown:
        case ExitReason::kCount:
            break;
    }
    return kvm_failure(exit, read_code);
}

std::optional<Verdict> ExitPolicy::device_stop(Exit& exit, const vmb::StopRequest& req,
                                               const CodeReader& read_code) const {
    if (req.kind == vmb::StopRequest::Kind::GuestExit) {
        if (req.status == 0)
            return Verdict{Outcome::GuestExit, "guest wrote status 0 to the debug-exit port", {}};
        return Verdict{
            Outcome::GuestFailure,
            fmt::format("guest reported failure: status {} on the debug-exit port", req.status),
            {}};
    }
    if (req.kind == vmb::StopRequest::Kind::Reset) {
        // Not an error: a PC reboots this way. The run ends here; a new
        // boot would be a new run.
        Verdict v{Outcome::Reset, {}, {}};
        const std::string by = culprit(exit, read_code, v.rip);
        v.message = fmt::format("guest reset the machine through the {}: {}{}", req.device,
                                req.message, by);
        return v;
    }
    Verdict v{Outcome::DeviceError, {}, {}};
    v.message = fmt::format("{}: {}{}", req.device, req.message, culprit(exit, read_code, v.rip));
    return v;
}

std::optional<Verdict> ExitPolicy::bus_error(Exit& exit, const CodeReader& read_code) const {
    Verdict v{Outcome::BusError, {}, {}};
    const std::string by = culprit(exit, read_code, v.rip);
    v.message = fmt::format(
        "bus error: guest wrote {} byte(s) to {:#x}, MMIO space no device claims{} "
        "(--allow-unclaimed-mmio drops such writes instead)",
        exit.size, exit.address, by);
    return v;
}

std::optional<Verdict> ExitPolicy::halt(const Exit& exit) const {
    if (exit.interrupts_enabled) return std::nullopt;  // the wait is over at once
    return Verdict{Outcome::Halted, "guest halted (hlt with interrupts off)", {}};
}

std::optional<Verdict> ExitPolicy::shutdown(Exit& exit, const CodeReader& read_code) const {
    // A triple fault. If the bytes at RIP are no instruction at all, the
    // first of the three faults was #UD: name that, it is the cause.
    if (exit.vcpu_reset)
        return Verdict{Outcome::TripleFault,
                       "guest triple-faulted (shutdown); this host's KVM resets the vCPU at a "
                       "shutdown (AMD SVM does), so the instruction that faulted and the guest "
                       "RIP are lost",
                       {},
                       true};
    const std::string insn = text_at_rip(exit, read_code);
    if (insn.empty())
        return Verdict{Outcome::InvalidOpcode,
                       "guest executed bytes that are not an x86 instruction (#UD), then "
                       "triple-faulted with no handler for it",
                       {}};
    if (insn.starts_with("ud"))
        return Verdict{Outcome::InvalidOpcode,
                       fmt::format("guest executed an undefined opcode ({}), then triple-faulted "
                                   "with no handler for it",
                                   insn),
                       {}};
    return Verdict{
        Outcome::TripleFault,
        fmt::format("guest triple-faulted (shutdown): no handler for the exception raised by '{}'",
                    insn),
        {}};
}

std::optional<Verdict> ExitPolicy::kvm_failure(Exit& exit, const CodeReader& read_code) const {
    switch (exit.reason) {
        case ExitReason::InternalError: {
            // KVM intercepts #UD to emulate a few instructions itself;
            // garbage it cannot emulate comes back as an emulation failure.
            // Bytes that are no instruction are the guest's fault, not
            // KVM's: say so.
            if (exit.hardware_reason == kEmulationFailure) {
                const std::string insn = text_at_rip(exit, read_code);
                if (insn.empty())
                    return Verdict{Outcome::InvalidOpcode,
                                   "guest executed bytes that are not an x86 instruction "
                                   "(invalid opcode)",
                                   {}};
                if (insn.starts_with("ud"))
                    return Verdict{Outcome::InvalidOpcode,
                                   fmt::format("guest executed an undefined opcode ({})", insn),
                                   {}};
            }
            static constexpr const char* kSuberrors[] = {
                "", "emulation failure", "simultaneous exception", "delivery event failure"};
            const char* what =
                exit.hardware_reason < 4 ? kSuberrors[exit.hardware_reason] : "unknown";
            return Verdict{Outcome::KvmFailure,
                           fmt::format("KVM internal error {} ({}): KVM could not handle what "
                                       "the guest did",
                                       exit.hardware_reason, what),
                           {}};
        }
        case ExitReason::FailEntry:
            return Verdict{Outcome::KvmFailure,
                           fmt::format("VM entry failed (hardware reason {:#x}): invalid guest "
                                       "state",
                                       exit.hardware_reason),
                           {}};
        default:
            return Verdict{Outcome::KvmFailure,
                           fmt::format("unexpected KVM exit reason {}", exit.hardware_reason),
                           {}};
    }
}

}  // namespace ptv::vnd
