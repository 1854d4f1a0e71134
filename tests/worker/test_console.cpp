// The worker's side of the VGA console, without KVM: the screen drawn on a
// terminal (here a pipe) from guest RAM, a frame kept only when the screen
// changed, the stdin pump that tells a lone ESC from an escape sequence by
// the pause after it, the steady redraw thread, and the command line's
// mistakes.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "../support/fake_machine.hpp"
#include "../support/process.hpp"
#include "ptv/devices/vga_text.hpp"
#include "ptv/worker/periodic.hpp"
#include "ptv/worker/stdin_pump.hpp"
#include "ptv/worker/vga_console.hpp"

using namespace ptv;
using namespace std::chrono_literals;

namespace {

// Puts a string at (row, col) of the text buffer in guest RAM, as a guest
// does with plain stores (no exit).
void poke(test::FakeMachine& m, int row, int col, const std::string& s, uint8_t attr) {
    for (size_t i = 0; i < s.size(); ++i) {
        const size_t cell = 0xb8000 + 2 * size_t(row * 80 + col + int(i));
        m.memory[cell] = uint8_t(s[i]);
        m.memory[cell + 1] = attr;
    }
}

std::string drain(int fd) {
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
    return out;
}

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        if (r >= 0) ::close(r);
        if (w >= 0) ::close(w);
    }
};

}  // namespace

TEST_CASE("the VGA console draws guest RAM, and keeps a frame only when the screen changed") {
    test::FakeMachine m;
    devices::VgaText vga(m);
    Pipe term;
    worker::VgaConsole console(vga, term.w, true);
    poke(m, 0, 0, "SPACE INVADERS", 0x0e);
    console.draw(1000);
    const std::string first = drain(term.r);
    CHECK(first.find("SPACE INVADERS") != std::string::npos);
    CHECK(first.find("\x1b[") != std::string::npos);  // positioned and coloured
    console.draw(2000);                               // nothing changed: nothing drawn
    CHECK(drain(term.r).empty());
    poke(m, 12, 40, "X", 0x1f);
    console.draw(3000);
    const std::string second = drain(term.r);
    CHECK(second.find('X') != std::string::npos);
    CHECK(second.find("SPACE") == std::string::npos);  // only the changed cell
    REQUIRE(console.frames().size() == 2);
    CHECK(console.frames()[0].t_ns == 1000);
    CHECK(console.frames()[1].t_ns == 3000);
    CHECK(console.frames()[1].screen == vga.capture());
    CHECK(console.redraws() == 2);
    const auto text = console.text();
    REQUIRE(text.size() == 25);
    CHECK(text[0] == "SPACE INVADERS");
    CHECK(text[12] == std::string(40, ' ') + "X");
    console.finish(4000);
    CHECK(drain(term.r).find("\x1b[26;1H") != std::string::npos);  // below the screen
}

TEST_CASE("without a trace the console keeps no frames, and with no terminal it draws nowhere") {
    test::FakeMachine m;
    devices::VgaText vga(m);
    worker::VgaConsole console(vga, -1, false);
    poke(m, 3, 0, "PRESS", 0x07);
    console.draw(1);
    CHECK(console.frames().empty());
    CHECK(console.text().at(3) == "PRESS");
}

TEST_CASE("the stdin pump hands over what it reads, and says when input pauses") {
    Pipe in;
    std::string got;
    std::atomic<int> idles{0};
    std::mutex lock;
    {
        worker::StdinPump pump(
            in.r,
            [&](std::string_view b) {
                std::lock_guard g(lock);
                got.append(b);
            },
            [&] { ++idles; }, 30ms);
        REQUIRE(::write(in.w, "\x1b", 1) == 1);
        // A pause after the ESC: one idle call, and only one.
        std::this_thread::sleep_for(200ms);
        CHECK(idles == 1);
        REQUIRE(::write(in.w, "[A", 2) == 2);
        std::this_thread::sleep_for(200ms);
        CHECK(idles == 2);
    }
    CHECK(got == "\x1b[A");
}

TEST_CASE("the periodic thread ticks at its rate and stops when it goes") {
    std::atomic<int> ticks{0};
    {
        worker::PeriodicThread t(10ms, [&] { ++ticks; });
        std::this_thread::sleep_for(205ms);
    }
    const int n = ticks;
    // 20 periods passed: a loaded machine may run late, never early.
    CHECK(n <= 20);
    CHECK(n >= 5);
    std::this_thread::sleep_for(50ms);
    CHECK(ticks == n);
}

TEST_CASE("console mistakes: one line, exit status 2") {
    SUBCASE("an unknown console") {
        auto r = test::run({test::bin("ptv"), "kvm", "run", "hello", "--console", "tty"});
        CHECK(r.status == 2);
        CHECK(r.err.find("--console") != std::string::npos);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    SUBCASE("the game's image not unpacked") {
        test::TempDir empty;
        auto r = test::run({test::bin("ptv"), "kvm", "run", "invaders", "--console", "vga"},
                           {{"PTV_THIRD_PARTY_DIR", empty.path}});
        CHECK(r.status == 2);
        CHECK(r.err == "ptv: guest 'invaders' is Debian's grub-invaders, not unpacked at " +
                           empty.path +
                           "/grub-invaders/invaders.exec; run scripts/setup.sh as root\n");
    }
}
