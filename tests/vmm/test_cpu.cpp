// The CPU model's system behaviour, which a user-mode emulator such as
// Unicorn cannot check: privilege rules at CPL 3 (CLI, POPF, PUSHF: Robin &
// Irvine 2000), event delivery through the IDT with the stack switch from
// the TSS, IRET back to ring 3, triple faults, and unsupported instructions
// as an outcome rather than a crash.
#include <doctest/doctest.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "ptv/vmm/cpu.hpp"

using namespace ptv::vmm;
using ptv::Outcome;

namespace {

// A machine with a GDT (flat ring 0 and ring 3 code and data, a TSS), an
// IDT and room for code at fixed addresses.
constexpr uint32_t kGdt = 0x1000, kIdt = 0x2000, kTss = 0x3000;
constexpr uint32_t kUserCode = 0x10000, kKernelCode = 0x20000;
constexpr uint32_t kUserStack = 0x30000, kKernelStack = 0x40000;
constexpr uint16_t kKernelCs = 0x08, kKernelDs = 0x10, kUserCs = 0x1b, kUserDs = 0x23,
                   kTssSel = 0x28;

class NoDevices : public Platform {
  public:
    uint32_t port_in(Cpu&, uint16_t, uint8_t) override { return 0xffffffffu; }
    void port_out(Cpu&, uint16_t, uint8_t, uint32_t) override {}
    uint32_t mmio_read(Cpu&, uint32_t, uint8_t) override { return 0xffffffffu; }
    void mmio_write(Cpu&, uint32_t, uint8_t, uint32_t) override {}
    // A HLT no interrupt can end stops these tests' machine.
    void on_hlt(Cpu& cpu) override {
        if (!cpu.state().interrupts_enabled()) cpu.request_stop("hlt", Outcome::Halted);
    }
};

uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags_nibble) {
    return (limit & 0xffffull) | uint64_t(base & 0xffffff) << 16 | uint64_t(access) << 40 |
           uint64_t((limit >> 16) & 0xf) << 48 | uint64_t(flags_nibble) << 52 |
           uint64_t(base >> 24) << 56;
}

struct Machine {
    std::vector<uint8_t> ram = std::vector<uint8_t>(1 << 20, 0);
    NoDevices platform;
    Cpu cpu{ram, platform};

    Machine() {
        put64(kGdt + 0x00, 0);
        put64(kGdt + 0x08, descriptor(0, 0xfffff, 0x9b, 0xc));  // ring 0 code
        put64(kGdt + 0x10, descriptor(0, 0xfffff, 0x93, 0xc));  // ring 0 data
        put64(kGdt + 0x18, descriptor(0, 0xfffff, 0xfb, 0xc));  // ring 3 code
        put64(kGdt + 0x20, descriptor(0, 0xfffff, 0xf3, 0xc));  // ring 3 data
        put64(kGdt + 0x28, descriptor(kTss, 0x67, 0x89, 0x0));  // 32-bit TSS
        put32(kTss + 4, kKernelStack);                          // esp0
        put32(kTss + 8, kKernelDs);                             // ss0
        CpuState& s = cpu.state();
        s.gdtr = {kGdt, 0x2f};
        s.idtr = {kIdt, 0x7ff};
        s.cr0 = 0x11;
        s.tr = Segment{kTssSel, kTss, 0x67, 0x8b, false, true};
        kernel_mode();
    }
    void kernel_mode() {
        CpuState& s = cpu.state();
        s.seg[CS] = Segment{kKernelCs, 0, 0xffffffffu, 0x9b, true, true};
        for (Sreg r : {ES, SS, DS, FS, GS})
            s.seg[r] = Segment{kKernelDs, 0, 0xffffffffu, 0x93, true, true};
        s.gpr[ESP] = kKernelStack;
        s.eip = kKernelCode;
    }
    void user_mode(uint32_t eflags) {
        CpuState& s = cpu.state();
        s.seg[CS] = Segment{kUserCs, 0, 0xffffffffu, 0xfb, true, true};
        for (Sreg r : {ES, SS, DS, FS, GS})
            s.seg[r] = Segment{kUserDs, 0, 0xffffffffu, 0xf3, true, true};
        s.gpr[ESP] = kUserStack;
        s.eip = kUserCode;
        s.eflags = eflags | flags::Reserved1;
    }
    // An interrupt (type 0xe) or trap (0xf) gate to ring 0 code.
    void gate(uint8_t vector, uint32_t handler, uint8_t dpl, uint8_t type = 0xe) {
        const uint64_t g = (handler & 0xffffull) | uint64_t(kKernelCs) << 16 |
                           uint64_t(0x80 | dpl << 5 | type) << 40 | uint64_t(handler >> 16) << 48;
        put64(kIdt + vector * 8u, g);
    }
    void code(uint32_t at, std::initializer_list<uint8_t> bytes) {
        std::memcpy(&ram[at], std::data(bytes), bytes.size());
    }
    void put32(uint32_t at, uint32_t v) { std::memcpy(&ram[at], &v, 4); }
    void put64(uint32_t at, uint64_t v) { std::memcpy(&ram[at], &v, 8); }
    uint32_t get32(uint32_t at) const {
        uint32_t v;
        std::memcpy(&v, &ram[at], 4);
        return v;
    }
    // Runs exactly n instructions (or events).
    void steps(int n) {
        for (int i = 0; i < n; ++i) REQUIRE_FALSE(cpu.step().has_value());
    }
};

}  // namespace

