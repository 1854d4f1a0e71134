// A multiboot kernel we did not write: Debian's grub-invaders (an ELF32
// game kernel, fetched by scripts/setup.sh into /var/cache/ptvlab). It
// never ends (a game: it polls the keyboard and times itself with the 8254
// PIT), so every technique runs it to the same instruction budget; the
// model must execute all of it (no unsupported instruction), the VMX model
// must end in exactly the native state, and trap-and-emulate may differ
// only by what the sensitive instructions revealed.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "guests.hpp"

using namespace ptv;

namespace {
std::string invaders() {
    const char* dir = std::getenv("PTV_THIRD_PARTY_DIR");
    return std::string(dir && *dir ? dir : "/var/cache/ptvlab") + "/grub-invaders/invaders.exec";
}

vmm::RunResult run(const std::string& technique) {
    vmm::RunOptions o;
    o.guest.image_path = invaders();
    o.guest.name = "invaders";
    o.technique = technique;
    o.max_instructions = 2'000'000;
    return vmm::run_guest(o);
}
}  // namespace

TEST_CASE("grub-invaders, a multiboot kernel we did not write, runs under every technique") {
    REQUIRE_MESSAGE(std::filesystem::exists(invaders()),
                    invaders() << " is missing: run scripts/setup.sh (make test does)");
    const auto native = run("native");
    CHECK(native.outcome == "instruction-budget");
    CHECK(native.instructions == 2'000'000);
    CHECK(native.counters.device_accesses > 0);  // it polls ports no device claims
    const auto vmx = run("vmx");
    CHECK(vmx.outcome == "instruction-budget");
    const auto eq = vmm::compare_states(native, vmx.final_state, vmx.output);
    CHECK_MESSAGE(eq.equivalent, eq.first_difference);
    CHECK(vmx.counters.exits.at("I/O instruction") == native.counters.device_accesses);
    // Its delay loop latches and reads the PIT, which answers: nothing it
    // touches there is unclaimed, and it gets past its first delays.
    CHECK(vmx.device_exits.at("pit") > 0);
    CHECK(vmx.device_exits == native.device_exits);
    for (const std::string t : {"trap-emulate", "paravirt"}) {
        CAPTURE(t);
        const auto r = run(t);
        CHECK(r.outcome == "instruction-budget");
        CHECK(test::total(r.counters.traps) > 0);
    }
}
