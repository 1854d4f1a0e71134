// Exact counts for guests whose behaviour is known instruction by
// instruction (guests/README.md): traps by cause, VM exits by reason,
// hypercalls, device accesses, and the final state.
#include <doctest/doctest.h>

#include "guests.hpp"

using namespace ptv;

TEST_CASE("hello: 473 instructions, 63 traps under trap-and-emulate, 62 VM exits under VMX") {
    const auto n = test::run_model("hello", "native");
    CHECK(n.output == "Hello from a ptvlab guest!\n");
    CHECK(n.outcome == "halted");
    CHECK(n.instructions == 473);
    CHECK(n.counters.device_accesses == 61);
    CHECK(test::total(n.counters.traps) == 0);
    CHECK(test::total(n.counters.exits) == 0);
    CHECK(n.final_state.cpu.eip == n.stop_eip);

    const auto te = test::run_model("hello", "trap-emulate");
    CHECK(te.instructions == 473);
    CHECK(te.counters.traps ==
          std::map<std::string, uint64_t>{
              {"#GP (cli)", 1}, {"#GP (hlt)", 1}, {"#GP (in)", 27}, {"#GP (out)", 34}});
    CHECK(te.counters.exits.empty());

    const auto vmx = test::run_model("hello", "vmx");
    CHECK(vmx.outcome == "halted");
    // The same as the KVM worker's exit table for hello (guests/README.md).
    CHECK(vmx.counters.exits ==
          std::map<std::string, uint64_t>{{"HLT", 1}, {"I/O instruction", 61}});
    CHECK(vmx.details["vm_entries"] == 63);  // VMLAUNCH + 62 VMRESUMEs
    CHECK(vmx.details["exits"][0]["exit_reason"] == 30);
    // The first exit: the UART init's first OUT (qualification: 1 byte, OUT, DX, port 0x3f9).
    CHECK(vmx.details["exits"][0]["exit_qualification"] == "0x3f90000");
}

TEST_CASE(
    "pv-hello: one hypercall under paravirtualization, where the UART costs a trap per access") {
    const auto pv = test::run_model("pv-hello", "paravirt");
    const auto te = test::run_model("pv-hello", "trap-emulate");
    CHECK(pv.counters.hypercalls == 1);
    CHECK(te.counters.hypercalls == 0);
    CHECK(te.counters.traps.at("#GP (out)") == pv.counters.traps.at("#GP (out)") + 1);
    CHECK(pv.output == te.output);
}

TEST_CASE("pio-loop and mmio-loop: one exit per access under VMX") {
    const auto pio = test::run_model("pio-loop", "vmx", "1000");
    CHECK(pio.outcome == "guest-exit");
    CHECK(pio.counters.exits.at("I/O instruction") == 1001);  // 1000 + the debug-exit OUT
    const auto mmio = test::run_model("mmio-loop", "vmx", "1000");
    CHECK(mmio.counters.exits.at("EPT violation") == 1000);
    CHECK(mmio.counters.exits.at("I/O instruction") == 1);
    const auto te = test::run_model("pio-loop", "trap-emulate", "1000");
    CHECK(te.counters.traps.at("#GP (out)") == 1001);
    // Trap-and-emulate pays a trap where VMX pays an exit: both far above native.
    const auto native = test::run_model("pio-loop", "native", "1000");
    CHECK(native.cycles < pio.cycles);
    CHECK(native.cycles < te.cycles);
}

TEST_CASE("guest faults are outcomes with the guest's EIP, under every technique") {
    // Where fault-garbage's label 'garbage' (bytes 0f 04) lands in its image.
    constexpr uint32_t kGarbage = 0x10006c;
    for (const auto& t : vmm::technique_names()) {
        CAPTURE(t);
        const auto tf = test::run_model("fault-triple", t);
        CHECK(tf.outcome == "triple-fault");
        CHECK(tf.status == 3);
        const auto ud = test::run_model("fault-garbage", t);
        CHECK(ud.outcome == "invalid-opcode");
        CHECK(ud.status == 4);
        CHECK(ud.stop_eip == kGarbage);
        if (t == "vmx")  // a VM exit, worded by the exit policy as for a KVM guest
            CHECK(ud.message ==
                  "guest executed bytes that are not an x86 instruction (#UD), then "
                  "triple-faulted with no handler for it");
        else
            CHECK(ud.message.find("at EIP 0x10006c") != std::string::npos);
        const auto bus = test::run_model("fault-mmio-spray", t);
        CHECK(bus.outcome == "bus-error");
        CHECK(bus.status == 6);
        const auto dev = test::run_model("fault-pv-bad-ring", t);
        CHECK(dev.outcome == "device-error");
        CHECK(dev.status == 7);
        const auto forever = test::run_model("fault-forever", t, "", 100'000);
        CHECK(forever.outcome == "instruction-budget");
        CHECK(forever.status == exit_status(Outcome::InstructionBudget));
    }
    // VMX sees the triple fault as a VM exit (basic exit reason 2).
    CHECK(test::run_model("fault-triple", "vmx").counters.exits.at("Triple fault") == 1);
}
