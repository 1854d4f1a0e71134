// A VGA text screen (mode 3: 80 columns by 25 rows, a character and an
// attribute byte per cell) as the console's scan-out would see it, and what
// every reader of one shares: the glyphs of code page 437, the 16 colours,
// the screen as plain text, and its lossless form in a trace.
//
// The device (devices/vga_text.hpp) captures screens from guest RAM, the
// terminal renderer (devices/vga_ansi.hpp) draws them with ANSI escapes, and
// the visualizer draws them from the trace; the type lives here because the
// visualizer may include only common/.
//
// An attribute byte (IBM VGA Technical Reference, "Attribute Controller",
// blink enabled as the BIOS leaves it for mode 3):
//   bits 0-3  foreground colour, 0-15 (the 16 colours below)
//   bits 4-6  background colour, 0-7 (the dark half)
//   bit 7     blink
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace ptv {

struct VgaScreen {
    static constexpr int kColumns = 80;
    static constexpr int kRows = 25;
    static constexpr int kCells = kColumns * kRows;
    // The text buffer is a 32 KiB window of 16 Ki cells (0xB8000-0xBFFFF):
    // the CRTC's start address and cursor location count in cells inside it.
    static constexpr int kWindowCells = 0x4000;

    struct Cell {
        uint8_t ch = ' ';     // a code page 437 character
        uint8_t attr = 0x07;  // light grey on black, what a mode set leaves
        bool operator==(const Cell&) const = default;
    };
    std::array<Cell, kCells> cells{};  // row by row, from the top left
    // The hardware cursor, in cells from the screen's top left. A cursor
    // the CRTC places outside the 25 rows keeps its place (row up to
    // kWindowCells / kColumns) but is never visible.
    int cursor_row = 0, cursor_col = 0;
    bool cursor_visible = false;

    Cell& at(int row, int col) { return cells[size_t(row * kColumns + col)]; }
    const Cell& at(int row, int col) const { return cells[size_t(row * kColumns + col)]; }
    bool operator==(const VgaScreen&) const = default;
};

// The glyph code page 437 (the VGA's ROM font) draws for a byte, as a
// Unicode code point: the 0x01-0x1F symbols (0x01 U+263A), ASCII, 0x7F
// (U+2302), the accented letters, the box-drawing and block characters
// (0xC9 U+2554, 0xDB U+2588), Greek and mathematics. 0x00 draws nothing,
// U+0020, as does 0xFF (U+00A0); every other byte has a glyph of its own.
char32_t cp437_to_unicode(uint8_t byte);
// The same glyph, UTF-8 encoded.
std::string cp437_to_utf8(uint8_t byte);

// The 16 colours as the VGA's DAC holds them after a mode 3 set, 0xRRGGBB:
// black, blue, green, cyan, red, magenta, brown, light grey, then the
// bright eight (dark grey ... yellow, white).
uint32_t vga_rgb(int colour);

// The screen as 25 lines of UTF-8, each ending in '\n', blanks (0x00,
// 0x20, 0xFF) at a line's end trimmed: what a test greps for words.
std::string screen_text(const VgaScreen& screen);

// A screen in a trace (the args of a "vga"/"screen" event, docs/DESIGN.md):
//   {"text":   [25 strings: each row's glyphs in UTF-8, trailing U+0020
//               cut; 0x00 is written U+2400 (the symbol for null) so
//               every byte has its own character and the text is
//               lossless],
//    "attr":   "2000 attribute bytes as 4000 lower-case hex digits",
//    "cursor": [row, col, visible]}
// screen_from_json(screen_to_json(s)) == s for every s.
nlohmann::json screen_to_json(const VgaScreen& screen);
// Throws std::invalid_argument naming what is wrong with a record (a
// missing key, a row too long, a character code page 437 lacks, bad hex,
// a cursor off the window).
VgaScreen screen_from_json(const nlohmann::json& record);

}  // namespace ptv
