// The VGA text console against the IBM VGA Technical Reference: the CRTC's
// index/data pair and its cursor and start address, input status 1 on the
// machine's clock, the attribute controller's flip-flop, the screen read
// from guest RAM, and its state.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "../support/fake_machine.hpp"
#include "ptv/common/trace.hpp"
#include "ptv/devices/device_set.hpp"
#include "ptv/devices/uart16550.hpp"
#include "ptv/devices/vga_text.hpp"
#include "ptv/portmap.h"
#include "ptv/vnd/trace_export.hpp"

using namespace ptv;

namespace {

// A machine whose time the test sets.
using ClockedMachine = test::FakeMachine;

struct Ports {
    devices::VgaText& vga;
    uint8_t in(unsigned port) {
        uint8_t v = 0;
        vga.read(vmb::Space::Pio, port - PTV_VGA_BASE, {&v, 1});
        return v;
    }
    void out(unsigned port, uint8_t v) { vga.write(vmb::Space::Pio, port - PTV_VGA_BASE, {&v, 1}); }
    void crtc(uint8_t index, uint8_t value) {
        out(PTV_VGA_CRTC_INDEX, index);
        out(PTV_VGA_CRTC_DATA, value);
    }
    uint8_t crtc(uint8_t index) {
        out(PTV_VGA_CRTC_INDEX, index);
        return in(PTV_VGA_CRTC_DATA);
    }
    void cursor(unsigned location) {
        crtc(PTV_VGA_CRTC_CURSOR_HIGH, uint8_t(location >> 8));
        crtc(PTV_VGA_CRTC_CURSOR_LOW, uint8_t(location));
    }
    void start(unsigned address) {
        crtc(PTV_VGA_CRTC_START_HIGH, uint8_t(address >> 8));
        crtc(PTV_VGA_CRTC_START_LOW, uint8_t(address));
    }
};

// Writes a string at a cell of the 32 KiB window, as a guest's stores would.
void put(test::FakeMachine& m, unsigned cell, std::string_view s, uint8_t attr) {
    for (char c : s) {
        m.memory[PTV_VGA_TEXT_BASE + 2 * cell] = uint8_t(c);
        m.memory[PTV_VGA_TEXT_BASE + 2 * cell + 1] = attr;
        ++cell;
    }
}

}  // namespace

TEST_CASE("vga: the CRTC powers up as mode 3 leaves it and reads back through index/data") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    CHECK(p.crtc(0x00) == 0x5F);  // horizontal total
    CHECK(p.crtc(PTV_VGA_CRTC_CURSOR_START) == 0x0D);
    CHECK(p.crtc(PTV_VGA_CRTC_CURSOR_END) == 0x0E);
    CHECK(p.crtc(0x11) == 0x8E);  // vertical retrace end, protect bit set
    CHECK(p.crtc(0x18) == 0xFF);  // line compare
    CHECK(p.in(PTV_VGA_MISC_READ) == 0x67);

    p.crtc(0x14, 0x5A);
    CHECK(p.in(PTV_VGA_CRTC_INDEX) == 0x14);
    CHECK(p.in(PTV_VGA_CRTC_DATA) == 0x5A);
    p.out(PTV_VGA_CRTC_INDEX, 0xF3);  // the index keeps its five bits
    CHECK(p.in(PTV_VGA_CRTC_INDEX) == 0x13);
    p.out(PTV_VGA_CRTC_INDEX, 0x19);  // past the 25 registers: nothing there
    CHECK(p.in(PTV_VGA_CRTC_DATA) == 0xFF);
    p.out(PTV_VGA_CRTC_DATA, 0x12);
    CHECK(p.in(PTV_VGA_CRTC_DATA) == 0xFF);
}

TEST_CASE("vga: `out dx, ax` to 0x3D4 sets index and data in one access") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    const uint8_t word[2] = {PTV_VGA_CRTC_CURSOR_LOW, 0x42};
    vga.write(vmb::Space::Pio, PTV_VGA_CRTC_INDEX - PTV_VGA_BASE, word);
    CHECK(p.crtc(PTV_VGA_CRTC_CURSOR_LOW) == 0x42);
    uint8_t back[2] = {};
    p.out(PTV_VGA_CRTC_INDEX, PTV_VGA_CRTC_CURSOR_START);
    vga.read(vmb::Space::Pio, PTV_VGA_CRTC_INDEX - PTV_VGA_BASE, back);
    CHECK(back[0] == PTV_VGA_CRTC_CURSOR_START);
    CHECK(back[1] == 0x0D);
}

TEST_CASE("vga: the protect bit keeps registers 0-7, except the line compare bit") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    p.crtc(0x00, 0x12);
    CHECK(p.crtc(0x00) == 0x5F);
    p.crtc(0x07, 0x00);
    CHECK(p.crtc(0x07) == 0x0F);  // 0x1F with bit 4 cleared
    p.crtc(0x11, 0x0E);           // protection off
    p.crtc(0x00, 0x12);
    CHECK(p.crtc(0x00) == 0x12);
}

