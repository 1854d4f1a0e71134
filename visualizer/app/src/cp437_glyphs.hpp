// The glyphs of code page 437 that Dear ImGui's built-in font lacks (it has
// only ASCII and Latin-1), drawn as shapes into a character cell the way
// the VGA's ROM font draws them: the block and shade characters fill the
// cell (so adjacent cells join), the box-drawing characters run their
// single or double lines to the cell's edges, and a few symbols games use
// (the triangles, the bullet, the square) are drawn as what they are.
#pragma once

#include <imgui.h>

#include <cstdint>

namespace ptv::viz {

// Draws `ch` into the cell [min, max) in colour fg over bg (already
// painted) and returns true; false when the font should draw it as text.
bool draw_cp437_shape(ImDrawList* dl, uint8_t ch, ImVec2 min, ImVec2 max, uint32_t fg, uint32_t bg);

}  // namespace ptv::viz
