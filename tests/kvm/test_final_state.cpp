// The result's "final_state": where the guest stopped -- registers, EIP as
// KVM reports it, EFLAGS, segment selectors, CR0 and one hash over all of
// guest RAM -- the state the CPU model of sim/vmm is compared with.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <regex>

#include "ptv/portmap.h"
#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

constexpr uint32_t kLoadAddr = 0x100000;  // where the flat guests load

std::vector<uint8_t> image_bytes(const std::string& name) {
    std::ifstream in(guest(name), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// The byte of a flat guest's image at a guest address.
int image_byte(const std::vector<uint8_t>& image, uint64_t address) {
    if (address < kLoadAddr || address - kLoadAddr >= image.size()) return -1;
    return image[address - kLoadAddr];
}

uint64_t rip_of(const GuestRun& r) {
    return std::stoull(r.result["rip"].get<std::string>(), nullptr, 16);
}

}  // namespace

TEST_CASE("final_state: registers, segments, CR0 and a hash of RAM, where the guest stopped") {
    auto r = ptv_run({"hello"});
    REQUIRE(r.process.status == 0);
    const auto& f = r.result["final_state"];
    REQUIRE(f.is_object());
    for (const char* key : {"eax", "ebx", "ecx", "edx", "esi", "edi", "ebp", "esp", "eip", "eflags",
                            "cs", "ss", "ds", "es", "fs", "gs", "cr0", "memory_bytes"}) {
        INFO(key);
        REQUIRE(f.contains(key));
        CHECK(f[key].is_number_unsigned());
        if (std::string(key) != "memory_bytes") CHECK(f[key].get<uint64_t>() <= 0xffffffffu);
    }
    CHECK(f.size() == 19);
    // hello never writes EAX or EBX: still what the loader put there.
    CHECK(f["eax"] == PTV_MULTIBOOT_BOOTLOADER_MAGIC);
    CHECK(f["ebx"] == PTV_BOOT_INFO);
    CHECK(f["cs"] == PTV_GDT_CODE_SEL);
    for (const char* seg : {"ss", "ds", "es", "fs", "gs"}) CHECK(f[seg] == PTV_GDT_DATA_SEL);
    CHECK(f["cr0"] == 0x11);  // PE | ET: protected mode, no paging
    // uart_puts' last "test al, al" (AL = 0): ZF and PF; IF = 0 for the hlt.
    CHECK(f["eflags"] == 0x46);
    // EIP as KVM reports it: just past the hlt, where the guest would go on.
    CHECK(f["eip"] == rip_of(r));
    CHECK(image_byte(image_bytes("hello"), f["eip"].get<uint64_t>() - 1) == 0xf4);  // hlt
    CHECK(std::regex_match(f["memory_hash"].get<std::string>(), std::regex("0x[0-9a-f]{16}")));
    CHECK(f["memory_bytes"] == 64u << 20);
}

TEST_CASE("final_state: the same run ends in the same memory, another run does not") {
    auto a = ptv_run({"hello"});
    auto b = ptv_run({"hello"});
    REQUIRE(a.result["final_state"].is_object());
    REQUIRE(b.result["final_state"].is_object());
    CHECK(a.result["final_state"] == b.result["final_state"]);

    auto smaller = ptv_run({"hello", "--memory", "32"});
    REQUIRE(smaller.result["final_state"].is_object());
    CHECK(smaller.result["final_state"]["memory_bytes"] == 32u << 20);
    CHECK(smaller.result["final_state"]["memory_hash"] != a.result["final_state"]["memory_hash"]);

    // The command line lands in RAM, and so does what the guest makes of it.
    auto n1 = ptv_run({"pio-loop", "--cmdline", "10"});
    auto n2 = ptv_run({"pio-loop", "--cmdline", "11"});
    CHECK(n1.result["final_state"]["memory_hash"] != n2.result["final_state"]["memory_hash"]);
}

TEST_CASE("final_state after other outcomes: debug exit, triple fault, timeout") {
    SUBCASE("debug exit: EIP past the OUT, which KVM completed") {
        auto r = ptv_run({"pio-loop", "--cmdline", "0"});
        REQUIRE(r.result["outcome"] == "guest-exit");
        const auto& f = r.result["final_state"];
        REQUIRE(f.is_object());
        CHECK(f["eax"] == 0);  // the status byte written
        CHECK(f["edx"] == PTV_DEBUG_EXIT_PORT);
        CHECK(image_byte(image_bytes("pio-loop"), f["eip"].get<uint64_t>() - 1) == 0xee);
    }
    SUBCASE("triple fault: EIP on the div that started it") {
        auto r = ptv_run({"fault-triple"});
        REQUIRE(r.result["outcome"] == "triple-fault");
        const auto& f = r.result["final_state"];
        if (host_resets_vcpu_at_shutdown()) {
            CHECK(f.is_null());  // lost with the reset: none, not the reset vector's
        } else {
            REQUIRE(f.is_object());
            CHECK(f["eip"] == rip_of(r));
            CHECK(image_byte(image_bytes("fault-triple"), f["eip"]) == 0xf7);  // div ecx
            CHECK(f["ecx"] == 0);
        }
    }
    SUBCASE("timeout: wherever the watchdog found it") {
        auto r = ptv_run({"fault-forever", "--timeout", "0.3"});
        REQUIRE(r.result["outcome"] == "timeout");
        const auto& f = r.result["final_state"];
        REQUIRE(f.is_object());
        CHECK(image_byte(image_bytes("fault-forever"), f["eip"]) == 0xeb);  // jmp $
    }
}

TEST_CASE("the text report ends with the final state") {
    auto r = run({bin("ptv-vmwp"), guest("hello")});
    CHECK(r.status == 0);
    CHECK(r.out.find("final state: eax=2badb002 ebx=00002000") != std::string::npos);
    CHECK(r.out.find("eip=") != std::string::npos);
    CHECK(r.out.find("memory hash 0x") != std::string::npos);
    auto alone = run({bin("ptv-vmwp"), guest("hello"), "--json"});
    auto j = nlohmann::json::parse(alone.out, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["final_state"]["eax"] == PTV_MULTIBOOT_BOOTLOADER_MAGIC);
}
