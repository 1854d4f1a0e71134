// A VGA text screen drawn on a terminal with ANSI escapes (ECMA-48: CUP to
// move, SGR for colours, DECTCEM to show or hide the cursor), as UTF-8
// with the glyphs of code page 437. The console thread calls it at a steady
// rate with the last frame it drew, so a guest that changes one cell costs
// the terminal one cell.
//
// Colours. An attribute byte's low nibble is the foreground, bits 4-6 the
// background, bit 7 blink (vga_screen.hpp). VGA and ANSI number the eight
// basic colours differently -- VGA is blue=1, green=2, red=4 (bit 0 blue),
// ANSI is red=1, green=2, blue=4 (bit 0 red) -- so VGA colour v is ANSI
// colour kVgaToAnsi[v & 7] = {0, 4, 2, 6, 1, 5, 3, 7}[v & 7]:
//
//   VGA  colour       SGR fg  bright (VGA +8)   SGR fg    SGR bg
//   0    black        30      dark grey          90        40
//   1    blue         34      light blue         94        44
//   2    green        32      light green        92        42
//   3    cyan         36      light cyan         96        46
//   4    red          31      light red          91        41
//   5    magenta      35      light magenta      95        45
//   6    brown        33      yellow             93        43
//   7    light grey   37      white              97        47
//
// Each run of cells with one attribute starts with the whole SGR
// "ESC[0;FG;BG" (";5" when bit 7 blinks) "m", so no earlier state leaks
// in: 0x1E, yellow on blue, is "\x1b[0;93;44m"; 0x07 "\x1b[0;37;40m".
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "ptv/common/vga_screen.hpp"

namespace ptv::devices {

inline constexpr std::array<uint8_t, 8> kVgaToAnsi = {0, 4, 2, 6, 1, 5, 3, 7};

// The SGR sequence that selects an attribute's colours (and blink).
std::string sgr(uint8_t attr);

// What to write to an 80x25-or-larger terminal to show `now`: with no
// `before`, the whole screen (every cell, from the top left); otherwise
// only the cells that differ from `before`, each run reached with a cursor
// move, with an SGR only where its attribute differs from the cell written
// just before. Then the colours are reset and the hardware cursor placed
// and shown or hidden. A frame equal to `before` is "" (nothing to write).
std::string render_ansi(const VgaScreen& now, const VgaScreen* before);

}  // namespace ptv::devices