TEST_CASE("cli at CPL 3 with IOPL 0 raises #GP(0), delivered through the IDT to ring 0") {
    Machine m;
    m.gate(vec::GP, kKernelCode, 0);
    m.code(kKernelCode, {0xf4});            // hlt (IF is clear in the handler)
    m.code(kUserCode, {0x90, 0xfa, 0x90});  // nop; cli; nop
    m.user_mode(flags::IF);

    const Stop stop = m.cpu.run(100);
    CHECK(stop.outcome == Outcome::Halted);
    const CpuState& s = m.cpu.state();
    CHECK(s.cpl() == 0);
    CHECK(s.seg[SS].selector == kKernelDs);
    CHECK(s.gpr[ESP] == kKernelStack - 24);              // error code, EIP, CS, EFLAGS, ESP, SS
    CHECK(m.get32(kKernelStack - 24) == 0);              // error code 0
    CHECK(m.get32(kKernelStack - 20) == kUserCode + 1);  // the cli itself (a fault)
    CHECK(m.get32(kKernelStack - 16) == kUserCs);
    CHECK((m.get32(kKernelStack - 12) & flags::IF) != 0);  // cli did not clear IF
    CHECK(m.get32(kKernelStack - 8) == kUserStack);
    CHECK(m.get32(kKernelStack - 4) == kUserDs);
    CHECK(m.cpu.counters().exceptions == 1);
    CHECK(m.cpu.counters().instructions == 2);  // nop, hlt: the faulting cli did not retire
}

TEST_CASE("cli at CPL 3 is allowed when IOPL is 3") {
    Machine m;
    m.code(kUserCode, {0xfa});
    m.user_mode(flags::IF | flags::IOPL);
    m.steps(1);
    CHECK_FALSE(m.cpu.state().interrupts_enabled());
    CHECK(m.cpu.counters().exceptions == 0);
}

TEST_CASE("popf at CPL 3 with IOPL 0 leaves IF (and IOPL) unchanged, silently") {
    Machine m;
    // push 0x3001 (CF, IOPL 3, IF clear); popfd; pushfd; pop eax
    m.code(kUserCode, {0x68, 0x01, 0x30, 0x00, 0x00, 0x9d, 0x9c, 0x58});
    m.user_mode(flags::IF);
    m.steps(4);
    const CpuState& s = m.cpu.state();
    CHECK(s.interrupts_enabled());            // IF stayed set
    CHECK(s.iopl() == 0);                     // IOPL only changes at CPL 0
    CHECK((s.eflags & flags::CF) != 0);       // the arithmetic flags did change
    CHECK((s.gpr[EAX] & flags::IF) != 0);     // and pushf shows the real IF
    CHECK(m.cpu.counters().exceptions == 0);  // no fault, no trap

    SUBCASE("while at CPL 0 the same popf clears IF and sets IOPL") {
        Machine k;
        k.code(kKernelCode, {0x68, 0x01, 0x30, 0x00, 0x00, 0x9d});
        k.cpu.state().eflags |= flags::IF;
        k.steps(2);
        CHECK_FALSE(k.cpu.state().interrupts_enabled());
        CHECK(k.cpu.state().iopl() == 3);
    }
}

TEST_CASE("pushf shows IF as it is, at CPL 3 and at CPL 0") {
    Machine m;
    m.code(kUserCode, {0x9c, 0x58});  // pushfd; pop eax
    m.user_mode(flags::IF);
    m.steps(2);
    CHECK((m.cpu.state().gpr[EAX] & flags::IF) != 0);
    CHECK((m.cpu.state().gpr[EAX] & flags::Reserved1) != 0);

    Machine k;
    k.code(kKernelCode, {0xfb, 0x9c, 0x58, 0xfa, 0x9c, 0x5b});  // sti; pushfd; pop eax; cli; ...ebx
    k.steps(6);
    CHECK((k.cpu.state().gpr[EAX] & flags::IF) != 0);
    CHECK((k.cpu.state().gpr[EBX] & flags::IF) == 0);
}

