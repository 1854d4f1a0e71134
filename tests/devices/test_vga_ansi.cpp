// A VGA text screen as the terminal and the trace see it: code page 437,
// attribute bytes as exact SGR sequences, the text of a screen, a frame
// drawn whole and as a diff, and the trace record's round trip.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <random>
#include <set>

#include "ptv/common/vga_screen.hpp"
#include "ptv/devices/vga_ansi.hpp"

using namespace ptv;
using devices::render_ansi;
using devices::sgr;

namespace {

void put(VgaScreen& s, int row, int col, std::string_view text, uint8_t attr) {
    for (char c : text) s.at(row, col++) = {uint8_t(c), attr};
}

// A screen with something on every row, every attribute and every byte.
VgaScreen busy_screen(uint64_t seed) {
    std::mt19937_64 rng(seed);
    VgaScreen s;
    for (auto& cell : s.cells) cell = {uint8_t(rng()), uint8_t(rng())};
    s.cursor_row = 7;
    s.cursor_col = 79;
    s.cursor_visible = true;
    return s;
}

}  // namespace

TEST_CASE("cp437: the symbols, box drawing and blocks have their own glyphs") {
    CHECK(cp437_to_unicode(0xC9) == U'\u2554');  // ╔
    CHECK(cp437_to_unicode(0xDB) == U'\u2588');  // █
    CHECK(cp437_to_unicode(0x01) == U'\u263A');  // ☺
    CHECK(cp437_to_unicode(0xB0) == U'\u2591');  // ░
    CHECK(cp437_to_unicode(0xCD) == U'\u2550');  // ═
    CHECK(cp437_to_unicode(0x7F) == U'\u2302');  // ⌂
    CHECK(cp437_to_unicode(0xE1) == U'\u00DF');  // ß
    CHECK(cp437_to_unicode('A') == U'A');
    CHECK(cp437_to_unicode(0x00) == U' ');
    CHECK(cp437_to_unicode(0xFF) == U'\u00A0');
    CHECK(cp437_to_utf8(0xC9) == "\xE2\x95\x94");
    CHECK(cp437_to_utf8(0x82) == "\xC3\xA9");  // é
    // Every byte but 0x00 has a glyph no other byte has.
    std::set<char32_t> glyphs;
    for (int b = 1; b < 256; ++b) glyphs.insert(cp437_to_unicode(uint8_t(b)));
    CHECK(glyphs.size() == 255);
}

TEST_CASE("ansi: attribute bytes become exact SGR sequences") {
    CHECK(sgr(0x1E) == "\x1b[0;93;44m");    // yellow on blue
    CHECK(sgr(0x07) == "\x1b[0;37;40m");    // light grey on black
    CHECK(sgr(0x0F) == "\x1b[0;97;40m");    // white
    CHECK(sgr(0x08) == "\x1b[0;90;40m");    // dark grey
    CHECK(sgr(0x41) == "\x1b[0;34;41m");    // blue on red: VGA 1 is ANSI 4, VGA 4 ANSI 1
    CHECK(sgr(0x63) == "\x1b[0;36;43m");    // cyan on brown
    CHECK(sgr(0x9C) == "\x1b[0;91;44;5m");  // blinking light red on blue
    CHECK(sgr(0xF0) == "\x1b[0;30;47;5m");  // bit 7 blinks, the background stays dark
    // Each VGA colour's foreground code.
    const int fg[16] = {30, 34, 32, 36, 31, 35, 33, 37, 90, 94, 92, 96, 91, 95, 93, 97};
    for (int v = 0; v < 16; ++v)
        CHECK(sgr(uint8_t(v)) == "\x1b[0;" + std::to_string(fg[v]) + ";40m");
}

TEST_CASE("vga colours: the mode 3 palette") {
    CHECK(vga_rgb(0) == 0x000000);
    CHECK(vga_rgb(1) == 0x0000AA);
    CHECK(vga_rgb(6) == 0xAA5500);  // brown
    CHECK(vga_rgb(7) == 0xAAAAAA);
    CHECK(vga_rgb(14) == 0xFFFF55);
    CHECK(vga_rgb(15) == 0xFFFFFF);
}

