#include "ptv/devices/vga_ansi.hpp"

#include <fmt/format.h>

namespace ptv::devices {

namespace {

constexpr uint8_t kBright = 0x08, kBlink = 0x80;

// CUP: rows and columns count from 1.
void move_to(std::string& out, int row, int col) {
    out += fmt::format("\x1b[{};{}H", row + 1, col + 1);
}

// Where the terminal's cursor ends a frame: on the guest's cursor, or at
// the top left, hidden, when the guest shows none.
struct Placement {
    int row = 0, col = 0;
    bool visible = false;
    bool operator==(const Placement&) const = default;
};

Placement placement(const VgaScreen& s) {
    if (!s.cursor_visible) return {};
    return {s.cursor_row, s.cursor_col, true};
}

}  // namespace

std::string sgr(uint8_t attr) {
    const uint8_t fg = attr & 0x0F, bg = (attr >> 4) & 0x07;
    const int fg_code = (fg & kBright ? 90 : 30) + kVgaToAnsi[fg & 7];
    const int bg_code = 40 + kVgaToAnsi[bg];
    return fmt::format("\x1b[0;{};{}{}m", fg_code, bg_code, attr & kBlink ? ";5" : "");
}

std::string render_ansi(const VgaScreen& now, const VgaScreen* before) {
    std::string out;
    // Where the terminal's cursor is after the last glyph written (-1:
    // unknown, move before writing) and the attribute it writes with (-1:
    // not set by us).
    int at = -1, attr = -1;
    for (int i = 0; i < VgaScreen::kCells; ++i) {
        const VgaScreen::Cell& cell = now.cells[size_t(i)];
        if (before && before->cells[size_t(i)] == cell) continue;
        const int row = i / VgaScreen::kColumns, col = i % VgaScreen::kColumns;
        if (at != i) move_to(out, row, col);
        if (attr != cell.attr) {
            out += sgr(cell.attr);
            attr = cell.attr;
        }
        out += cp437_to_utf8(cell.ch);
        // After the last column a terminal waits to wrap: the next cell is
        // reached with an explicit move instead.
        at = col + 1 < VgaScreen::kColumns ? i + 1 : -1;
    }
    const Placement cursor = placement(now);
    if (out.empty() && before && placement(*before) == cursor) return out;
    if (attr >= 0) out += "\x1b[0m";
    move_to(out, cursor.row, cursor.col);
    out += cursor.visible ? "\x1b[?25h" : "\x1b[?25l";
    return out;
}

}  // namespace ptv::devices
