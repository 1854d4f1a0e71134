#include "ptv/devices/vga_text.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <stdexcept>

#include "ptv/portmap.h"

namespace ptv::devices {

namespace {

// The registers after the BIOS sets mode 3 (IBM VGA Technical Reference,
// the BIOS's video parameter table for mode 3: 80x25 text, 9x16 character
// cells, 720x400 at 70 Hz).
constexpr std::array<uint8_t, VgaText::kCrtcRegisters> kCrtcMode3 = {
    0x5F,  // 00 horizontal total: 100 character clocks a line
    0x4F,  // 01 end horizontal display: 80 columns
    0x50,  // 02 start horizontal blanking
    0x82,  // 03 end horizontal blanking
    0x55,  // 04 start horizontal retrace
    0x81,  // 05 end horizontal retrace
    0xBF,  // 06 vertical total (low 8 bits of 447: 449 lines)
    0x1F,  // 07 overflow: bit 8 of vertical total, display end, retrace start...
    0x00,  // 08 preset row scan
    0x4F,  // 09 maximum scan line: 16 scan lines per row
    0x0D,  // 0A cursor start: scan line 13, cursor on (bit 5 clear)
    0x0E,  // 0B cursor end: scan line 14 (an underline)
    0x00,  // 0C start address high
    0x00,  // 0D start address low
    0x00,  // 0E cursor location high
    0x00,  // 0F cursor location low
    0x9C,  // 10 vertical retrace start (line 412)
    0x8E,  // 11 vertical retrace end (line 414); bit 7 protects 00-07
    0x8F,  // 12 vertical display end (line 399: 400 lines shown)
    0x28,  // 13 offset: 80 cells a row
    0x1F,  // 14 underline location
    0x96,  // 15 start vertical blanking
    0xB9,  // 16 end vertical blanking
    0xA3,  // 17 CRTC mode control
    0xFF,  // 18 line compare: no split screen
};
constexpr std::array<uint8_t, VgaText::kSequencerRegisters> kSeqMode3 = {
    0x03,  // 0 reset: running
    0x00,  // 1 clocking mode: 9-dot characters
    0x03,  // 2 map mask: planes 0 (characters) and 1 (attributes)
    0x00,  // 3 character map select
    0x02,  // 4 memory mode: odd/even, extended memory
};
constexpr std::array<uint8_t, VgaText::kGraphicsRegisters> kGcMode3 = {
    0x00, 0x00, 0x00, 0x00, 0x00,  // 0-4 set/reset ... read map select
    0x10,                          // 5 graphics mode: odd/even
    0x0E,                          // 6 miscellaneous: text, memory at B8000-BFFFF
    0x00,                          // 7 colour don't care
    0xFF,                          // 8 bit mask
};
constexpr std::array<uint8_t, VgaText::kAttributeRegisters> kAttrMode3 = {
    // 00-0F the palette: attribute colour -> DAC entry (6 is brown, 0x14).
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
    0x0C,  // 10 mode control: text, line graphics, blink on (attribute bit 7)
    0x00,  // 11 overscan colour
    0x0F,  // 12 colour plane enable
    0x08,  // 13 horizontal pixel panning (9-dot cells)
    0x00,  // 14 colour select
};
constexpr uint8_t kMiscMode3 = 0x67;  // colour I/O at 0x3Dx, 28.322 MHz clock, RAM on

constexpr uint8_t kCrtcProtect = 0x80;          // vertical retrace end bit 7
constexpr uint8_t kOverflowLineCompare = 0x10;  // the one bit of 07 protection spares
constexpr uint8_t kCursorOff = 0x20;            // cursor start bit 5
constexpr uint8_t kScanLineMask = 0x1F;

// The mode 3 raster from the values above: a 28.322 MHz dot clock, lines
// of 100 characters of 9 dots (720 shown), frames of 449 lines (400
// shown) with the vertical retrace on lines 412 and 413: 31.78 us a
// line, 14.27 ms a frame, 70.09 Hz.
constexpr uint64_t kDotClockHz = 28'322'000;
constexpr uint64_t kDotsPerLine = 900, kDisplayDots = 720;
constexpr uint64_t kLinesPerFrame = 449, kDisplayLines = 400;
constexpr uint64_t kRetraceFirstLine = 412, kRetraceEndLine = 414;

// Index registers keep as many bits as they have registers to select.
constexpr uint8_t kCrtcIndexMask = 0x1F, kSeqIndexMask = 0x07, kGcIndexMask = 0x0F;
constexpr uint8_t kAttrIndexMask = 0x1F, kAttrIndexBits = 0x3F;  // bit 5: palette source
constexpr uint8_t kNoRegister = 0xFF;                            // what an empty ISA port reads

template <size_t N>
uint8_t read_at(const std::array<uint8_t, N>& regs, uint8_t index) {
    return index < N ? regs[index] : kNoRegister;
}

template <size_t N>
void write_at(std::array<uint8_t, N>& regs, uint8_t index, uint8_t value) {
    if (index < N) regs[index] = value;
}

}  // namespace

VgaText::VgaText(vmb::Machine& machine)
    : machine_(machine),
      crtc_(kCrtcMode3),
      seq_(kSeqMode3),
      gc_(kGcMode3),
      attr_(kAttrMode3),
      misc_(kMiscMode3) {}

void VgaText::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_VGA_BASE, PTV_VGA_SIZE, *this);
}