TEST_CASE("vga: the cursor location gives row and column, from the start address") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    auto s = vga.capture();
    CHECK(s.cursor_visible);
    CHECK(s.cursor_row == 0);
    CHECK(s.cursor_col == 0);

    p.cursor(12 * 80 + 34);
    s = vga.capture();
    CHECK(s.cursor_row == 12);
    CHECK(s.cursor_col == 34);
    CHECK(s.cursor_visible);

    p.cursor(24 * 80 + 79);  // the last cell
    CHECK(vga.capture().cursor_visible);
    p.cursor(25 * 80);  // the first cell below the screen
    s = vga.capture();
    CHECK_FALSE(s.cursor_visible);
    CHECK(s.cursor_row == 25);
    CHECK(s.cursor_col == 0);
    p.cursor(0xFFFF);  // the usual way to hide it
    CHECK_FALSE(vga.capture().cursor_visible);

    // Scrolled by 80 cells, the same location is a row higher.
    p.start(80);
    p.cursor(12 * 80 + 34);
    s = vga.capture();
    CHECK(s.cursor_row == 11);
    CHECK(s.cursor_col == 34);
    p.cursor(40);  // above the screen now
    CHECK_FALSE(vga.capture().cursor_visible);
}

TEST_CASE("vga: cursor start bit 5 switches the cursor off, and so does start below end") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    p.cursor(5);
    p.crtc(PTV_VGA_CRTC_CURSOR_START, 0x20 | 0x0D);
    CHECK_FALSE(vga.capture().cursor_visible);
    p.crtc(PTV_VGA_CRTC_CURSOR_START, 0x00);  // a full block
    CHECK(vga.capture().cursor_visible);
    p.crtc(PTV_VGA_CRTC_CURSOR_START, 0x0F);  // first scan line below the last (0x0E)
    CHECK_FALSE(vga.capture().cursor_visible);
}

TEST_CASE("vga: the screen is guest RAM at 0xB8000 + 2 * start address, wrapping at 32 KiB") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    put(m, 0, "Hello", 0x1E);
    put(m, 24 * 80 + 75, "World", 0x4F);
    auto s = vga.capture();
    CHECK(s.at(0, 0) == VgaScreen::Cell{'H', 0x1E});
    CHECK(s.at(0, 4) == VgaScreen::Cell{'o', 0x1E});
    CHECK(s.at(0, 5) == VgaScreen::Cell{0, 0});  // RAM the guest never wrote
    CHECK(s.at(24, 79) == VgaScreen::Cell{'d', 0x4F});

    // Start address 80: row 1 of memory is the top row.
    put(m, 80, "second", 0x07);
    p.start(80);
    s = vga.capture();
    CHECK(s.at(0, 0) == VgaScreen::Cell{'s', 0x07});
    CHECK(s.at(23, 75) == VgaScreen::Cell{'W', 0x4F});

    // Near the end of the window the screen continues at its start.
    p.start(VgaScreen::kWindowCells - 80);
    put(m, VgaScreen::kWindowCells - 80, "last row of the window", 0x2F);
    s = vga.capture();
    CHECK(s.at(0, 0) == VgaScreen::Cell{'l', 0x2F});
    CHECK(s.at(1, 0) == VgaScreen::Cell{'H', 0x1E});
}

TEST_CASE("vga: a machine with less RAM than the window shows blanks, not a crash") {
    test::FakeMachine m(PTV_VGA_TEXT_BASE + 160);  // one row of the buffer
    devices::VgaText vga(m);
    put(m, 0, "only row", 0x07);
    auto s = vga.capture();
    CHECK(s.at(0, 0) == VgaScreen::Cell{'o', 0x07});
    CHECK(s.at(1, 0) == VgaScreen::Cell{0, 0});
    CHECK(s.at(24, 79) == VgaScreen::Cell{0, 0});
}

