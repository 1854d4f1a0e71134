// What happened to a guest, and the exit status that says so: one table for
// both substrates. The KVM worker (`ptv kvm run`, `ptv vm`, `ptv migrate`)
// and the CPU model (`ptv vmm run`) end every run in one of these, and the
// same number always means the same thing, so one grader or script reads
// either without parsing text. 0 and 1 are success and guest-reported
// failure, 2 is the kit-wide usage error; every other outcome has its own.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace ptv {

enum class Outcome {
    Halted,                  // HLT with interrupts off: the guest is done
    GuestExit,               // status 0 written to the debug-exit port
    GuestFailure,            // a non-zero status written to the debug-exit port
    UsageError,              // bad flag, file, image, or no /dev/kvm
    TripleFault,             // shutdown: an exception the guest could not handle
    InvalidOpcode,           // ... whose first cause was bytes that are no instruction
    Timeout,                 // the watchdog (--timeout) stopped it
    BusError,                // a write to MMIO space no device claims
    DeviceError,             // a device refused what the guest gave it
    KvmFailure,              // KVM internal error, failed VM entry, unknown exit
    WorkerDied,              // the worker process itself died
    Stopped,                 // stopped on request (Ctrl-C, ptv vm stop)
    Migrated,                // live-migrated away: it runs on the destination
    MigrationFailed,         // an incoming migration broke off before the switch
    GuestLost,               // post-copy: the source died with pages not yet here
    InstructionBudget,       // the CPU model ran --max-instructions
    UnsupportedInstruction,  // a valid instruction the CPU model does not implement
    Reset,                   // the guest reset the machine (the i8042's reset line)
};

struct OutcomeInfo {
    Outcome outcome;
    std::string_view name;  // in --json "outcome" and in messages
    int status;             // the process exit status
    std::string_view meaning;
};

// The table, in status order; README.md's table is this one.
inline constexpr std::array<OutcomeInfo, 18> kOutcomes{{
    {Outcome::Halted, "halted", 0, "the guest halted (HLT with interrupts off)"},
    {Outcome::GuestExit, "guest-exit", 0, "the guest wrote 0 to the debug-exit port"},
    {Outcome::Migrated, "migrated", 0, "live-migrated away: the guest runs on the destination"},
    {Outcome::GuestFailure, "guest-failure", 1,
     "the guest wrote a non-zero status to the debug-exit port"},
    {Outcome::UsageError, "usage-error", 2,
     "a usage error: bad flag, missing file, not a multiboot image, too big, no /dev/kvm"},
    {Outcome::TripleFault, "triple-fault", 3, "triple fault: an exception with no handler"},
    {Outcome::InvalidOpcode, "invalid-opcode", 4,
     "invalid opcode: the guest ran bytes that are not an instruction"},
    {Outcome::Timeout, "timeout", 5, "timeout (--timeout)"},
    {Outcome::BusError, "bus-error", 6, "bus error: a write to MMIO space no device claims"},
    {Outcome::DeviceError, "device-error", 7,
     "device error: a device refused what the guest gave it (e.g. bad PV ring indices)"},
    {Outcome::KvmFailure, "kvm-failure", 8, "KVM internal error, failed VM entry or unknown exit"},
    {Outcome::WorkerDied, "worker-died", 9, "the worker process died"},
    {Outcome::Stopped, "stopped", 10, "stopped on request (Ctrl-C, ptv vm stop)"},
    {Outcome::MigrationFailed, "migration-failed", 11,
     "an incoming live migration broke off before the switch-over"},
    {Outcome::GuestLost, "guest-lost", 12,
     "post-copy: the source died with pages not yet on the destination"},
    {Outcome::InstructionBudget, "instruction-budget", 13,
     "the CPU model ran its instruction budget (--max-instructions)"},
    {Outcome::UnsupportedInstruction, "unsupported-instruction", 14,
     "a valid instruction the CPU model does not implement"},
    {Outcome::Reset, "reset", 15,
     "the guest reset the machine (the i8042's pulse-reset command); the run ends there"},
}};

constexpr const OutcomeInfo& outcome_info(Outcome o) {
    for (const OutcomeInfo& i : kOutcomes)
        if (i.outcome == o) return i;
    return kOutcomes[0];  // unreachable: every enumerator is in the table
}
constexpr int exit_status(Outcome o) {
    return outcome_info(o).status;
}
constexpr std::string_view outcome_name(Outcome o) {
    return outcome_info(o).name;
}
constexpr std::optional<Outcome> outcome_named(std::string_view name) {
    for (const OutcomeInfo& i : kOutcomes)
        if (i.name == name) return i.outcome;
    return std::nullopt;
}

}  // namespace ptv
