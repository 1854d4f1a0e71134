// What happened to a guest, and the exit status that says so. One status
// per outcome, so a script (or a grader) can tell them apart without
// parsing text. 0 and 1 follow docs/DESIGN.md (success, guest-reported failure),
// 2 is the kit-wide usage error; the rest name the fault.
#pragma once

#include <string_view>

namespace ptv::worker {

enum class Outcome {
    Halted,           // HLT with interrupts off: the guest is done         0
    GuestExit,        // status 0 written to the debug-exit port            0
    GuestFailure,     // a non-zero status written to the debug-exit port   1
    UsageError,       // bad flag, file, image or no /dev/kvm                2
    TripleFault,      // shutdown: an exception the guest could not handle  3
    InvalidOpcode,    // ... caused by bytes that are not an instruction    4
    Timeout,          // the watchdog (--timeout) stopped it                5
    BusError,         // write to MMIO space no device claims              6
    DeviceError,      // a device refused what the guest gave it           7
    KvmFailure,       // KVM internal error, failed VM entry, unknown exit 8
    WorkerDied,       // the worker process itself died                    9
    Stopped,          // stopped on request (Ctrl-C, ptv)                  10
    Migrated,         // live-migrated away: it runs on the destination     0
    MigrationFailed,  // an incoming migration broke off before the switch  11
    GuestLost,        // post-copy: the source died with pages not yet here 12
};

constexpr int exit_status(Outcome o) {
    switch (o) {
        case Outcome::Halted:
        case Outcome::GuestExit:
        case Outcome::Migrated:
            return 0;
        case Outcome::GuestFailure:
            return 1;
        case Outcome::UsageError:
            return 2;
        case Outcome::TripleFault:
            return 3;
        case Outcome::InvalidOpcode:
            return 4;
        case Outcome::Timeout:
            return 5;
        case Outcome::BusError:
            return 6;
        case Outcome::DeviceError:
            return 7;
        case Outcome::KvmFailure:
            return 8;
        case Outcome::WorkerDied:
            return 9;
        case Outcome::Stopped:
            return 10;
        case Outcome::MigrationFailed:
            return 11;
        case Outcome::GuestLost:
            return 12;
    }
    return 8;
}

constexpr std::string_view outcome_name(Outcome o) {
    switch (o) {
        case Outcome::Halted:
            return "halted";
        case Outcome::GuestExit:
            return "guest-exit";
        case Outcome::GuestFailure:
            return "guest-failure";
        case Outcome::UsageError:
            return "usage-error";
        case Outcome::TripleFault:
            return "triple-fault";
        case Outcome::InvalidOpcode:
            return "invalid-opcode";
        case Outcome::Timeout:
            return "timeout";
        case Outcome::BusError:
            return "bus-error";
        case Outcome::DeviceError:
            return "device-error";
        case Outcome::KvmFailure:
            return "kvm-failure";
        case Outcome::WorkerDied:
            return "worker-died";
        case Outcome::Stopped:
            return "stopped";
        case Outcome::Migrated:
            return "migrated";
        case Outcome::MigrationFailed:
            return "migration-failed";
        case Outcome::GuestLost:
            return "guest-lost";
    }
    return "kvm-failure";
}

}  // namespace ptv::worker