TEST_CASE("int 0x80 from ring 3 through a DPL-3 gate: TSS stack, ring 0, and iret back") {
    Machine m;
    m.gate(0x80, kKernelCode, 3);
    m.code(kKernelCode, {0x83, 0xc0, 0x01, 0xcf});  // add eax, 1; iretd
    // mov eax, 7; int 0x80; mov ebx, eax
    m.code(kUserCode, {0xb8, 0x07, 0x00, 0x00, 0x00, 0xcd, 0x80, 0x89, 0xc3});
    m.user_mode(flags::IF);

    m.steps(2);  // mov, int
    const CpuState& s = m.cpu.state();
    CHECK(s.cpl() == 0);
    CHECK(s.eip == kKernelCode);
    CHECK(s.seg[SS].selector == kKernelDs);
    CHECK(s.gpr[ESP] == kKernelStack - 20);
    CHECK(m.get32(kKernelStack - 20) == kUserCode + 7);  // after the int
    CHECK(m.get32(kKernelStack - 16) == kUserCs);
    CHECK((m.get32(kKernelStack - 12) & flags::IF) != 0);
    CHECK(m.get32(kKernelStack - 8) == kUserStack);
    CHECK(m.get32(kKernelStack - 4) == kUserDs);
    CHECK_FALSE(s.interrupts_enabled());  // an interrupt gate

    m.steps(3);  // add, iretd, mov ebx, eax
    CHECK(s.cpl() == 3);
    CHECK(s.seg[CS].selector == kUserCs);
    CHECK(s.seg[SS].selector == kUserDs);
    CHECK(s.gpr[ESP] == kUserStack);
    CHECK(s.eip == kUserCode + 9);
    CHECK(s.gpr[EBX] == 8);
    CHECK(s.interrupts_enabled());  // restored from the frame

    SUBCASE("through a DPL-0 gate the same int is #GP(vector * 8 + 2)") {
        Machine g;
        g.gate(0x80, kKernelCode, 0);
        g.gate(vec::GP, kKernelCode + 0x100, 0);
        g.code(kKernelCode + 0x100, {0xf4});
        g.code(kUserCode, {0xcd, 0x80});
        g.user_mode(0);
        CHECK(g.cpu.run(10).outcome == Outcome::Halted);
        CHECK(g.get32(kKernelStack - 24) == 0x80 * 8 + 2);
        CHECK(g.get32(kKernelStack - 20) == kUserCode);
    }
}

TEST_CASE("#DE with no IDT is a triple fault") {
    Machine m;
    m.cpu.state().idtr = {0, 0};
    m.code(kKernelCode, {0x31, 0xc9, 0xf7, 0xf1});  // xor ecx, ecx; div ecx
    const Stop stop = m.cpu.run(100);
    CHECK(stop.outcome == Outcome::TripleFault);
    CHECK(stop.eip == kKernelCode + 2);
    CHECK(stop.detail.find("exception 0 ") != std::string::npos);
}

TEST_CASE("an unsupported instruction is an outcome with its bytes and disassembly") {
    struct Case {
        std::initializer_list<uint8_t> bytes;
        const char* hex;
        const char* mnemonic;
    };
    for (const Case& c : {Case{{0x0f, 0x58, 0xc1}, "0f 58 c1", "addps"},  // SSE
                          Case{{0xd9, 0x00}, "d9 00", "fld"}}) {          // x87
        CAPTURE(c.mnemonic);
        Machine m;
        m.code(kKernelCode, {0x90});
        m.code(kKernelCode + 1, c.bytes);
        const Stop stop = m.cpu.run(100);
        CHECK(stop.outcome == Outcome::UnsupportedInstruction);
        CHECK(stop.eip == kKernelCode + 1);
        CHECK(m.cpu.state().eip == kKernelCode + 1);
        CHECK(stop.detail.find(c.hex) != std::string::npos);
        CHECK(stop.detail.find(c.mnemonic) != std::string::npos);
        CHECK(m.cpu.counters().instructions == 1);
    }
}

namespace {
// A platform with a timer of its own: every 100 instructions it notes when
// it ran (the machine's periodic work, as the PV clock's refresh is).
class Ticking : public NoDevices {
  public:
    std::vector<uint64_t> fired;
    void timer(Cpu& cpu) override {
        fired.push_back(cpu.counters().instructions);
        cpu.set_timer(cpu.counters().instructions + 100);
    }
};
}  // namespace

TEST_CASE(
    "the CPU's timer runs the platform's timer() between two instructions, once per deadline") {
    std::vector<uint8_t> ram(1 << 20, 0);
    Ticking platform;
    Cpu cpu(ram, platform);
    CpuState& s = cpu.state();
    s.seg[CS] = Segment{kKernelCs, 0, 0xffffffffu, 0x9b, true, true};
    for (Sreg r : {ES, SS, DS, FS, GS})
        s.seg[r] = Segment{kKernelDs, 0, 0xffffffffu, 0x93, true, true};
    s.cr0 = 0x11;
    s.eip = kKernelCode;
    const uint8_t spin[] = {0x40, 0xeb, 0xfd};  // inc eax; jmp $-3
    std::memcpy(&ram[kKernelCode], spin, sizeof spin);
    cpu.set_timer(100);
    const Stop stop = cpu.run(350);
    CHECK(stop.outcome == Outcome::InstructionBudget);
    CHECK(platform.fired == std::vector<uint64_t>{100, 200, 300});
    CHECK(cpu.until_timer() == 50);
    CHECK(s.gpr[EAX] == 175);  // no instruction lost or repeated around the timer
}
