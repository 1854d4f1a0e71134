// Screen: the VGA text console as the guest left it at the timeline's
// selected time (its selected event, else the end of its window): the
// 80x25 cells in the 16 VGA colours, the hardware cursor, and a slider
// that walks through the frames (moving the timeline's selection with it).
#include <fmt/format.h>
#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "cp437_glyphs.hpp"
#include "ptv/viz/app.hpp"

namespace ptv::viz {

namespace {

uint32_t colour(int vga) {
    const uint32_t rgb = vga_rgb(vga);
    return IM_COL32((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, 255);
}

// The cursor the BIOS sets for mode 3 covers scan lines 13-14 of 16.
constexpr float kCursorTop = 13.0f / 16, kCursorBottom = 15.0f / 16;

void draw_cells(App& app, const VgaScreen* screen, ImVec2 origin, float cw, float ch) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const float w = cw * VgaScreen::kColumns, h = ch * VgaScreen::kRows;
    app.layout.rect("screen_area", origin.x, origin.y, w, h);
    app.layout.j["cell"] = {cw, ch};
    if (!screen) {
        // Before the first frame the screen has shown nothing yet.
        dl->AddRectFilled(origin, ImVec2(origin.x + w, origin.y + h), colour(0));
        return;
    }
    ImFont* font = ImGui::GetFont();
    const float font_size = std::floor(ch * 0.8f);
    for (int r = 0; r < VgaScreen::kRows; ++r) {
        for (int c = 0; c < VgaScreen::kColumns; ++c) {
            const VgaScreen::Cell& cell = screen->at(r, c);
            const ImVec2 a(origin.x + cw * float(c), origin.y + ch * float(r));
            const ImVec2 b(a.x + cw, a.y + ch);
            // Blink (bit 7) is drawn steady: a picture of one instant.
            const uint32_t fg = colour(cell.attr & 0x0F), bg = colour((cell.attr >> 4) & 0x07);
            dl->AddRectFilled(a, b, bg);
            if (draw_cp437_shape(dl, cell.ch, a, b, fg, bg)) continue;
            const std::string glyph = cp437_to_utf8(cell.ch);
            if (glyph == " " || glyph == "\u00A0") continue;
            const ImVec2 size = font->CalcTextSizeA(font_size, b.x - a.x, 0, glyph.data(),
                                                    glyph.data() + glyph.size());
            dl->AddText(font, font_size, ImVec2(a.x + (cw - size.x) / 2, a.y + (ch - size.y) / 2),
                        fg, glyph.data(), glyph.data() + glyph.size());
        }
    }
    if (screen->cursor_visible) {
        // Drawn in the foreground colour of the cell it is on, as a VGA does.
        const VgaScreen::Cell& under = screen->at(screen->cursor_row, screen->cursor_col);
        const float x = origin.x + cw * float(screen->cursor_col);
        const float y = origin.y + ch * float(screen->cursor_row);
        const float top = std::floor(y + ch * kCursorTop),
                    bottom = std::ceil(y + ch * kCursorBottom);
        dl->AddRectFilled(ImVec2(x, top), ImVec2(x + cw, bottom), colour(under.attr & 0x0F));
        app.layout.rect("cursor", x, top, cw, bottom - top);
    }
}

}  // namespace

void draw_screen(App& app, const TraceModel& m) {
    const ScreenFrames& f = app.screens;
    auto rejected = [&] {
        if (f.rejected.empty()) return;
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1), "%zu frame record(s) left out: %s",
                           f.rejected.size(), f.rejected.front().c_str());
        app.layout.j["rejected"] = f.rejected.size();
    };
    if (f.frames.empty()) {
        absent(app, "This trace has no VGA text screen (no `vga`/`screen` events).",
               "The worker records the guest's VGA text screen in the trace as it changes when "
               "the guest runs with the VGA console (ptv kvm run GUEST --console vga --trace F).");
        rejected();
        return;
    }
    const auto& ev = m.events();
    const bool selected = app.timeline.selected < ev.size();
    const double t = selected ? ev[app.timeline.selected].ts : app.timeline.t1;
    const ScreenFrame* frame = frame_at(f, t);
    const int index = frame ? int(frame - f.frames.data()) : -1;

    // Which frame, and a slider over them all.
    if (frame)
        ImGui::Text("frame %d of %zu at %s", index + 1, f.frames.size(),
                    format_us(frame->ts).c_str());
    else
        ImGui::Text("no frame yet at %s: the first is at %s", format_us(t).c_str(),
                    format_us(f.frames.front().ts).c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("(%s %s)",
                        selected ? "the timeline's selected event at" : "the timeline's end,",
                        format_us(t).c_str());
    int k = std::max(index, 0) + 1;
    ImGui::SetNextItemWidth(std::min(600.0f, ImGui::GetContentRegionAvail().x));
    if (ImGui::SliderInt("##frame", &k, 1, int(f.frames.size()), "frame %d"))
        app.timeline.selected = f.frames[size_t(k - 1)].event;
    rejected();
    app.layout.j["frames"] = f.frames.size();
    app.layout.j["frame"] = index;
    if (frame) app.layout.j["frame_ts"] = frame->ts;

    // Cells of the VGA's 9x16 proportions, as large as the view allows,
    // in whole pixels so that neighbouring cells neither gap nor overlap.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    const float status_h = ImGui::GetTextLineHeightWithSpacing() + 6;
    float ch = std::floor((avail.y - status_h) / VgaScreen::kRows);
    float cw = std::floor(ch * 9 / 16);
    if (cw * VgaScreen::kColumns > avail.x) {
        cw = std::floor(avail.x / VgaScreen::kColumns);
        ch = std::floor(cw * 16 / 9);
    }
    cw = std::max(cw, 2.0f);
    ch = std::max(ch, 4.0f);
    const ImVec2 origin = ImGui::GetCursorScreenPos();
    draw_cells(app, frame ? &frame->screen : nullptr, origin, cw, ch);
    ImGui::Dummy(ImVec2(cw * VgaScreen::kColumns, ch * VgaScreen::kRows));
    if (frame) {
        const VgaScreen& s = frame->screen;
        if (s.cursor_visible)
            ImGui::TextDisabled("cursor at row %d, column %d", s.cursor_row, s.cursor_col);
        else
            ImGui::TextDisabled("cursor hidden");
    }
}

}  // namespace ptv::viz
