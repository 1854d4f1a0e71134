// The exit policy without KVM: each exit a test builds by hand, judged as
// the worker's vCPU loop and the CPU model's VMX technique would have it.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "ptv/vnd/exit_policy.hpp"
#include "ptv/vnd/guest_code.hpp"

using namespace ptv;
using namespace ptv::vnd;

namespace {

constexpr uint64_t kCode = 0x1000;

// Guest RAM with `bytes` at kCode, and a reader that captures the code
// around `rip` from it, counting how often it is asked.
struct Guest {
    explicit Guest(std::vector<uint8_t> bytes) : ram(0x2000, 0x90) {
        std::copy(bytes.begin(), bytes.end(), ram.begin() + kCode);
    }
    CodeReader reader(uint64_t rip) {
        return [this, rip](Exit& e) {
            ++reads;
            capture_code(e, ram, rip, rip, CpuMode::Protected32);
        };
    }
    std::vector<uint8_t> ram;
    int reads = 0;
};

Exit exit_of(ExitReason reason) {
    Exit e;
    e.reason = reason;
    return e;
}

Notification stop_from(vmb::StopRequest::Kind kind, uint32_t status, std::string message = {}) {
    Notification n;
    n.stop = vmb::StopRequest{kind, status, "dev", std::move(message)};
    return n;
}

}  // namespace

TEST_CASE("device accesses resume unless the device asked to stop") {
    ExitPolicy policy;
    Exit io = exit_of(ExitReason::PortIo);
    CHECK_FALSE(policy.judge(io, {}, {}));

    auto v = policy.judge(io, stop_from(vmb::StopRequest::Kind::GuestExit, 0), {});
    REQUIRE(v);
    CHECK(v->outcome == Outcome::GuestExit);
    CHECK(exit_status(v->outcome) == 0);

    v = policy.judge(io, stop_from(vmb::StopRequest::Kind::GuestExit, 3), {});
    REQUIRE(v);
    CHECK(v->outcome == Outcome::GuestFailure);
    CHECK(v->message == "guest reported failure: status 3 on the debug-exit port");
    CHECK(exit_status(v->outcome) == 1);
}

TEST_CASE("a device error names the device and the instruction, and blames its address") {
    // out dx, eax at kCode; KVM reports RIP after it.
    Guest g({0xef});
    ExitPolicy policy;
    Exit io = exit_of(ExitReason::PortIo);
    io.is_write = true;
    const auto v = policy.judge(io, stop_from(vmb::StopRequest::Kind::DeviceError, 0, "bad ring"),
                                g.reader(kCode + 1));
    REQUIRE(v);
    CHECK(v->outcome == Outcome::DeviceError);
    CHECK(v->message == "dev: bad ring, by 'out dx, eax'");
    CHECK(v->rip == kCode);
    CHECK(exit_status(v->outcome) == 7);
}

TEST_CASE("a reset request ends the run as a reset, naming the device, the command and the OUT") {
    // out 0x64, al at kCode; the model and KVM report EIP after it.
    Guest g({0xe6, 0x64});
    ExitPolicy policy;
    Exit io = exit_of(ExitReason::PortIo);
    io.is_write = true;
    Notification n;
    n.stop = vmb::StopRequest{vmb::StopRequest::Kind::Reset, 0, "i8042",
                              "command 0xfe pulsed the reset line"};
    const auto v = policy.judge(io, n, g.reader(kCode + 2));
    REQUIRE(v);
    CHECK(v->outcome == Outcome::Reset);
    CHECK(v->message ==
          "guest reset the machine through the i8042: command 0xfe pulsed the reset line, by "
          "'out 0x64, al'");
    CHECK(v->rip == kCode);
    CHECK(exit_status(v->outcome) == 15);
    CHECK(outcome_name(v->outcome) == "reset");
}

TEST_CASE("an unclaimed MMIO write is a bus error unless such writes are dropped") {
    // mov [0xd0001000], eax
    Guest g({0xa3, 0x00, 0x10, 0x00, 0xd0});
    Exit w = exit_of(ExitReason::Mmio);
    w.is_write = true;
    w.size = 4;
    w.address = 0xd0001000;
    Notification unclaimed;
    unclaimed.unclaimed = true;

    const auto v = ExitPolicy{}.judge(w, unclaimed, g.reader(kCode + 5));
    REQUIRE(v);
    CHECK(v->outcome == Outcome::BusError);
    CHECK(v->message ==
          "bus error: guest wrote 4 byte(s) to 0xd0001000, MMIO space no device claims, by 'mov "
          "[0xD0001000], eax' (--allow-unclaimed-mmio drops such writes instead)");
    CHECK(v->rip == kCode);

    Exit w2 = w;
    w2.has_code = false;
    CHECK_FALSE(ExitPolicy{{true}}.judge(w2, unclaimed, {}));
    Exit r = exit_of(ExitReason::Mmio);
    CHECK_FALSE(ExitPolicy{}.judge(r, unclaimed, {}));  // reads float high
}

