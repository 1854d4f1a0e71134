// The guests that compare the CPU model's techniques, on real KVM: exact serial
// output, exit counts and final state (guests/README.md derives each).
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "ptv/common/trace.hpp"
#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

// FNV-1a, 32 bits: guests/include/checksum.inc.
uint32_t fnv1a32(std::string_view bytes) {
    uint32_t h = 0x811c9dc5u;
    for (unsigned char c : bytes) h = (h ^ c) * 0x01000193u;
    return h;
}

const std::string kKernelLog =
    "kernel: own GDT, TSS and IDT loaded, running in ring 0\n"
    "cli: IF=0\n"
    "sti: IF=1\n"
    "popf: IF=0\n"
    "trap: #DE divide error in ring 0 at 'div ecx', resuming after it\n"
    "trap: #UD invalid opcode in ring 0 at 'ud2', resuming after it\n"
    "kernel: entering ring 3\n"
    "user: hello from ring 3\n"
    "trap: #GP general protection (error code 0x00000000) in ring 3 at 'cli', resuming after it\n"
    "user: 2 system calls so far\n"
    "kernel: back in ring 0, user exit code 42 after 4 system calls\n"
    "kernel: traps handled: #DE 1, #UD 1, #GP 1\n";
constexpr uint32_t kKernelChecksum = 0x8b3f6b31;
const std::string kKernelSerial =
    kKernelLog + "kernel: checksum 0x8b3f6b31 over 487 bytes of log\n";
// The int 0x80 path up to the #DE handler's iret: the first 5 lines.
const std::string kKernelUntilIret = kKernelLog.substr(0, kKernelLog.find("trap: #UD"));

// kvm_pvm runs a non-paged guest in KVM's instruction emulator, which knows
// neither INT n nor IRET in protected mode (guests/README.md).
bool host_emulates_protected_mode() {
    return std::filesystem::exists("/sys/module/kvm_pvm");
}

// eflags: PF and AF of the last "add esp", which depend on where the stack
// ends (kernel and kernel-pv differ); IF = 0.
void check_kernel_end(const GuestRun& r, uint32_t eflags) {
    const auto& f = r.result["final_state"];
    REQUIRE(f.is_object());
    CHECK(f["eax"] == kKernelChecksum);
    CHECK(f["ebx"] == 42);   // the exit code, SYS_EXIT's argument
    CHECK(f["cs"] == 0x08);  // the kernel's own GDT: ring 0 again
    for (const char* seg : {"ss", "ds", "es", "fs", "gs"}) CHECK(f[seg] == 0x10);
    CHECK(f["eflags"] == eflags);
}

// The last exit of a traced run: its reason and the instruction that caused it.
std::pair<std::string, std::string> last_exit(const std::string& trace_path) {
    auto t = ptv::trace::load(trace_path);
    std::pair<std::string, std::string> last;
    for (const auto& e : t.events)
        if (e.value("ph", "") == "X" && e.value("cat", "") == "vmexit")
            last = {e["name"], e["args"].value("instruction", "")};
    return last;
}

}  // namespace

TEST_CASE("kernel: GDT, TSS, IDT, cli/sti/popf, #DE, #UD, ring 3 and its system calls") {
    SUBCASE("the sysenter path: SYSENTER/SYSEXIT, no INT n, no IRET") {
        auto r = ptv_run({"kernel", "--cmdline", "sysenter"});
        REQUIRE(r.process.status == 0);
        CHECK(r.result["outcome"] == "halted");
        CHECK(r.result["serial"] == kKernelSerial);
        CHECK(kKernelSerial.size() == 537);
        CHECK(fnv1a32(kKernelLog) == kKernelChecksum);
        CHECK(r.by_reason("io") == 7 + 2 * kKernelSerial.size());
        CHECK(r.by_reason("hlt") == 1);
        CHECK(r.result["exits"]["total"] == 7 + 2 * kKernelSerial.size() + 1);
        check_kernel_end(r, 0x16);
    }
    SUBCASE("the int 0x80 path: complete, or stopped at the first iret by KVM's emulator") {
        TempDir dir;
        auto r = ptv_run({"kernel", "--trace", dir.file("k.json")});
        if (host_emulates_protected_mode()) {
            CHECK(r.process.status == 8);
            CHECK(r.result["outcome"] == "kvm-failure");
            CHECK(r.result["message"].get<std::string>().find("emulation failure") !=
                  std::string::npos);
            CHECK(r.result["serial"] == kKernelUntilIret);
            CHECK(r.by_reason("io") == 7 + 2 * kKernelUntilIret.size());
            CHECK(r.by_reason("internal-error") == 1);
            CHECK(last_exit(dir.file("k.json")) ==
                  std::pair<std::string, std::string>{"internal-error", "iretd"});
            REQUIRE(r.result["final_state"].is_object());
            CHECK(r.result["final_state"]["cs"] == 0x08);  // in the #DE handler
        } else {
            REQUIRE(r.process.status == 0);
            CHECK(r.result["serial"] == kKernelSerial);
            CHECK(r.by_reason("io") == 7 + 2 * kKernelSerial.size());
            CHECK(r.by_reason("hlt") == 1);
            check_kernel_end(r, 0x16);
        }
    }
}