TEST_CASE("vga: input status 1 follows the 70 Hz raster on the machine's clock") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    // 900 dots at 28.322 MHz a line; 449 lines a frame; retrace on lines
    // 412 and 413; 720 dots and 400 lines shown.
    const double line_ns = 900 / 28.322e6 * 1e9;
    const double frame_ns = 449 * line_ns;
    auto at = [&](double ns) {
        m.now = uint64_t(ns);
        return p.in(PTV_VGA_INPUT_STATUS_1);
    };
    CHECK(at(10) == 0x00);                              // top left: drawing
    CHECK(at(line_ns * 5 + 28'000) == 0x01);            // right margin of line 5: not displayed
    CHECK(at(line_ns * 400 + 100) == 0x01);             // below the screen, before the retrace
    CHECK(at(line_ns * 412 + 100) == 0x09);             // vertical retrace
    CHECK(at(line_ns * 413 + 31'000) == 0x09);          // its second line
    CHECK(at(line_ns * 414 + 100) == 0x01);             // over
    CHECK(at(frame_ns + line_ns * 412 + 100) == 0x09);  // the next frame's
    CHECK(frame_ns == doctest::Approx(14.268e6).epsilon(0.001));  // 70.09 Hz

    // A guest waiting for retraces sees one per frame: 70 in a second.
    int retraces = 0;
    bool in_retrace = false;
    for (uint64_t ns = 0; ns < 1'000'000'000; ns += 10'000) {
        const bool r = at(double(ns)) & 0x08;
        retraces += r && !in_retrace;
        in_retrace = r;
    }
    CHECK(retraces == 70);

    // Far in the future (a machine up for years) the arithmetic still holds.
    m.now = 10'000'000'000'000'000ull;  // about 317 years
    CHECK(p.in(PTV_VGA_INPUT_STATUS_1) <= 0x09);
}

TEST_CASE("vga: the attribute controller's flip-flop, reset by reading 0x3DA") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    p.out(PTV_VGA_ATTR_INDEX, 0x06);              // index (palette entry 6)
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x14);  // brown's DAC entry
    p.out(PTV_VGA_ATTR_INDEX, 0x06);              // data
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x06);
    p.out(PTV_VGA_ATTR_INDEX, 0x30);  // index 0x10 with palette source bit 5
    CHECK(p.in(PTV_VGA_ATTR_INDEX) == 0x30);
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x0C);  // mode control
    p.out(PTV_VGA_ATTR_INDEX, 0x08);              // data: blink off

    // Half-way through a pair (an index written), a read of 0x3DA puts it
    // back: the next write is an index again, as a driver relies on.
    p.out(PTV_VGA_ATTR_INDEX, 0x12);
    (void)p.in(PTV_VGA_INPUT_STATUS_1);
    p.out(PTV_VGA_ATTR_INDEX, 0x11);  // index: overscan
    p.out(PTV_VGA_ATTR_INDEX, 0x3C);  // data
    CHECK(p.in(PTV_VGA_ATTR_INDEX) == 0x11);
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x3C);
    p.out(PTV_VGA_ATTR_INDEX, 0x12);  // colour plane enable kept its value
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x0F);
    p.out(PTV_VGA_ATTR_INDEX, 0x00);  // data: written to 0x12
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x00);
    p.out(PTV_VGA_ATTR_INDEX, 0x10);
    CHECK(p.in(PTV_VGA_ATTR_DATA_READ) == 0x08);
}

TEST_CASE("vga: sequencer, graphics controller, misc output and feature control read back") {
    ClockedMachine m;
    devices::VgaText vga(m);
    Ports p{vga};
    p.out(PTV_VGA_SEQ_INDEX, 0x04);
    CHECK(p.in(PTV_VGA_SEQ_DATA) == 0x02);
    p.out(PTV_VGA_SEQ_DATA, 0x06);
    CHECK(p.in(PTV_VGA_SEQ_DATA) == 0x06);
    p.out(PTV_VGA_GC_INDEX, 0x06);
    CHECK(p.in(PTV_VGA_GC_DATA) == 0x0E);
    p.out(PTV_VGA_GC_DATA, 0x05);
    CHECK(p.in(PTV_VGA_GC_DATA) == 0x05);
    CHECK(p.in(PTV_VGA_GC_INDEX) == 0x06);
    p.out(PTV_VGA_MISC_WRITE, 0x63);
    CHECK(p.in(PTV_VGA_MISC_READ) == 0x63);
    p.out(PTV_VGA_INPUT_STATUS_1, 0x01);
    CHECK(p.in(PTV_VGA_FEATURE_READ) == 0x01);
    CHECK(p.in(0x3C8) == 0xFF);  // the DAC is not emulated

    // None of them changes the text screen.
    put(m, 0, "A", 0x1E);
    CHECK(vga.capture().at(0, 0) == VgaScreen::Cell{'A', 0x1E});
}

