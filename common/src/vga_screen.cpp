#include "ptv/common/vga_screen.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <string_view>
#include <unordered_map>

namespace ptv {

namespace {

// Code page 437, the glyphs of the IBM PC's character ROM, by byte. Row n
// holds bytes 0xn0-0xnF.
constexpr char16_t kCp437[256] = {
    0x0020, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022,  // 0x00
    0x25D8, 0x25CB, 0x25D9, 0x2642, 0x2640, 0x266A, 0x266B, 0x263C,  //
    0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7, 0x25AC, 0x21A8,  // 0x10
    0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC,  //
    0x0020, 0x0021, 0x0022, 0x0023, 0x0024, 0x0025, 0x0026, 0x0027,  // 0x20: ASCII
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,  //
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,  // 0x30
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,  //
    0x0040, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,  // 0x40
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,  //
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,  // 0x50
    0x0058, 0x0059, 0x005A, 0x005B, 0x005C, 0x005D, 0x005E, 0x005F,  //
    0x0060, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,  // 0x60
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,  //
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,  // 0x70
    0x0078, 0x0079, 0x007A, 0x007B, 0x007C, 0x007D, 0x007E, 0x2302,  //
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7,  // 0x80: Latin
    0x00EA, 0x00EB, 0x00E8, 0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5,  //
    0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2, 0x00FB, 0x00F9,  // 0x90
    0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192,  //
    0x00E1, 0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA,  // 0xA0
    0x00BF, 0x2310, 0x00AC, 0x00BD, 0x00BC, 0x00A1, 0x00AB, 0x00BB,  //
    0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,  // 0xB0: shades, boxes
    0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510,  //
    0x2514, 0x2534, 0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F,  // 0xC0
    0x255A, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256C, 0x2567,  //
    0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,  // 0xD0: boxes, blocks
    0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580,  //
    0x03B1, 0x00DF, 0x0393, 0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4,  // 0xE0: Greek, maths
    0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6, 0x03B5, 0x2229,  //
    0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248,  // 0xF0
    0x00B0, 0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x00A0,  //
};

// The 16 colours of the mode 3 palette (each DAC component 0, 0x2A, 0x15 or
// 0x3F of 0x3F, scaled to 8 bits): index 6 is brown, not dark yellow.
constexpr uint32_t kRgb[16] = {
    0x000000, 0x0000AA, 0x00AA00, 0x00AAAA, 0xAA0000, 0xAA00AA, 0xAA5500, 0xAAAAAA,
    0x555555, 0x5555FF, 0x55FF55, 0x55FFFF, 0xFF5555, 0xFF55FF, 0xFFFF55, 0xFFFFFF,
};

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out += char(c);
    } else if (c < 0x800) {
        out += char(0xC0 | (c >> 6));
        out += char(0x80 | (c & 0x3F));
    } else {
        out += char(0xE0 | (c >> 12));
        out += char(0x80 | ((c >> 6) & 0x3F));
        out += char(0x80 | (c & 0x3F));
    }
}

// The next code point of UTF-8 text at `i` (advanced past it), or -1 for a
// byte sequence that is not UTF-8 of at most three bytes (all of code page
// 437 is in the Basic Multilingual Plane).
long next_code_point(std::string_view s, size_t& i) {
    const auto b = [&](size_t k) { return uint8_t(s[k]); };
    const uint8_t lead = b(i);
    size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 0;
    if (len == 0 || i + len > s.size()) return -1;
    long c = len == 1 ? lead : len == 2 ? (lead & 0x1F) : (lead & 0x0F);
    for (size_t k = 1; k < len; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return -1;
        c = (c << 6) | (b(i + k) & 0x3F);
    }
    i += len;
    return c;
}

// The trace's character for a byte: its glyph, except for 0x00, which draws
// the same blank as 0x20 and is written as the symbol for null (U+2400),
// so every byte has a character of its own and the text is lossless.
constexpr char32_t kTraceNul = U'\u2400';

char32_t trace_char(uint8_t byte) {
    return byte == 0 ? kTraceNul : cp437_to_unicode(byte);
}

const std::unordered_map<char32_t, uint8_t>& trace_bytes() {
    static const auto table = [] {
        std::unordered_map<char32_t, uint8_t> m;
        for (int b = 0; b < 256; ++b) m.emplace(trace_char(uint8_t(b)), uint8_t(b));
        return m;
    }();
    return table;
}