TEST_CASE("kernel-pv: the same kernel over a shared-info word and the PV console") {
    SUBCASE("the sysenter path: one exit per message, the same log and checksum") {
        auto r = ptv_run({"kernel-pv", "--cmdline", "sysenter"});
        REQUIRE(r.process.status == 0);
        CHECK(r.result["outcome"] == "halted");
        CHECK(r.result["serial"] == kKernelSerial);
        CHECK(r.by_device("pv-console") == 13);  // one doorbell per line
        CHECK(r.by_device("uart") == 0);
        CHECK(r.by_reason("io") == 13);
        CHECK(r.by_reason("hlt") == 1);
        CHECK(r.result["exits"]["total"] == 14);
        check_kernel_end(r, 0x12);
    }
    SUBCASE("the int 0x80 path") {
        auto r = ptv_run({"kernel-pv"});
        if (host_emulates_protected_mode()) {
            CHECK(r.result["outcome"] == "kvm-failure");
            CHECK(r.result["serial"] == kKernelUntilIret);
            CHECK(r.by_device("pv-console") == 5);
            CHECK(r.by_reason("internal-error") == 1);
        } else {
            REQUIRE(r.process.status == 0);
            CHECK(r.result["serial"] == kKernelSerial);
            CHECK(r.by_device("pv-console") == 13);
            check_kernel_end(r, 0x12);
        }
    }
    SUBCASE("the same bytes in the log, different machines: a different RAM") {
        auto native = ptv_run({"kernel", "--cmdline", "sysenter"});
        auto pv = ptv_run({"kernel-pv", "--cmdline", "sysenter"});
        REQUIRE(native.result["final_state"].is_object());
        REQUIRE(pv.result["final_state"].is_object());
        CHECK(native.result["final_state"]["eax"] == pv.result["final_state"]["eax"]);
        CHECK(native.result["final_state"]["memory_hash"] !=
              pv.result["final_state"]["memory_hash"]);
        auto again = ptv_run({"kernel", "--cmdline", "sysenter"});
        CHECK(again.result["final_state"] == native.result["final_state"]);
    }
}

TEST_CASE("popf: on KVM the guest kernel sees the machine as it is (mask 0x1f)") {
    const std::string serial =
        "popf: what a guest kernel sees of itself\n"
        "after cli: IF=0\n"
        "after popf(IF=0): IF=0\n"
        "cs.rpl=0\n"
        "sgdt base=0x00001000\n"
        "smsw=0x0011\n"
        "popf: seen 0x0000001f (0x1f = as on real hardware)\n";
    auto r = ptv_run({"popf"});
    REQUIRE(r.process.status == 0);
    CHECK(r.result["outcome"] == "halted");
    CHECK(r.result["serial"] == serial);
    CHECK(serial.size() == 173);
    CHECK(r.by_reason("io") == 7 + 2 * serial.size());
    CHECK(r.by_reason("hlt") == 1);
    const auto& f = r.result["final_state"];
    REQUIRE(f.is_object());
    CHECK(f["eax"] == 0x1f);
    CHECK(f["edi"] == 0x1f);
    CHECK(f["eflags"] == 0x12);  // AF of the last "add esp"; IF = 0
    CHECK(f["cs"] == 0x08);
}

namespace {

// guests/compute.asm, round for round.
uint32_t compute_reference(uint32_t n) {
    auto rol = [](uint32_t x, int k) { return (x << k) | (x >> (32 - k)); };
    auto ror = [](uint32_t x, int k) { return (x >> k) | (x << (32 - k)); };
    uint32_t table[64];
    for (uint32_t i = 0; i < 64; ++i) table[i] = i * 0x9e3779b9u;
    uint32_t x = 0x12345678, s = 1, a = 0;
    for (uint32_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s = s * 1664525u + 1013904223u;
        uint32_t& w = table[x & 63];
        w = (w + s) ^ x;
        a = (w & 1) ? rol(a * 33 + w, 7) : ror(a - w, 3);
    }
    uint32_t c = (a ^ x) + s;
    for (uint32_t w : table) c = c * 31 + w;
    return c;
}

}  // namespace

TEST_CASE("compute: N rounds of integer work, the checksum of a reference implementation") {
    CHECK(compute_reference(1000) == 0x13e7f8d0);
    for (uint32_t n : {0u, 1u, 1000u}) {
        CAPTURE(n);
        auto r = ptv_run({"compute", "--cmdline", std::to_string(n)});
        REQUIRE(r.process.status == 0);
        const uint32_t sum = compute_reference(n);
        const std::string line = fmt::format("compute: {} iterations, checksum {:#010x}\n", n, sum);
        CHECK(r.result["serial"] == line);
        CHECK(r.by_reason("io") == 7 + 2 * line.size());  // nothing in the loop
        CHECK(r.by_reason("hlt") == 1);
        REQUIRE(r.result["final_state"].is_object());
        CHECK(r.result["final_state"]["eax"] == sum);
        CHECK(r.result["final_state"]["eflags"] == 0x12);
    }
}

TEST_CASE("compute: the benchmark descriptor at image offset 0x20 names the loop's bytes") {
    std::ifstream in(guest("compute"), std::ios::binary);
    std::vector<uint8_t> image{std::istreambuf_iterator<char>(in), {}};
    REQUIRE(image.size() > 0x40);
    auto word = [&](size_t offset) {
        uint32_t v;
        std::memcpy(&v, image.data() + offset, 4);
        return v;
    };
    CHECK(word(0x20) == 0x43565450);  // "PTVC"
    CHECK(word(0x24) == 1);
    const uint32_t begin = word(0x28), end = word(0x2c), entry = word(0x30), exit = word(0x34);
    CHECK(begin >= 0x100040);
    CHECK(begin <= entry);
    CHECK(entry < exit);
    CHECK(exit < end);
    CHECK(end - 0x100000 <= image.size());
    CHECK(image[exit - 0x100000] == 0xc3);  // the ret after the stop
    CHECK(word(0x3c) == 256);               // 64 words of data
}
