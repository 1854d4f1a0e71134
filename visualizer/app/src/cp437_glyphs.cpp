#include "cp437_glyphs.hpp"

#include <algorithm>
#include <cmath>

namespace ptv::viz {

namespace {

// The box-drawing characters 0xB3-0xDA: the weight of the line each one
// runs to its cell's top, bottom, left and right edge (0 none, 1 single,
// 2 double), in that order.
constexpr const char* kBoxArms[] = {
    "1100", "1110", "1120", "2210", "0210", "0120", "2220", "2200",  // B3 │ ┤ ╡ ╢ ╖ ╕ ╣ ║
    "0220", "2020", "2010", "1020", "0110", "1001", "1011", "0111",  // BB ╗ ╝ ╜ ╛ ┐ └ ┴ ┬
    "1101", "0011", "1111", "1102", "2201", "2002", "0202", "2022",  // C3 ├ ─ ┼ ╞ ╟ ╚ ╔ ╩
    "0222", "2202", "0022", "2222", "1022", "2011", "0122", "0211",  // CB ╦ ╠ ═ ╬ ╧ ╨ ╤ ╥
    "2001", "1002", "0102", "0201", "2211", "1122", "1010", "0101",  // D3 ╙ ╘ ╒ ╓ ╫ ╪ ┘ ┌
};

// fg over bg with coverage p (0-1), per channel: a shade character is a
// dot pattern that the eye mixes.
uint32_t mix(uint32_t fg, uint32_t bg, float p) {
    uint32_t out = 0;
    for (int shift = 0; shift < 32; shift += 8) {
        const float a = float((fg >> shift) & 0xFF), b = float((bg >> shift) & 0xFF);
        out |= uint32_t(std::lround(b + (a - b) * p)) << shift;
    }
    return out;
}

// A box-drawing character: a single line is a stroke t wide; a double line
// is a band 2g + t wide with its middle cut out in the background colour,
// so that where two double lines meet, their outer and inner lines join
// into corners (and a crossing of two leaves four corners, as in ╬).
void box(ImDrawList* dl, const char* arms, ImVec2 a, ImVec2 b, uint32_t fg, uint32_t bg) {
    const float w = b.x - a.x, h = b.y - a.y;
    const float cx = std::floor(a.x + w / 2), cy = std::floor(a.y + h / 2);
    const float t = std::max(1.0f, std::round(w / 8));   // line thickness
    const float g = std::max(t + 1, std::round(w / 5));  // a double line's offset from the axis
    int weight[4];                                       // up, down, left, right
    for (int arm = 0; arm < 4; ++arm) weight[arm] = arms[arm] - '0';
    // The arms across an arm's axis: left and right for up and down.
    const auto across = [&](int arm, int k) { return arm < 2 ? weight[2 + k] : weight[k]; };
    // A band along an arm, half-width hw, from the cell's edge to `reach`
    // past the centre (a negative reach stops short of it).
    const auto band = [&](int arm, float reach, float hw, uint32_t col) {
        ImVec2 p0, p1;
        switch (arm) {
            case 0:
                p0 = ImVec2(cx - hw, a.y), p1 = ImVec2(cx + hw, cy + reach);
                break;
            case 1:
                p0 = ImVec2(cx - hw, cy - reach), p1 = ImVec2(cx + hw, b.y);
                break;
            case 2:
                p0 = ImVec2(a.x, cy - hw), p1 = ImVec2(cx + reach, cy + hw);
                break;
            default:
                p0 = ImVec2(cx - reach, cy - hw), p1 = ImVec2(b.x, cy + hw);
                break;
        }
        dl->AddRectFilled(p0, p1, col);
    };
    const auto double_across = [&](int arm) { return across(arm, 0) == 2 || across(arm, 1) == 2; };
    for (int arm = 0; arm < 4; ++arm)
        if (weight[arm] == 2) band(arm, double_across(arm) ? g + t / 2 : t / 2, g + t / 2, fg);
    for (int arm = 0; arm < 4; ++arm)
        if (weight[arm] == 2) band(arm, double_across(arm) ? g - t / 2 : t / 2, g - t / 2, bg);
    for (int arm = 0; arm < 4; ++arm) {
        if (weight[arm] != 1) continue;
        // A single line meeting a double one ends on its far line at a
        // corner (╖), on its near line at a tee (╟), and crosses it when
        // the single line goes on (╫).
        float reach = t / 2;
        if (double_across(arm) && weight[arm ^ 1] == 0)
            reach = across(arm, 0) == 2 && across(arm, 1) == 2 ? -(g - t / 2) : g + t / 2;
        band(arm, reach, t / 2, fg);
    }
}

}  // namespace

bool draw_cp437_shape(ImDrawList* dl, uint8_t ch, ImVec2 a, ImVec2 b, uint32_t fg, uint32_t bg) {
    const float w = b.x - a.x, h = b.y - a.y;
    const ImVec2 c(a.x + w / 2, a.y + h / 2);
    if (ch >= 0xB3 && ch <= 0xDA) {
        box(dl, kBoxArms[ch - 0xB3], a, b, fg, bg);
        return true;
    }
    switch (ch) {
        case 0xB0:  // ░ ▒ ▓: a quarter, half, three quarters of the dots
        case 0xB1:
        case 0xB2:
            dl->AddRectFilled(a, b, mix(fg, bg, float(ch - 0xB0 + 1) / 4));
            return true;
        case 0xDB:  // █
            dl->AddRectFilled(a, b, fg);
            return true;
        case 0xDC:  // ▄
            dl->AddRectFilled(ImVec2(a.x, c.y), b, fg);
            return true;
        case 0xDD:  // ▌
            dl->AddRectFilled(a, ImVec2(c.x, b.y), fg);
            return true;
        case 0xDE:  // ▐
            dl->AddRectFilled(ImVec2(c.x, a.y), b, fg);
            return true;
        case 0xDF:  // ▀
            dl->AddRectFilled(a, ImVec2(b.x, c.y), fg);
            return true;
        case 0xFE:  // ■
            dl->AddRectFilled(ImVec2(a.x + w * 0.2f, a.y + h * 0.35f),
                              ImVec2(b.x - w * 0.2f, b.y - h * 0.3f), fg);
            return true;
        case 0x16:  // ▬
            dl->AddRectFilled(ImVec2(a.x, a.y + h * 0.55f), ImVec2(b.x, a.y + h * 0.75f), fg);
            return true;
        case 0x10:  // ►
            dl->AddTriangleFilled(ImVec2(a.x + w * 0.15f, a.y + h * 0.25f),
                                  ImVec2(b.x - w * 0.1f, c.y),
                                  ImVec2(a.x + w * 0.15f, b.y - h * 0.25f), fg);
            return true;
        case 0x11:  // ◄
            dl->AddTriangleFilled(ImVec2(b.x - w * 0.15f, a.y + h * 0.25f),
                                  ImVec2(b.x - w * 0.15f, b.y - h * 0.25f),
                                  ImVec2(a.x + w * 0.1f, c.y), fg);
            return true;
        case 0x1E:  // ▲
            dl->AddTriangleFilled(ImVec2(c.x, a.y + h * 0.3f),
                                  ImVec2(b.x - w * 0.1f, b.y - h * 0.3f),
                                  ImVec2(a.x + w * 0.1f, b.y - h * 0.3f), fg);
            return true;
        case 0x1F:  // ▼
            dl->AddTriangleFilled(ImVec2(a.x + w * 0.1f, a.y + h * 0.3f),
                                  ImVec2(b.x - w * 0.1f, a.y + h * 0.3f),
                                  ImVec2(c.x, b.y - h * 0.3f), fg);
            return true;
        case 0x04:  // ♦
            dl->AddQuadFilled(ImVec2(c.x, a.y + h * 0.25f), ImVec2(b.x - w * 0.1f, c.y),
                              ImVec2(c.x, b.y - h * 0.25f), ImVec2(a.x + w * 0.1f, c.y), fg);
            return true;
        case 0x03: {  // ♥: two lobes over a point
            const float r = w * 0.2f, y = c.y - h * 0.08f;
            dl->AddCircleFilled(ImVec2(c.x - w * 0.18f, y), r, fg);
            dl->AddCircleFilled(ImVec2(c.x + w * 0.18f, y), r, fg);
            dl->AddTriangleFilled(ImVec2(a.x + w * 0.1f, y + r * 0.3f),
                                  ImVec2(b.x - w * 0.1f, y + r * 0.3f),
                                  ImVec2(c.x, c.y + h * 0.22f), fg);
            return true;
        }
        case 0x05:    // ♣: three leaves on a stem
        case 0x06: {  // ♠: a point over two lobes on a stem
            const float r = w * (ch == 0x05 ? 0.17f : 0.2f);
            if (ch == 0x05) {
                dl->AddCircleFilled(ImVec2(c.x, c.y - h * 0.12f), r, fg);
            } else {
                dl->AddTriangleFilled(ImVec2(c.x, c.y - h * 0.25f),
                                      ImVec2(b.x - w * 0.1f, c.y + h * 0.04f),
                                      ImVec2(a.x + w * 0.1f, c.y + h * 0.04f), fg);
            }
            dl->AddCircleFilled(ImVec2(c.x - w * 0.2f, c.y + h * 0.05f), r, fg);
            dl->AddCircleFilled(ImVec2(c.x + w * 0.2f, c.y + h * 0.05f), r, fg);
            dl->AddTriangleFilled(ImVec2(c.x, c.y), ImVec2(c.x + w * 0.14f, c.y + h * 0.26f),
                                  ImVec2(c.x - w * 0.14f, c.y + h * 0.26f), fg);
            return true;
        }
        case 0x07:  // •
        case 0xF9:  // ∙
        case 0xFA:  // ·
            dl->AddCircleFilled(c, w * (ch == 0x07 ? 0.22f : ch == 0xF9 ? 0.15f : 0.1f), fg);
            return true;
        case 0x09:  // ○
        case 0x01:  // ☺, drawn as its outline
            dl->AddCircle(c, w * 0.35f, fg, 0, std::max(1.0f, std::round(w / 8)));
            return true;
        case 0x02:  // ☻, a filled face
            dl->AddCircleFilled(c, w * 0.38f, fg);
            return true;
        case 0x08:  // ◘: the bullet cut out of a full cell
            dl->AddRectFilled(a, b, fg);
            dl->AddCircleFilled(c, w * 0.22f, bg);
            return true;
        case 0x0A:  // ◙
            dl->AddRectFilled(a, b, fg);
            dl->AddCircle(c, w * 0.3f, bg, 0, std::max(1.0f, std::round(w / 8)));
            return true;
    }
    return false;
}

}  // namespace ptv::viz