TEST_CASE("screen_text: 25 lines, glyphs in UTF-8, trailing blanks cut") {
    VgaScreen s;
    put(s, 0, 0, "SPACE INVADERS", 0x0F);
    put(s, 2, 10, "\xC9\xCD\xBB", 0x1E);  // ╔═╗
    s.at(3, 79) = {0xDB, 0x07};           // █ in the last column
    s.at(4, 3) = {0x00, 0x07};            // NUL draws a blank: trimmed at the end
    s.at(5, 0) = {0x01, 0x07};
    s.at(5, 2) = {0xFF, 0x07};
    const std::string text = screen_text(s);
    std::string expected = "SPACE INVADERS\n\n          \u2554\u2550\u2557\n" +
                           std::string(79, ' ') + "\u2588\n\n\u263A\n";
    for (int r = 6; r < 25; ++r) expected += "\n";
    CHECK(text == expected);
}

TEST_CASE("ansi: a whole frame draws every cell, then the cursor") {
    VgaScreen s;
    put(s, 0, 0, "Hi", 0x1E);
    s.cursor_row = 1;
    s.cursor_col = 2;
    s.cursor_visible = true;
    const std::string out = render_ansi(s, nullptr);
    // Row 1: move home, yellow on blue "Hi", then the default blank.
    CHECK(out.rfind("\x1b[1;1H\x1b[0;93;44mHi\x1b[0;37;40m ", 0) == 0);
    // One move per row (a terminal waits to wrap after column 80), two SGRs.
    size_t moves = 0, sgrs = 0;
    for (size_t i = out.find("\x1b["); i != std::string::npos; i = out.find("\x1b[", i + 1)) {
        const size_t end = out.find_first_of("Hmlh", i);
        moves += out[end] == 'H';
        sgrs += out[end] == 'm';
    }
    CHECK(moves == 25 + 1);  // each row, then the cursor
    CHECK(sgrs == 2 + 1);    // two attributes, then the reset
    const std::string tail = "\x1b[0m\x1b[2;3H\x1b[?25h";
    CHECK(out.substr(out.size() - tail.size()) == tail);
    CHECK(out.find(std::string(78, ' ') + "\x1b[2;1H") != std::string::npos);
}

TEST_CASE("ansi: a diff draws only the changed cells") {
    VgaScreen before;
    put(before, 3, 10, "score 0010", 0x07);
    before.cursor_visible = false;
    VgaScreen now = before;
    now.at(3, 18) = {'2', 0x07};  // "0010" -> "0020"
    now.at(3, 19) = {'5', 0x07};  // -> "0025"
    now.at(20, 40) = {0xDB, 0x0C};
    CHECK(render_ansi(now, &before) ==
          "\x1b[4;19H\x1b[0;37;40m25"       // two neighbours: one move, one SGR
          "\x1b[21;41H\x1b[0;91;40m\u2588"  // elsewhere: a move, its colour
          "\x1b[0m\x1b[1;1H\x1b[?25l");     // reset, cursor home and hidden

    // Only the colour changes: the same glyph, redrawn in the new colour.
    VgaScreen recoloured = now;
    recoloured.at(3, 10).attr = 0x1E;
    CHECK(render_ansi(recoloured, &now) == "\x1b[4;11H\x1b[0;93;44ms\x1b[0m\x1b[1;1H\x1b[?25l");

    // Nothing changed: nothing to write.
    CHECK(render_ansi(now, &now) == "");

    // Only the cursor moved: no cells, no SGR.
    VgaScreen moved = now;
    moved.cursor_visible = true;
    moved.cursor_row = 24;
    moved.cursor_col = 79;
    CHECK(render_ansi(moved, &now) == "\x1b[25;80H\x1b[?25h");
    // A hidden cursor that moves is still nothing to write.
    VgaScreen hidden = now;
    hidden.cursor_row = 200;
    CHECK(render_ansi(hidden, &now) == "");
}

