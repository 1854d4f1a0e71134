// Differential tests: every guest under every technique ends in the native
// run's state (registers, EFLAGS, memory hash, device output), except where
// trap-and-emulate must break equivalence: there the exact known violation
// (the first sensitive instruction that did not trap) is asserted.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "guests.hpp"

using namespace ptv;

namespace {

// Guests whose kernel executes a sensitive, unprivileged instruction, by
// (guest, technique): the first one, as the VMM's divergence names it.
// Trap-and-emulate runs the kernel in ring 3, paravirt (as Xen on 32-bit
// x86) in ring 1; a PV kernel avoids them (kernel-pv, see guests/README.md),
// except that with the kernel in ring 3 an IRET to the user cannot switch
// stacks.
const std::map<std::pair<std::string, std::string>, std::string> kKnownViolations = {
    {{"hlt-loop", "trap-emulate"}, "mov [edi+0x02], cs"},  // IDT gates built with the CS it reads
    {{"hlt-loop", "paravirt"}, "mov [edi+0x02], cs"},
    {{"kernel", "trap-emulate"}, "mov ax, cs"},  // "running in ring %d"
    {{"kernel", "paravirt"}, "mov ax, cs"},
    {{"kernel-pv", "trap-emulate"}, "iretd"},   // the first return to ring 3
    {{"popf", "trap-emulate"}, "pushfd"},       // after cli: IF=1
    {{"mb-syscall", "trap-emulate"}, "iretd"},  // into ring 3: a same-ring return there
    {{"popf", "paravirt"}, "pushfd"},
};

// Guests that never end by themselves (they wait for input or for a host
// client's requests, count, or fault forever).
const std::set<std::string> kRunaway = {"counter", "echo", "fault-forever", "hostring-echo"};
// Guests that do not fit the default memory (a usage error, tested elsewhere).
const std::set<std::string> kTooBig = {"fault-too-big"};
// Guests that spin on the PV clock page: under binary translation the page
// is rewritten at the end of a translated block, where interrupts are taken
// too, not at the very instruction the interpreter rewrites it at, so their
// seqlock retries -- and the instructions they retire -- fall elsewhere.
// Their device exits and outcome are the same (tests/vmm/test_clock_guests.cpp).
const std::set<std::string> kPvClockReaders = {"clock"};

std::string cmdline_for(const std::string& guest) {
    return test::loop_cmdline(guest);
}

}  // namespace

TEST_CASE("every guest under every technique: equivalent to native, or the known violation") {
    for (const auto& guest : test::all_guests()) {
        if (kTooBig.count(guest)) continue;
        CAPTURE(guest);
        const bool runaway = kRunaway.count(guest) > 0;
        const uint64_t budget = runaway ? 200'000 : 50'000'000;
        const auto native = test::run_model(guest, "native", cmdline_for(guest), budget);
        if (runaway) {
            CHECK(native.outcome == "instruction-budget");
            CHECK(native.status == exit_status(Outcome::InstructionBudget));
        } else {
            CHECK(native.outcome != "instruction-budget");
            CHECK(native.outcome != "unsupported-instruction");
        }
        CHECK(native.divergences.empty());
        for (const auto& t : vmm::technique_names()) {
            if (t == "native") continue;
            CAPTURE(t);
            const auto r = test::run_model(guest, t, cmdline_for(guest), budget);
            CHECK(r.outcome != "unsupported-instruction");
            auto known = kKnownViolations.find({guest, t});
            if (known == kKnownViolations.end()) {
                CHECK(r.outcome == native.outcome);
                CHECK(r.status == native.status);
            }
            if (runaway) continue;  // stopped mid-way: states need not match
            if (t == "binary-translation" && kPvClockReaders.count(guest)) continue;
            const auto eq = vmm::compare_states(native, r.final_state, r.output);
            if (known != kKnownViolations.end()) {
                // What the guest saw may change its course (a kernel panic).
                CHECK_FALSE(eq.equivalent);
                REQUIRE_FALSE(r.divergences.empty());
                CHECK(r.divergences.front().instruction == known->second);
            } else {
                CHECK_MESSAGE(eq.equivalent, eq.first_difference);
                CHECK(r.divergences.empty());
                CHECK(r.output == native.output);
                // The same guest instructions retire, however they were run.
                CHECK(r.instructions == native.instructions);
            }
        }
    }
}

TEST_CASE("kernel and kernel-pv on their SYSENTER path (the one kvm_pvm can run)") {
    for (const std::string guest : {"kernel", "kernel-pv"}) {
        CAPTURE(guest);
        const auto native = test::run_model(guest, "native", "sysenter");
        REQUIRE(native.outcome == "halted");
        CHECK(native.final_state.cpu.gpr[vmm::EAX] == 0x8b3f6b31);  // the log's checksum
        for (const auto& t : vmm::technique_names()) {
            CAPTURE(t);
            const auto r = test::run_model(guest, t, "sysenter");
            const auto eq = vmm::compare_states(native, r.final_state, r.output);
            if (guest == "kernel" && (t == "trap-emulate" || t == "paravirt")) {
                REQUIRE_FALSE(r.divergences.empty());
                CHECK(r.divergences.front().instruction == "mov ax, cs");
                CHECK_FALSE(eq.equivalent);
            } else {
                // No IRET on this path: even ring-3 trap-and-emulate runs the PV kernel right.
                CHECK_MESSAGE(eq.equivalent, eq.first_difference);
                CHECK(r.instructions == native.instructions);
                CHECK(r.divergences.empty());
            }
        }
    }
}