void VgaText::read(vmb::Space, uint64_t offset, std::span<uint8_t> data) {
    // A wider access reads consecutive ports, as on the ISA bus.
    std::lock_guard lock(lock_);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = read_port(PTV_VGA_BASE + unsigned((offset + i) % PTV_VGA_SIZE));
}

vmb::Response VgaText::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    // `out dx, ax` to 0x3D4 is the usual way to set a CRTC register: the
    // index in AL goes to 0x3D4, the value in AH to 0x3D5.
    std::lock_guard lock(lock_);
    for (size_t i = 0; i < data.size(); ++i)
        write_port(PTV_VGA_BASE + unsigned((offset + i) % PTV_VGA_SIZE), data[i]);
    return {};
}

uint8_t VgaText::input_status_1() const {
    // Where the beam is, from the machine's time: the guest sees the
    // retrace come and go at 70 Hz of its own clock (wall time on KVM,
    // the model's time in the CPU model).
    const uint64_t ns = machine_.now_ns();
    const uint64_t dot =
        ns / 1'000'000'000 * kDotClockHz + ns % 1'000'000'000 * kDotClockHz / 1'000'000'000;
    const uint64_t in_frame = dot % (kDotsPerLine * kLinesPerFrame);
    const uint64_t line = in_frame / kDotsPerLine, column = in_frame % kDotsPerLine;
    uint8_t status = 0;
    if (line >= kRetraceFirstLine && line < kRetraceEndLine) status |= PTV_VGA_IS1_VRETRACE;
    if (line >= kDisplayLines || column >= kDisplayDots) status |= PTV_VGA_IS1_DISPLAY_DISABLED;
    return status;
}

uint8_t VgaText::read_port(unsigned port) {
    switch (port) {
        case PTV_VGA_ATTR_INDEX:
            return attr_index_;
        case PTV_VGA_ATTR_DATA_READ:
            return read_at(attr_, attr_index_ & kAttrIndexMask);
        case PTV_VGA_MISC_WRITE:
            return 0x00;  // input status 0: no interrupt pending, switch sense 0
        case PTV_VGA_SEQ_INDEX:
            return seq_index_;
        case PTV_VGA_SEQ_DATA:
            return read_at(seq_, seq_index_);
        case PTV_VGA_FEATURE_READ:
            return feature_;
        case PTV_VGA_MISC_READ:
            return misc_;
        case PTV_VGA_GC_INDEX:
            return gc_index_;
        case PTV_VGA_GC_DATA:
            return read_at(gc_, gc_index_);
        case PTV_VGA_CRTC_INDEX:
            return crtc_index_;
        case PTV_VGA_CRTC_DATA:
            return read_at(crtc_, crtc_index_);
        case PTV_VGA_INPUT_STATUS_1:
            // Reading it is how a driver puts the attribute controller's
            // flip-flop back to "index" before programming it.
            attr_flip_flop_ = false;
            return input_status_1();
    }
    return kNoRegister;
}

void VgaText::write_port(unsigned port, uint8_t value) {
    switch (port) {
        case PTV_VGA_ATTR_INDEX:
            // One port, two registers: writes alternate index, data, index...
            if (!attr_flip_flop_)
                attr_index_ = value & kAttrIndexBits;
            else
                write_at(attr_, attr_index_ & kAttrIndexMask, value);
            attr_flip_flop_ = !attr_flip_flop_;
            break;
        case PTV_VGA_MISC_WRITE:
            misc_ = value;
            break;
        case PTV_VGA_SEQ_INDEX:
            seq_index_ = value & kSeqIndexMask;
            break;
        case PTV_VGA_SEQ_DATA:
            write_at(seq_, seq_index_, value);
            break;
        case PTV_VGA_GC_INDEX:
            gc_index_ = value & kGcIndexMask;
            break;
        case PTV_VGA_GC_DATA:
            write_at(gc_, gc_index_, value);
            break;
        case PTV_VGA_CRTC_INDEX:
            crtc_index_ = value & kCrtcIndexMask;
            break;
        case PTV_VGA_CRTC_DATA:
            // With the protect bit set, the horizontal timing and vertical
            // total (00-07) keep their values, except the line compare bit
            // of the overflow register, so a driver that only moves the
            // cursor cannot derail the monitor.
            if ((crtc_[0x11] & kCrtcProtect) && crtc_index_ <= 0x07) {
                if (crtc_index_ == 0x07)
                    crtc_[0x07] = uint8_t((crtc_[0x07] & ~kOverflowLineCompare) |
                                          (value & kOverflowLineCompare));
                break;
            }
            write_at(crtc_, crtc_index_, value);
            break;
        case PTV_VGA_INPUT_STATUS_1:
            feature_ = value;  // writing 0x3DA sets feature control
            break;
    }
}