TEST_CASE("HLT ends the run only with interrupts off, and needs no code") {
    Guest g({0xf4});
    ExitPolicy policy;
    Exit h = exit_of(ExitReason::Hlt);
    h.interrupts_enabled = true;
    CHECK_FALSE(policy.judge(h, {}, g.reader(kCode + 1)));
    h.interrupts_enabled = false;
    const auto v = policy.judge(h, {}, g.reader(kCode + 1));
    REQUIRE(v);
    CHECK(v->outcome == Outcome::Halted);
    CHECK(v->message == "guest halted (hlt with interrupts off)");
    CHECK(g.reads == 0);
}

TEST_CASE("a shutdown is a triple fault, or an invalid opcode when RIP holds no instruction") {
    ExitPolicy policy;
    SUBCASE("ud2") {
        Guest g({0x0f, 0x0b});
        Exit s = exit_of(ExitReason::Shutdown);
        const auto v = policy.judge(s, {}, g.reader(kCode));
        REQUIRE(v);
        CHECK(v->outcome == Outcome::InvalidOpcode);
        CHECK(v->message.find("undefined opcode (ud2)") != std::string::npos);
        CHECK(exit_status(v->outcome) == 4);
    }
    SUBCASE("bytes that are no instruction") {
        Guest g({0xff, 0xff});  // FF /7 is undefined
        Exit s = exit_of(ExitReason::Shutdown);
        const auto v = policy.judge(s, {}, g.reader(kCode));
        REQUIRE(v);
        CHECK(v->outcome == Outcome::InvalidOpcode);
        CHECK(v->message.find("not an x86 instruction") != std::string::npos);
    }
    SUBCASE("a real instruction whose exception had no handler") {
        Guest g({0x8b, 0x05, 0x00, 0x00, 0x00, 0xf0});  // mov eax, [0xf0000000]
        Exit s = exit_of(ExitReason::Shutdown);
        const auto v = policy.judge(s, {}, g.reader(kCode));
        REQUIRE(v);
        CHECK(v->outcome == Outcome::TripleFault);
        CHECK(v->message ==
              "guest triple-faulted (shutdown): no handler for the exception raised by 'mov "
              "eax, [0xF0000000]'");
        CHECK(exit_status(v->outcome) == 3);
    }
    SUBCASE("code that cannot be read") {
        Exit s = exit_of(ExitReason::Shutdown);
        const auto v = policy.judge(s, {}, {});
        REQUIRE(v);
        CHECK(v->outcome == Outcome::TripleFault);
        CHECK(v->message.find("raised by '?'") != std::string::npos);
    }
}

TEST_CASE("KVM's own failures are kvm-failure, but an emulation failure on ud2 is the guest's") {
    ExitPolicy policy;
    Guest ud({0x0f, 0x0b});
    Exit e = exit_of(ExitReason::InternalError);
    e.hardware_reason = kEmulationFailure;
    auto v = policy.judge(e, {}, ud.reader(kCode));
    REQUIRE(v);
    CHECK(v->outcome == Outcome::InvalidOpcode);
    CHECK(v->message == "guest executed an undefined opcode (ud2)");

    Guest iret({0xcf});
    Exit e2 = exit_of(ExitReason::InternalError);
    e2.hardware_reason = kEmulationFailure;
    v = policy.judge(e2, {}, iret.reader(kCode));
    REQUIRE(v);
    CHECK(v->outcome == Outcome::KvmFailure);
    CHECK(v->message ==
          "KVM internal error 1 (emulation failure): KVM could not handle what the guest did");
    CHECK(exit_status(v->outcome) == 8);

    Exit f = exit_of(ExitReason::FailEntry);
    f.hardware_reason = 0x21;
    v = policy.judge(f, {}, {});
    REQUIRE(v);
    CHECK(v->message == "VM entry failed (hardware reason 0x21): invalid guest state");
    Exit u = exit_of(ExitReason::Unknown);
    u.hardware_reason = 99;
    v = policy.judge(u, {}, {});
    REQUIRE(v);
    CHECK(v->message == "unexpected KVM exit reason 99");
}

TEST_CASE("the outcome table gives every outcome its own name and number (0 is success)") {
    std::set<std::string_view> names;
    std::map<int, int> per_status;
    for (const auto& o : kOutcomes) {
        CHECK(names.insert(o.name).second);
        ++per_status[o.status];
        CHECK(outcome_named(o.name) == o.outcome);
    }
    CHECK(per_status[0] == 3);  // halted, guest-exit, migrated
    for (const auto& [status, n] : per_status)
        if (status != 0) CHECK(n == 1);
    CHECK(exit_status(Outcome::InstructionBudget) != exit_status(Outcome::Timeout));
    CHECK(exit_status(Outcome::UnsupportedInstruction) != exit_status(Outcome::MigrationFailed));
}

TEST_CASE("the README's outcome table lists every outcome with its status") {
    std::ifstream in(std::string(PTV_SOURCE_DIR) + "/README.md");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& o : kOutcomes) {
        CAPTURE(o.name);
        CHECK(text.str().find(fmt::format("| {} | `{}` |", o.status, o.name)) != std::string::npos);
    }
}