TEST_CASE("ansi: a diff across the end of a row moves explicitly") {
    VgaScreen before;
    VgaScreen now;
    now.at(0, 79) = {'a', 0x07};
    now.at(1, 0) = {'b', 0x07};
    CHECK(render_ansi(now, &before) ==
          "\x1b[1;80H\x1b[0;37;40ma\x1b[2;1Hb\x1b[0m\x1b[1;1H\x1b[?25l");
}

TEST_CASE("trace record: the frame's JSON form, and its exact round trip") {
    VgaScreen s;
    put(s, 0, 0, "Hi", 0x1E);
    s.at(1, 0) = {0xC9, 0x07};
    s.at(2, 1) = {0x00, 0x07};
    s.cursor_row = 1;
    s.cursor_col = 2;
    s.cursor_visible = true;
    const auto j = screen_to_json(s);
    CHECK(j["text"][0] == "Hi");
    CHECK(j["text"][1] == "\u2554");
    CHECK(j["text"][2] == " \u2400");  // NUL is the symbol for null: lossless
    CHECK(j["text"][3] == "");
    CHECK(j["text"].size() == 25);
    CHECK(j["attr"].get<std::string>().substr(0, 8) == "1e1e0707");
    CHECK(j["attr"].get<std::string>().size() == 4000);
    CHECK(j["cursor"] == nlohmann::json({1, 2, true}));
    CHECK(screen_from_json(j) == s);
    // Through text and back, as a trace file carries it.
    CHECK(screen_from_json(nlohmann::json::parse(j.dump())) == s);

    for (uint64_t seed = 1; seed <= 20; ++seed) {
        const VgaScreen b = busy_screen(seed);
        CHECK(screen_from_json(nlohmann::json::parse(screen_to_json(b).dump())) == b);
    }
    VgaScreen off;  // a hidden cursor far below the screen keeps its place
    off.cursor_row = 204;
    off.cursor_col = 79;
    CHECK(screen_from_json(screen_to_json(off)) == off);
}

TEST_CASE("trace record: a bad record is refused, naming what is wrong") {
    const auto good = screen_to_json(VgaScreen{});
    auto refused = [&](auto change) {
        auto j = good;
        change(j);
        try {
            (void)screen_from_json(j);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(refused([](auto& j) { j = 3; }) == "vga screen record: not an object");
    CHECK(refused([](auto& j) { j.erase("attr"); }) == "vga screen record: no \"attr\"");
    CHECK(refused([](auto& j) { j["text"].erase(0); }) ==
          "vga screen record: \"text\" is not an array of 25 strings");
    CHECK(refused([](auto& j) { j["text"][4] = 7; }) ==
          "vga screen record: text row 4 is not a string");
    CHECK(refused([](auto& j) { j["text"][3] = std::string(81, 'x'); }) ==
          "vga screen record: text row 3 is longer than 80 characters");
    CHECK(refused([](auto& j) { j["text"][0] = std::string("\0", 1); }) ==
          "vga screen record: text row 0 column 0: U+0000 is not in code page 437");
    CHECK(refused([](auto& j) { j["text"][2] = "ok \u20AC"; }) ==
          "vga screen record: text row 2 column 3: U+20AC is not in code page 437");
    CHECK(refused([](auto& j) { j["text"][1] = "\xFF"; }) ==
          "vga screen record: text row 1 is not UTF-8 at column 0");
    CHECK(refused([](auto& j) { j["attr"] = "07"; }) ==
          "vga screen record: \"attr\" is not 4000 hex digits");
    CHECK(refused([](auto& j) { j["attr"] = std::string(3998, '0') + "0g"; }) ==
          "vga screen record: \"attr\" has a non-hex digit at cell 1999");
    CHECK(refused([](auto& j) {
              j["cursor"] = {1, 2};
          }) == "vga screen record: \"cursor\" is not [row, col, visible]");
    CHECK(refused([](auto& j) {
              j["cursor"] = {1, 80, false};
          }) == "vga screen record: cursor (1, 80) is outside the text window");
    CHECK(refused([](auto& j) {
              j["cursor"] = {25, 0, true};
          }) == "vga screen record: a visible cursor on row 25, below the screen");
    CHECK(refused([](auto&) {}) == "accepted");
}