TEST_CASE("vga: its state saves and loads, and a bad record changes nothing") {
    ClockedMachine m;
    devices::VgaText a(m);
    Ports pa{a};
    pa.cursor(3 * 80 + 7);
    pa.start(160);
    pa.crtc(PTV_VGA_CRTC_CURSOR_START, 0x0B);
    pa.out(PTV_VGA_SEQ_INDEX, 2);
    pa.out(PTV_VGA_ATTR_INDEX, 0x13);  // flip-flop now at "data"
    pa.out(PTV_VGA_MISC_WRITE, 0x66);
    const auto saved = a.save_state();

    devices::VgaText b(m);
    b.load_state(saved);
    CHECK(b.save_state() == saved);
    Ports pb{b};
    CHECK(b.capture() == a.capture());
    CHECK(pb.in(PTV_VGA_SEQ_INDEX) == 2);
    pb.out(PTV_VGA_ATTR_INDEX, 0x00);  // data for 0x13, the flip-flop came along
    pb.out(PTV_VGA_ATTR_INDEX, 0x13);
    CHECK(pb.in(PTV_VGA_ATTR_DATA_READ) == 0x00);

    auto bad = saved;
    bad["crtc"] = std::vector<int>(24, 0);
    devices::VgaText c(m);
    const auto before = c.save_state();
    CHECK_THROWS_AS(c.load_state(bad), std::invalid_argument);
    CHECK(c.save_state() == before);
}

TEST_CASE("vga: random accesses to every claimed port never crash") {
    ClockedMachine m;
    devices::VgaText vga(m);
    std::mt19937_64 rng(22);
    int stops = 0;
    for (int i = 0; i < 200'000; ++i) {
        const uint64_t offset = rng() % PTV_VGA_SIZE;
        const size_t width = size_t(1) << (rng() % 3);
        uint8_t data[4];
        for (auto& d : data) d = uint8_t(rng());
        m.now = rng() % 100'000'000'000ull;
        if (rng() & 1)
            stops += vga.write(vmb::Space::Pio, offset, {data, width}).has_value();
        else
            vga.read(vmb::Space::Pio, offset, {data, width});
        if (i % 1000 == 0) (void)vga.capture();
    }
    CHECK(stops == 0);  // a VGA never ends the run
    // Whatever the registers hold, the cursor is on a cell of the window.
    const auto s = vga.capture();
    CHECK(s.cursor_row * VgaScreen::kColumns + s.cursor_col < VgaScreen::kWindowCells);
    CHECK(s.cursor_col < VgaScreen::kColumns);
}

TEST_CASE("vga: registered as \"vga\" and claiming 0x3C0-0x3DF only") {
    ClockedMachine m;
    devices::DeviceSet set(m);
    vmb::VirtualMotherboard board;
    set.plug_into(board);
    for (unsigned port = PTV_VGA_BASE; port < PTV_VGA_BASE + PTV_VGA_SIZE; ++port)
        CHECK(board.find(vmb::Space::Pio, port)->device->name() == "vga");
    CHECK(board.find(vmb::Space::Pio, PTV_VGA_BASE - 1) == nullptr);
    CHECK(board.find(vmb::Space::Pio, PTV_VGA_BASE + PTV_VGA_SIZE) == nullptr);
    // The text buffer is RAM: no claim, so the guest's stores never exit.
    CHECK(board.find(vmb::Space::Mmio, PTV_VGA_TEXT_BASE) == nullptr);
    CHECK(&set.get<devices::VgaText>() == set.find("vga"));
}

TEST_CASE("vga: a frame in the trace is an instant on the vga device's track") {
    ClockedMachine m;
    devices::DeviceSet set(m);
    vmb::VirtualMotherboard board;
    set.plug_into(board);
    vnd::NotificationDispatcher d(board);
    put(m, 0, "Hi", 0x1E);
    const VgaScreen screen = set.get<devices::VgaText>().capture();

    char* buf = nullptr;
    size_t len = 0;
    FILE* f = open_memstream(&buf, &len);
    REQUIRE(f);
    {
        trace::TraceWriter w(f, trace::TraceWriter::Mode::Lines);
        vnd::write_tracks(w, d, "test", 0);
        CHECK(vnd::write_screen(w, d, screen, 2'500'000, 500'000));
        // A board without a VGA has no track for a frame.
        devices::Uart16550 uart(m);
        vmb::VirtualMotherboard bare;
        uart.plug_in(bare);
        CHECK_FALSE(vnd::write_screen(w, vnd::NotificationDispatcher(bare), screen, 0, 0));
    }
    std::fclose(f);
    const auto t = trace::parse({buf, len});
    std::free(buf);

    int vga_tid = -1, frames = 0;
    for (const auto& e : t.events)
        if (e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == "vga (emulated)")
            vga_tid = e["tid"];
    // Device tracks are 100 on, in board order.
    const auto& on_board = board.devices();
    const auto at = std::find(on_board.begin(), on_board.end(), set.find("vga"));
    CHECK(vga_tid == 100 + int(at - on_board.begin()));
    for (const auto& e : t.events) {
        if (e.value("cat", "") != "vga") continue;
        ++frames;
        CHECK(e["name"] == "screen");
        CHECK(e["ph"] == "i");
        CHECK(e["tid"] == vga_tid);
        CHECK(e["ts"] == 2000.0);
        CHECK(screen_from_json(e["args"]) == screen);
    }
    CHECK(frames == 1);
}
