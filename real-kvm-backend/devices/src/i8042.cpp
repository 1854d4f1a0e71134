#include "ptv/devices/i8042.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "ptv/portmap.h"

namespace ptv::devices {

namespace {

// Offsets the device sees: the data port at 0, the status/command port at
// 4 (their distance on the bus; plug_in claims each on its own).
constexpr uint64_t kData = 0;
constexpr uint64_t kStatus = PTV_I8042_STATUS_PORT - PTV_I8042_DATA_PORT;

// Status register bits (IBM PC AT Technical Reference, "Status-Register
// Bit Definition").
constexpr uint8_t kStatusOutputBufferFull = 0x01;
constexpr uint8_t kStatusSystemFlag = 0x04;
constexpr uint8_t kStatusCommandData = 0x08;
constexpr uint8_t kStatusInhibitSwitch = 0x10;  // 1: the keyboard is not inhibited

// Command byte bits ("Command Byte"; bit 5 is the PS/2's auxiliary disable).
constexpr uint8_t kCommandByteSystemFlag = 0x04;
constexpr uint8_t kCommandByteDisableKeyboard = 0x10;
constexpr uint8_t kCommandByteDisableAux = 0x20;

// Output port bits ("Output-Port Definitions"): bit 0 is the processor's
// reset line (0 resets), bit 1 gates A20; bits 4 and 5 show the output
// buffer full and the input buffer empty.
constexpr uint8_t kOutputPortReset = 0x01;
constexpr uint8_t kOutputPortOutputBufferFull = 0x10;
constexpr uint8_t kOutputPortInputBufferEmpty = 0x20;

// Controller commands ("Commands (I/O Address Hex 64)").
constexpr uint8_t kReadCommandByte = 0x20;
constexpr uint8_t kWriteCommandByte = 0x60;
constexpr uint8_t kDisableAux = 0xa7;
constexpr uint8_t kEnableAux = 0xa8;
constexpr uint8_t kSelfTest = 0xaa;
constexpr uint8_t kInterfaceTest = 0xab;
constexpr uint8_t kDisableKeyboard = 0xad;
constexpr uint8_t kEnableKeyboard = 0xae;
constexpr uint8_t kReadOutputPort = 0xd0;
constexpr uint8_t kWriteOutputPort = 0xd1;
constexpr uint8_t kWriteKeyboardOutput = 0xd2;
constexpr uint8_t kPulseOutputPort = 0xf0;  // 0xF0-0xFF: bits 0-3 clear are pulsed
constexpr uint8_t kSelfTestPassed = 0x55;
constexpr uint8_t kInterfaceTestPassed = 0x00;

// Keyboard commands and replies (IBM 101/102-Key Keyboard, "Commands from
// the System", "Commands to the System").
constexpr uint8_t kSetLeds = 0xed;
constexpr uint8_t kEcho = 0xee;
constexpr uint8_t kSelectScanCodeSet = 0xf0;
constexpr uint8_t kReadId = 0xf2;
constexpr uint8_t kSetTypematic = 0xf3;
constexpr uint8_t kEnable = 0xf4;
constexpr uint8_t kDefaultDisable = 0xf5;
constexpr uint8_t kSetDefault = 0xf6;
constexpr uint8_t kResend = 0xfe;
constexpr uint8_t kReset = 0xff;
constexpr uint8_t kAck = 0xfa;
constexpr uint8_t kBatCompletion = 0xaa;  // basic assurance test passed
constexpr uint8_t kKeyboardId[] = {0xab, 0x83};
constexpr uint8_t kOverrun = 0xff;  // in scan code set 1 ("Overrun")
constexpr uint8_t kScanCodeSet1 = 0x01;

}  // namespace

void I8042::plug_in(vmb::VirtualMotherboard& board) {
    board.claim(vmb::Space::Pio, PTV_I8042_DATA_PORT, 1, *this, kData);
    board.claim(vmb::Space::Pio, PTV_I8042_STATUS_PORT, 1, *this, kStatus);
}

void I8042::read(vmb::Space, uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(lock_);
    // A wider access reads consecutive ports: beyond the two registers,
    // nothing answers (the bus floats high).
    for (size_t i = 0; i < data.size(); ++i) {
        const uint64_t reg = offset + i;
        update_locked();
        if (reg == kStatus) {
            data[i] = status_locked();
        } else if (reg == kData) {
            // Reading takes the byte; with none waiting, the last one again.
            data[i] = output_buffer_;
            output_buffer_full_ = false;
        } else {
            data[i] = 0xff;
        }
    }
}

vmb::Response I8042::write(vmb::Space, uint64_t offset, std::span<const uint8_t> data) {
    std::lock_guard lock(lock_);
    for (size_t i = 0; i < data.size(); ++i) {
        const uint64_t reg = offset + i;
        vmb::Response r;
        if (reg == kStatus) {
            last_write_command_ = true;
            r = controller_command_locked(data[i]);
        } else if (reg == kData) {
            last_write_command_ = false;
            r = data_write_locked(data[i]);
        }
        if (r) return r;
    }
    return {};
}

uint8_t I8042::status_locked() const {
    uint8_t s = kStatusInhibitSwitch;
    if (output_buffer_full_) s |= kStatusOutputBufferFull;
    if (command_byte_ & kCommandByteSystemFlag) s |= kStatusSystemFlag;
    if (last_write_command_) s |= kStatusCommandData;
    return s;
}

void I8042::update_locked() {
    const uint64_t now = machine_.now_ns();
    while (!pending_.empty() && pending_.front().at_ns <= now) {
        deliver_locked(pending_.front());
        pending_.pop_front();
    }
    if (output_buffer_full_) return;
    // The controller's own replies first; the keyboard's bytes only while
    // its interface is enabled, its replies before its scan codes.
    auto load = [this](std::deque<uint8_t>& from) {
        output_buffer_ = from.front();
        from.pop_front();
        output_buffer_full_ = true;
    };
    if (!controller_replies_.empty()) {
        load(controller_replies_);
    } else if (command_byte_ & kCommandByteDisableKeyboard) {
        return;
    } else if (!keyboard_replies_.empty()) {
        load(keyboard_replies_);
        last_sent_ = output_buffer_;
    } else if (!buffer_.empty()) {
        load(buffer_);
        last_sent_ = output_buffer_;
        if (buffer_.empty()) overrun_ = false;  // the overrun code is always last
    }
}

void I8042::deliver_locked(const KeyEvent& e) {
    if (!scanning_) return;  // a keyboard that does not scan sees no keys
    const ScanCode code = e.make ? make_code(e.key) : break_code(e.key);
    // A key's whole sequence fits, or the key is lost and the overrun code
    // takes the 17th position; until it has been read nothing is taken.
    if (overrun_ || buffer_.size() + code.size > kKeyboardBufferSize) {
        dropped_key_bytes_ += code.size;
        if (!overrun_) {
            buffer_.push_back(kOverrun);
            overrun_ = true;
        }
        return;
    }
    for (uint8_t b : code.view()) buffer_.push_back(b);
}

void I8042::schedule_locked(const KeyEvent& e) {
    auto at = std::upper_bound(pending_.begin(), pending_.end(), e.at_ns,
                               [](uint64_t t, const KeyEvent& p) { return t < p.at_ns; });
    pending_.insert(at, e);
}

void I8042::press(Key key, uint64_t at_ns) {
    std::lock_guard lock(lock_);
    uint64_t t = std::max(machine_.now_ns(), at_ns);
    // This key's pending events alternate make, break; its last is a break.
    auto last_make = std::find_if(pending_.rbegin(), pending_.rend(),
                                  [key](const KeyEvent& p) { return p.key == key && p.make; });
    if (last_make != pending_.rend()) t = std::max(t, last_make->at_ns);
    auto last_break = std::find_if(pending_.rbegin(), pending_.rend(),
                                   [key](const KeyEvent& p) { return p.key == key && !p.make; });
    const bool held = last_break != pending_.rend() && last_break->at_ns >= t;
    if (pending_.size() + (held ? 1 : 2) > kPendingLimit) {
        ++dropped_presses_;
        return;
    }
    // Still held at t: a repeat (typematic) -- another make, a later release.
    if (held) pending_.erase(std::next(last_break).base());
    schedule_locked({t, key, true});
    schedule_locked({t + kKeyHoldNs, key, false});
}

void I8042::reply_locked(std::deque<uint8_t>& to, uint8_t byte) {
    if (to.size() >= kReplyLimit) {
        ++dropped_replies_;
        return;
    }
    to.push_back(byte);
}

vmb::Response I8042::reset_line(std::string how) const {
    return vmb::StopRequest{vmb::StopRequest::Kind::Reset, 0, std::string(name()), std::move(how)};
}

vmb::Response I8042::controller_command_locked(uint8_t cmd) {
    // A command cancels a parameter the controller still waited for.
    controller_expects_ = ControllerExpects::Nothing;
    if (cmd >= kPulseOutputPort) {
        // Bits 0-3 of the command clear: those output-port lines pulse low
        // for about 6 us. Only the reset line's pulse has an effect here.
        if (!(cmd & kOutputPortReset))
            return reset_line(fmt::format("command {:#04x} pulsed the reset line", cmd));
        return {};
    }
    switch (cmd) {
        case kReadCommandByte:
            reply_locked(controller_replies_, command_byte_);
            break;
        case kWriteCommandByte:
            controller_expects_ = ControllerExpects::CommandByte;
            break;
        case kDisableAux:
            command_byte_ |= kCommandByteDisableAux;
            break;
        case kEnableAux:
            command_byte_ &= uint8_t(~kCommandByteDisableAux);
            break;
        case kSelfTest:
            command_byte_ |= kCommandByteSystemFlag;
            reply_locked(controller_replies_, kSelfTestPassed);
            break;
        case kInterfaceTest:
            reply_locked(controller_replies_, kInterfaceTestPassed);
            break;
        case kDisableKeyboard:
            command_byte_ |= kCommandByteDisableKeyboard;
            break;
        case kEnableKeyboard:
            command_byte_ &= uint8_t(~kCommandByteDisableKeyboard);
            break;
        case kReadOutputPort: {
            uint8_t port = output_port_ &
                           uint8_t(~(kOutputPortOutputBufferFull | kOutputPortInputBufferEmpty));
            port |= kOutputPortInputBufferEmpty;
            if (output_buffer_full_) port |= kOutputPortOutputBufferFull;
            reply_locked(controller_replies_, port);
            break;
        }
        case kWriteOutputPort:
            controller_expects_ = ControllerExpects::OutputPort;
            break;
        case kWriteKeyboardOutput:
            controller_expects_ = ControllerExpects::KeyboardOutput;
            break;
        default:
            ++ignored_commands_;
    }
    return {};
}

vmb::Response I8042::data_write_locked(uint8_t value) {
    const ControllerExpects e = controller_expects_;
    controller_expects_ = ControllerExpects::Nothing;
    switch (e) {
        case ControllerExpects::CommandByte:
            command_byte_ = value;
            return {};
        case ControllerExpects::OutputPort:
            output_port_ = value;
            if (!(value & kOutputPortReset))
                return reset_line(fmt::format(
                    "command 0xd1 wrote {:#04x} to the output port, clearing the reset line",
                    value));
            return {};
        case ControllerExpects::KeyboardOutput:
            reply_locked(controller_replies_, value);
            return {};
        case ControllerExpects::Nothing:
            keyboard_byte_locked(value);
            return {};
    }
    return {};
}

void I8042::keyboard_byte_locked(uint8_t value) {
    const KeyboardExpects e = keyboard_expects_;
    keyboard_expects_ = KeyboardExpects::Command;
    switch (e) {
        case KeyboardExpects::Leds:
            leds_ = value & 0x07;  // scroll, num, caps lock
            reply_locked(keyboard_replies_, kAck);
            return;
        case KeyboardExpects::ScanCodeSet:
            // 0 asks which set; 1-3 select one, but this keyboard has set 1
            // only: acknowledged, not taken.
            reply_locked(keyboard_replies_, kAck);
            if (value == 0) reply_locked(keyboard_replies_, kScanCodeSet1);
            return;
        case KeyboardExpects::Typematic:
            typematic_ = value & 0x7f;
            reply_locked(keyboard_replies_, kAck);
            return;
        case KeyboardExpects::Command:
            keyboard_command_locked(value);
            return;
    }
}

void I8042::clear_keyboard_buffer_locked() {
    buffer_.clear();
    overrun_ = false;
}

void I8042::keyboard_command_locked(uint8_t cmd) {
    switch (cmd) {
        case kSetLeds:
            reply_locked(keyboard_replies_, kAck);
            keyboard_expects_ = KeyboardExpects::Leds;
            break;
        case kEcho:
            reply_locked(keyboard_replies_, kEcho);
            break;
        case kSelectScanCodeSet:
            reply_locked(keyboard_replies_, kAck);
            keyboard_expects_ = KeyboardExpects::ScanCodeSet;
            break;
        case kReadId:
            reply_locked(keyboard_replies_, kAck);
            for (uint8_t b : kKeyboardId) reply_locked(keyboard_replies_, b);
            break;
        case kSetTypematic:
            reply_locked(keyboard_replies_, kAck);
            keyboard_expects_ = KeyboardExpects::Typematic;
            break;
        case kEnable:
            reply_locked(keyboard_replies_, kAck);
            clear_keyboard_buffer_locked();
            scanning_ = true;
            break;
        case kDefaultDisable:
            reply_locked(keyboard_replies_, kAck);
            clear_keyboard_buffer_locked();
            typematic_ = kTypematicDefault;
            scanning_ = false;
            break;
        case kSetDefault:
            reply_locked(keyboard_replies_, kAck);
            clear_keyboard_buffer_locked();
            typematic_ = kTypematicDefault;
            break;
        case kResend:
            reply_locked(keyboard_replies_, last_sent_);
            break;
        case kReset:
            reply_locked(keyboard_replies_, kAck);
            clear_keyboard_buffer_locked();
            typematic_ = kTypematicDefault;
            leds_ = 0;
            scanning_ = true;
            reply_locked(keyboard_replies_, kBatCompletion);
            break;
        default:
            // Not a command: the keyboard asks for it again.
            reply_locked(keyboard_replies_, kResend);
    }
}

uint64_t I8042::ignored_commands() const {
    std::lock_guard lock(lock_);
    return ignored_commands_;
}
uint64_t I8042::dropped_key_bytes() const {
    std::lock_guard lock(lock_);
    return dropped_key_bytes_;
}
uint64_t I8042::dropped_replies() const {
    std::lock_guard lock(lock_);
    return dropped_replies_;
}
uint64_t I8042::dropped_presses() const {
    std::lock_guard lock(lock_);
    return dropped_presses_;
}

nlohmann::json I8042::save_state() const {
    std::lock_guard lock(lock_);
    const uint64_t now = machine_.now_ns();
    nlohmann::json pending = nlohmann::json::array();
    for (const KeyEvent& e : pending_)
        pending.push_back({{"in_ns", e.at_ns > now ? e.at_ns - now : 0},
                           {"key", key_name(e.key)},
                           {"make", e.make}});
    auto bytes = [](const std::deque<uint8_t>& q) {
        return std::vector<uint8_t>(q.begin(), q.end());
    };
    return {{"command_byte", command_byte_},
            {"output_port", output_port_},
            {"last_write_command", last_write_command_},
            {"output_buffer", output_buffer_},
            {"output_buffer_full", output_buffer_full_},
            {"controller_expects", uint8_t(controller_expects_)},
            {"controller_replies", bytes(controller_replies_)},
            {"keyboard_expects", uint8_t(keyboard_expects_)},
            {"scanning", scanning_},
            {"leds", leds_},
            {"typematic", typematic_},
            {"last_sent", last_sent_},
            {"keyboard_replies", bytes(keyboard_replies_)},
            {"buffer", bytes(buffer_)},
            {"overrun", overrun_},
            {"pending", pending},
            {"ignored_commands", ignored_commands_},
            {"dropped_key_bytes", dropped_key_bytes_},
            {"dropped_replies", dropped_replies_},
            {"dropped_presses", dropped_presses_}};
}

void I8042::load_state(const nlohmann::json& s) {
    // Everything is read and checked before anything changes: a record
    // that cannot be used leaves the device as it was.
    auto bytes = [&s](const char* field, size_t limit) {
        auto v = s.at(field).get<std::vector<uint8_t>>();
        if (v.size() > limit)
            throw std::invalid_argument(
                fmt::format("i8042: {} holds {} bytes, more than {}", field, v.size(), limit));
        return std::deque<uint8_t>(v.begin(), v.end());
    };
    const auto controller_expects = s.at("controller_expects").get<uint8_t>();
    const auto keyboard_expects = s.at("keyboard_expects").get<uint8_t>();
    if (controller_expects > uint8_t(ControllerExpects::KeyboardOutput) ||
        keyboard_expects > uint8_t(KeyboardExpects::Typematic))
        throw std::invalid_argument("i8042: unknown parameter state");
    auto controller_replies = bytes("controller_replies", kReplyLimit);
    auto keyboard_replies = bytes("keyboard_replies", kReplyLimit);
    auto buffer = bytes("buffer", kKeyboardBufferSize + 1);
    const bool overrun = s.at("overrun").get<bool>();
    if (overrun ? buffer.empty() || buffer.back() != kOverrun : buffer.size() > kKeyboardBufferSize)
        throw std::invalid_argument("i8042: keyboard buffer and overrun do not agree");
    const auto& pending = s.at("pending");
    if (!pending.is_array() || pending.size() > kPendingLimit)
        throw std::invalid_argument("i8042: pending presses missing or too many");
    struct Relative {
        uint64_t in_ns;
        Key key;
        bool make;
    };
    std::vector<Relative> presses;
    for (const auto& p : pending) {
        const auto key = key_named(p.at("key").get<std::string>());
        if (!key) throw std::invalid_argument("i8042: a pending press of an unknown key");
        presses.push_back({p.at("in_ns").get<uint64_t>(), *key, p.at("make").get<bool>()});
    }
    if (!std::is_sorted(presses.begin(), presses.end(),
                        [](const Relative& a, const Relative& b) { return a.in_ns < b.in_ns; }))
        throw std::invalid_argument("i8042: pending presses out of time order");
    const auto command_byte = s.at("command_byte").get<uint8_t>();
    const auto output_port = s.at("output_port").get<uint8_t>();
    const bool last_write_command = s.at("last_write_command").get<bool>();
    const auto output_buffer = s.at("output_buffer").get<uint8_t>();
    const bool output_buffer_full = s.at("output_buffer_full").get<bool>();
    const bool scanning = s.at("scanning").get<bool>();
    const auto leds = s.at("leds").get<uint8_t>();
    const auto typematic = s.at("typematic").get<uint8_t>();
    const auto last_sent = s.at("last_sent").get<uint8_t>();
    const auto ignored_commands = s.at("ignored_commands").get<uint64_t>();
    const auto dropped_key_bytes = s.at("dropped_key_bytes").get<uint64_t>();
    const auto dropped_replies = s.at("dropped_replies").get<uint64_t>();
    const auto dropped_presses = s.at("dropped_presses").get<uint64_t>();

    std::lock_guard lock(lock_);
    const uint64_t now = machine_.now_ns();
    std::deque<KeyEvent> events;
    for (const Relative& p : presses) {
        if (p.in_ns > UINT64_MAX - now)
            throw std::invalid_argument("i8042: a pending press beyond the end of time");
        events.push_back({now + p.in_ns, p.key, p.make});
    }
    command_byte_ = command_byte;
    output_port_ = output_port;
    last_write_command_ = last_write_command;
    output_buffer_ = output_buffer;
    output_buffer_full_ = output_buffer_full;
    controller_expects_ = ControllerExpects(controller_expects);
    controller_replies_ = std::move(controller_replies);
    keyboard_expects_ = KeyboardExpects(keyboard_expects);
    scanning_ = scanning;
    leds_ = leds;
    typematic_ = typematic;
    last_sent_ = last_sent;
    keyboard_replies_ = std::move(keyboard_replies);
    buffer_ = std::move(buffer);
    overrun_ = overrun;
    pending_ = std::move(events);
    ignored_commands_ = ignored_commands;
    dropped_key_bytes_ = dropped_key_bytes;
    dropped_replies_ = dropped_replies;
    dropped_presses_ = dropped_presses;
}

}  // namespace ptv::devices
