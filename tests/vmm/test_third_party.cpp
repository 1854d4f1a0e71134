// A multiboot kernel we did not write: Debian's grub-invaders (an ELF32
// game kernel, fetched by scripts/setup.sh into /var/cache/ptvlab). Left
// alone it never ends (it polls the 8254 PIT for its delays and the i8042
// for keys), so every technique runs it to the same instruction budget; the
// model must execute all of it (no unsupported instruction), the VMX model
// must end in exactly the native state, and trap-and-emulate may differ
// only by what the sensitive instructions revealed. With keys pressed on
// its i8042 it plays, and Esc makes it reset the machine.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "guests.hpp"
#include "ptv/devices/key_script.hpp"

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
    CHECK(native.counters.device_accesses > 0);  // it polls the timer and the keyboard
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

namespace {
// grub-invaders under `technique` with keys pressed (a key script), its
// VMX run traced to `trace` when given.
vmm::RunResult play(const std::string& technique, const std::string& keys,
                    const std::string& trace = "") {
    vmm::RunOptions o;
    o.guest.image_path = invaders();
    o.guest.name = "invaders";
    o.guest.keys = devices::parse_key_script(keys);
    o.technique = technique;
    o.max_instructions = 3'000'000;  // 3 s of model time
    o.trace_path = trace;
    return vmm::run_guest(o);
}
}  // namespace

// Needs the 8254 PIT: without it the game spins in its first delay loop
// and never polls the keyboard.
TEST_CASE("grub-invaders reads keys from the i8042 and resets the machine on Esc, not before") {
    REQUIRE(std::filesystem::exists(invaders()));
    // Keys that do not end the game: it plays on to the budget.
    const auto played = play("vmx", "300ms:space 600ms:left 900ms:right 1.2s:space");
    CHECK(played.outcome == "instruction-budget");

    // Esc at 1 s of model time (1 us per instruction): the game's Esc
    // handler writes 0x1234 to the BIOS's warm-boot flag and pulses the
    // reset line (out 0x64, 0xfe).
    test::TempDir dir;
    const std::string trace = dir.file("invaders.json");
    const auto esc = play("vmx", "300ms:space 1s:esc", trace);
    CHECK(esc.outcome == "reset");
    CHECK(esc.status == 15);
    CHECK(esc.message ==
          "guest reset the machine through the i8042: command 0xfe pulsed the reset line, by "
          "'out 0x64, al'");
    CHECK(esc.instructions >= 1'000'000);  // not before the key
    CHECK(esc.instructions < 1'500'000);   // and soon after it
    // The same on the bare model, to the instruction.
    const auto native = play("native", "300ms:space 1s:esc");
    CHECK(native.outcome == "reset");
    CHECK(native.instructions == esc.instructions);  // model time: the same every run
    CHECK(vmm::compare_states(native, esc.final_state, esc.output).equivalent);

    // The trace: the i8042 answered every keyboard access; no port 0x60 or
    // 0x64 access went unclaimed.
    std::ifstream in(trace);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK(text.find("i8042 read 0x64") != std::string::npos);
    CHECK(text.find("i8042 read 0x60") != std::string::npos);
    CHECK(text.find("i8042 write 0x64") != std::string::npos);
    CHECK(text.find("unclaimed-pio read 0x60") == std::string::npos);
    CHECK(text.find("unclaimed-pio read 0x64") == std::string::npos);
    CHECK(text.find("unclaimed-pio write 0x64") == std::string::npos);
}

namespace {
bool on_screen(const vmm::RunResult& r, const std::string& words) {
    for (const std::string& line : r.screen)
        if (line.find(words) != std::string::npos) return true;
    return false;
}
}  // namespace

TEST_CASE("grub-invaders draws on the VGA text screen, and P pauses it") {
    REQUIRE(std::filesystem::exists(invaders()));
    // No key: the invaders (-*-) and the cannon (/ \) are on the screen,
    // in guest RAM at 0xB8000, with no exit for any of it.
    const auto plain = play("native", "");
    REQUIRE(plain.screen.size() == 25);
    CHECK(on_screen(plain, "-*-"));
    CHECK(on_screen(plain, "/ \\"));
    CHECK_FALSE(on_screen(plain, "PAUSE"));
    // P at 1 s: the game stops and says how to go on.
    const auto paused = play("native", "1s:p");
    CHECK(paused.outcome == "instruction-budget");
    CHECK(on_screen(paused, "PAUSE"));
    CHECK(on_screen(paused, "PRESS 'P'"));
    // ... and P again lets it go on: the words are gone.
    const auto resumed = play("native", "1s:p 2s:p");
    CHECK_FALSE(on_screen(resumed, "PAUSE"));
    // The same screen under the VMX model: its exits change nothing.
    CHECK(play("vmx", "1s:p").screen == paused.screen);
}
