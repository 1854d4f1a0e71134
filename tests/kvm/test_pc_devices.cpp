// A guest we did not write, on the PC devices it polls: Debian's
// grub-invaders (scripts/setup.sh unpacks it) times itself with the 8254
// PIT, reads keys from the i8042 and draws on the VGA text screen. Keys
// come through a pipe, as a user's typing comes through the terminal; the
// screen is read back from the run's result, from the terminal stream and
// from the trace's frames.
#include <doctest/doctest.h>

#include <string>

#include "ptv/common/trace.hpp"
#include "ptv/common/vga_screen.hpp"
#include "ptv_run.hpp"

using namespace ptv::test;

namespace {

// `ptv kvm run invaders --console vga ARGS --json` with `keys`, a shell
// fragment that writes keys to the game's standard input over time.
GuestRun play(const std::string& keys, const std::string& args) {
    GuestRun r;
    const std::string cmd = "(" + keys + ") | exec '" + bin("ptv") +
                            "' kvm run invaders --console vga " + args + " --json";
    r.process = run({"/bin/sh", "-c", cmd}, {}, 120);
    auto j = nlohmann::json::parse(r.process.out, nullptr, false);
    if (!j.is_discarded()) r.result = j;
    return r;
}

bool on_screen(const nlohmann::json& lines, const std::string& words) {
    for (const auto& line : lines)
        if (line.get<std::string>().find(words) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE(
    "grub-invaders: its screen on the VGA console, every port it polls claimed, P pauses it") {
    TempDir dir;
    const std::string trace = dir.file("invaders.json");
    // P after a second; the game stays paused until the watchdog ends it.
    auto r = play("sleep 1; printf p; sleep 1",
                  "--timeout 4 --trace " + trace + " --trace-capacity 1000");
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "timeout");
    const auto& console = r.result["console"];
    REQUIRE(console.is_object());
    CHECK(console["device"] == "vga");
    CHECK(console["keys"] == 1);
    REQUIRE(console["screen"].size() == 25);
    CHECK(on_screen(console["screen"], "PAUSE"));
    CHECK(on_screen(console["screen"], "PRESS 'P'"));
    CHECK(on_screen(console["screen"], "/ \\"));  // the cannon
    // The exit table: the timer and the keyboard answered; nothing the
    // game touched went unclaimed.
    CHECK(r.by_device("pit") > 1000);
    CHECK(r.by_device("i8042") > 100);
    CHECK(r.by_device("vga") > 0);  // the cursor, through the CRT controller
    CHECK(r.by_device("unclaimed-pio") == 0);
    // The terminal got ANSI-drawn frames (stderr with --json).
    CHECK(r.process.err.find("\x1b[2J") != std::string::npos);
    // The trace keeps the frames; the last is the paused screen.
    const auto t = ptv::trace::load(trace);
    nlohmann::json last;
    int frames = 0;
    for (const auto& e : t.events)
        if (e.value("cat", "") == "vga" && e.value("name", "") == "screen") {
            ++frames;
            last = e["args"];
        }
    CHECK(frames >= 2);
    REQUIRE(last.is_object());
    const std::string text = ptv::screen_text(ptv::screen_from_json(last));
    CHECK(text.find("PAUSE") != std::string::npos);
}

TEST_CASE("grub-invaders: Esc resets the machine, and the run ends there") {
    auto r = play("sleep 1; printf '\\033'; sleep 2", "--timeout 10");
    REQUIRE(r.result.is_object());
    CHECK(r.result["outcome"] == "reset");
    CHECK(r.process.status == 15);
    CHECK(r.result["console"]["keys"] == 1);
    CHECK(r.result["message"].get<std::string>().find("i8042") != std::string::npos);
    CHECK(r.result["run_ns"].get<uint64_t>() >= 900'000'000ull);  // not before the key
}