[[noreturn]] void bad(const std::string& what) {
    throw std::invalid_argument("vga screen record: " + what);
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

char32_t cp437_to_unicode(uint8_t byte) {
    return kCp437[byte];
}

std::string cp437_to_utf8(uint8_t byte) {
    std::string s;
    append_utf8(s, cp437_to_unicode(byte));
    return s;
}

uint32_t vga_rgb(int colour) {
    return kRgb[colour & 15];
}

std::string screen_text(const VgaScreen& screen) {
    std::string out;
    for (int r = 0; r < VgaScreen::kRows; ++r) {
        int end = VgaScreen::kColumns;
        while (end > 0) {
            const uint8_t ch = screen.at(r, end - 1).ch;
            if (ch != 0x00 && ch != 0x20 && ch != 0xFF) break;
            --end;
        }
        for (int c = 0; c < end; ++c) append_utf8(out, cp437_to_unicode(screen.at(r, c).ch));
        out += '\n';
    }
    return out;
}

nlohmann::json screen_to_json(const VgaScreen& screen) {
    auto rows = nlohmann::json::array();
    for (int r = 0; r < VgaScreen::kRows; ++r) {
        int end = VgaScreen::kColumns;
        while (end > 0 && screen.at(r, end - 1).ch == 0x20) --end;
        std::string row;
        for (int c = 0; c < end; ++c) append_utf8(row, trace_char(screen.at(r, c).ch));
        rows.push_back(std::move(row));
    }
    std::string attr;
    attr.reserve(2 * VgaScreen::kCells);
    for (const auto& cell : screen.cells) attr += fmt::format("{:02x}", cell.attr);
    return {{"text", std::move(rows)},
            {"attr", std::move(attr)},
            {"cursor", {screen.cursor_row, screen.cursor_col, screen.cursor_visible}}};
}

VgaScreen screen_from_json(const nlohmann::json& record) {
    if (!record.is_object()) bad("not an object");
    for (const char* key : {"text", "attr", "cursor"})
        if (!record.contains(key)) bad(fmt::format("no \"{}\"", key));
    VgaScreen s;

    const auto& text = record["text"];
    if (!text.is_array() || text.size() != VgaScreen::kRows)
        bad(fmt::format("\"text\" is not an array of {} strings", VgaScreen::kRows));
    const auto& bytes = trace_bytes();
    for (int r = 0; r < VgaScreen::kRows; ++r) {
        if (!text[size_t(r)].is_string()) bad(fmt::format("text row {} is not a string", r));
        const auto& row = text[size_t(r)].get_ref<const std::string&>();
        int col = 0;
        for (size_t i = 0; i < row.size(); ++col) {
            if (col == VgaScreen::kColumns)
                bad(fmt::format("text row {} is longer than {} characters", r,
                                VgaScreen::kColumns));
            const long c = next_code_point(row, i);
            const auto it = c < 0 ? bytes.end() : bytes.find(char32_t(c));
            if (it == bytes.end())
                bad(c < 0 ? fmt::format("text row {} is not UTF-8 at column {}", r, col)
                          : fmt::format("text row {} column {}: U+{:04X} is not in code page 437",
                                        r, col, c));
            s.at(r, col).ch = it->second;
        }
        // Cut blanks were 0x20: the default Cell already holds it.
    }

    const auto& attr = record["attr"];
    if (!attr.is_string() || attr.get_ref<const std::string&>().size() != 2 * VgaScreen::kCells)
        bad(fmt::format("\"attr\" is not {} hex digits", 2 * VgaScreen::kCells));
    const auto& hex = attr.get_ref<const std::string&>();
    for (size_t i = 0; i < size_t(VgaScreen::kCells); ++i) {
        const int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) bad(fmt::format("\"attr\" has a non-hex digit at cell {}", i));
        s.cells[i].attr = uint8_t(hi << 4 | lo);
    }

    const auto& cursor = record["cursor"];
    if (!cursor.is_array() || cursor.size() != 3 || !cursor[0].is_number_integer() ||
        !cursor[1].is_number_integer() || !cursor[2].is_boolean())
        bad("\"cursor\" is not [row, col, visible]");
    const int64_t row = cursor[0].get<int64_t>(), col = cursor[1].get<int64_t>();
    const int64_t rows_in_window = VgaScreen::kWindowCells / VgaScreen::kColumns + 1;
    if (row < 0 || row >= rows_in_window || col < 0 || col >= VgaScreen::kColumns)
        bad(fmt::format("cursor ({}, {}) is outside the text window", row, col));
    s.cursor_visible = cursor[2].get<bool>();
    if (s.cursor_visible && row >= VgaScreen::kRows)
        bad(fmt::format("a visible cursor on row {}, below the screen", row));
    s.cursor_row = int(row);
    s.cursor_col = int(col);
    return s;
}

}  // namespace ptv