VgaScreen VgaText::capture() const {
    unsigned start = 0, cursor = 0;
    uint8_t cursor_start = 0, cursor_end = 0;
    {
        std::lock_guard lock(lock_);
        start = unsigned(crtc_[PTV_VGA_CRTC_START_HIGH]) << 8 | crtc_[PTV_VGA_CRTC_START_LOW];
        cursor = unsigned(crtc_[PTV_VGA_CRTC_CURSOR_HIGH]) << 8 | crtc_[PTV_VGA_CRTC_CURSOR_LOW];
        cursor_start = crtc_[PTV_VGA_CRTC_CURSOR_START];
        cursor_end = crtc_[PTV_VGA_CRTC_CURSOR_END];
    }
    VgaScreen s;
    // Guest RAM, shared with the running vCPU; a machine with less RAM than
    // the window shows blanks where it has none.
    const auto ram = machine_.ram();
    for (unsigned i = 0; i < unsigned(VgaScreen::kCells); ++i) {
        const size_t at = PTV_VGA_TEXT_BASE + 2 * ((start + i) % VgaScreen::kWindowCells);
        if (at + 1 < ram.size())
            s.cells[i] = {ram[at], ram[at + 1]};
        else
            s.cells[i] = {0, 0};
    }
    // The cursor is where the CRTC's address counter meets the cursor
    // location, counted from the start address.
    const unsigned at = (cursor - start) % VgaScreen::kWindowCells;
    s.cursor_row = int(at / VgaScreen::kColumns);
    s.cursor_col = int(at % VgaScreen::kColumns);
    // A VGA draws no cursor when it is switched off, when its first scan
    // line is below its last, or when the location is off the screen.
    s.cursor_visible = !(cursor_start & kCursorOff) &&
                       (cursor_start & kScanLineMask) <= (cursor_end & kScanLineMask) &&
                       at < unsigned(VgaScreen::kCells);
    return s;
}

nlohmann::json VgaText::save_state() const {
    std::lock_guard lock(lock_);
    return {{"crtc", crtc_},
            {"crtc_index", crtc_index_},
            {"seq", seq_},
            {"seq_index", seq_index_},
            {"gc", gc_},
            {"gc_index", gc_index_},
            {"attr", attr_},
            {"attr_index", attr_index_},
            {"attr_flip_flop", attr_flip_flop_},
            {"misc", misc_},
            {"feature", feature_}};
}

namespace {

template <size_t N>
std::array<uint8_t, N> registers(const nlohmann::json& s, const char* key) {
    const auto v = s.at(key).get<std::vector<uint8_t>>();
    if (v.size() != N)
        throw std::invalid_argument(
            fmt::format("vga: \"{}\" holds {} registers, not {}", key, v.size(), N));
    std::array<uint8_t, N> a{};
    std::copy(v.begin(), v.end(), a.begin());
    return a;
}

}  // namespace

void VgaText::load_state(const nlohmann::json& s) {
    // Everything is read first, so a bad record leaves the device as it was.
    const auto crtc = registers<kCrtcRegisters>(s, "crtc");
    const auto seq = registers<kSequencerRegisters>(s, "seq");
    const auto gc = registers<kGraphicsRegisters>(s, "gc");
    const auto attr = registers<kAttributeRegisters>(s, "attr");
    const auto crtc_index = s.at("crtc_index").get<uint8_t>();
    const auto seq_index = s.at("seq_index").get<uint8_t>();
    const auto gc_index = s.at("gc_index").get<uint8_t>();
    const auto attr_index = s.at("attr_index").get<uint8_t>();
    const bool flip_flop = s.at("attr_flip_flop").get<bool>();
    const auto misc = s.at("misc").get<uint8_t>();
    const auto feature = s.at("feature").get<uint8_t>();
    std::lock_guard lock(lock_);
    crtc_ = crtc;
    seq_ = seq;
    gc_ = gc;
    attr_ = attr;
    crtc_index_ = crtc_index & kCrtcIndexMask;
    seq_index_ = seq_index & kSeqIndexMask;
    gc_index_ = gc_index & kGcIndexMask;
    attr_index_ = attr_index & kAttrIndexBits;
    attr_flip_flop_ = flip_flop;
    misc_ = misc;
    feature_ = feature;
}

}  // namespace ptv::devices
