#include "ptv/devices/pit_counter.hpp"

#include <stdexcept>

namespace ptv::devices {

unsigned PitCounter::mode() const {
    // M2 is "don't care" for modes 2 and 3: 110 and 111 are modes 2 and 3.
    const unsigned m = (control_ >> 1) & 7;
    return m > 5 ? m - 4 : m;
}

std::optional<uint32_t> PitCounter::counting_count() const {
    if (!loaded_) return std::nullopt;
    return n_;
}

bool PitCounter::gate_enables_counting() const {
    switch (mode()) {
        case 0:
            // The first byte of a two-byte count stops counting until the second.
            return gate_ && !write_msb_;
        case 1:
        case 5:
            return true;  // GATE only triggers
        default:
            return gate_;
    }
}

uint32_t PitCounter::count_n() const {
    if (!bcd()) return cr_ ? cr_ : 65536;
    // Four BCD digits. A nibble above 9 counts at its face value (0xA = 10):
    // the datasheet leaves such counts undefined; this keeps them harmless.
    uint32_t v = 0;
    for (int digit = 3; digit >= 0; --digit) v = v * 10 + ((cr_ >> (4 * digit)) & 0xf);
    v %= 10000;
    return v ? v : 10000;
}

uint16_t PitCounter::encode(uint32_t ce) const {
    if (!bcd()) return uint16_t(ce);
    ce %= 10000;
    return uint16_t((ce / 1000) << 12 | (ce / 100 % 10) << 8 | (ce / 10 % 10) << 4 | ce % 10);
}

uint64_t PitCounter::tick_now(uint64_t now) const {
    const int64_t elapsed = int64_t(now) - origin_ns_;
    return elapsed > 0 ? ticks(uint64_t(elapsed)) : 0;
}

PitCounter::Value PitCounter::evaluate(uint32_t n, uint32_t phase0, uint64_t k) const {
    const uint32_t m = modulus();
    const uint32_t down = uint32_t((n + m - k % m) % m);  // N - k, wrapping
    switch (mode()) {
        case 0:
        case 1:
            return {down, k >= n};
        case 4:
        case 5:
            return {down, k != n};
        case 2: {
            const uint32_t p = uint32_t((phase0 + k) % n);
            return {(n - p) % m, p != n - 1};
        }
        default: {  // 3
            const uint32_t p = uint32_t((phase0 + k) % n);
            const uint32_t high = (n + 1) / 2;  // ceil(N/2) ticks of OUT high
            const uint32_t top = n & 1 ? n - 1 : n;
            const uint32_t into_half = p < high ? p : p - high;
            return {(top - 2 * into_half) % m, p < high};
        }
    }
}

PitCounter::Value PitCounter::value_at(uint64_t tick) const {
    if (!loaded_ || !counting_) return held_;
    return evaluate(n_, phase0_, k_base_ + (tick > start_ ? tick - start_ : 0));
}

void PitCounter::settle(uint64_t now) {
    if (!pending_ || tick_now(now) < pending_tick_) return;
    // CR -> CE: the load the datasheet's NULL COUNT waits for.
    n_ = count_n();
    phase0_ = pending_phase0_ % n_;
    start_ = pending_tick_;
    k_base_ = 0;
    loaded_ = true;
    pending_ = pending_deferred_ = false;
    null_count_ = false;
    counting_ = gate_enables_counting();
    if (!counting_) {
        held_ = evaluate(n_, phase0_, 0);
        if (mode() == 2 || mode() == 3) held_.out = true;  // GATE low: OUT high
    }
}

void PitCounter::freeze(uint64_t tick, std::optional<bool> out) {
    if (loaded_ && counting_) {
        held_ = value_at(tick);
        k_base_ += tick > start_ ? tick - start_ : 0;
        counting_ = false;
    }
    if (out) held_.out = *out;
}

void PitCounter::load_next_pulse(uint64_t now) {
    freeze(tick_now(now));
    // The counter's CLK starts over at the write, so CE takes the count
    // exactly one tick later.
    origin_ns_ = int64_t(now);
    pending_ = true;
    pending_deferred_ = false;
    pending_tick_ = 1;
    pending_phase0_ = 0;
}

void PitCounter::count_written(uint64_t now) {
    null_count_ = true;
    cr_written_ = true;
    const uint64_t t = tick_now(now);
    switch (mode()) {
        case 0:
            freeze(t, false);  // OUT low until the new count runs out
            load_next_pulse(now);
            break;
        case 4:
            load_next_pulse(now);
            break;
        case 1:
        case 5:
            break;  // loaded by the next GATE trigger
        default: {  // 2 and 3
            if (!loaded_ || !counting_) {
                load_next_pulse(now);
                break;
            }
            // Counting already: the current cycle (mode 2) or half-cycle
            // (mode 3) runs to its end, and the new count starts there.
            const uint64_t k = k_base_ + (t > start_ ? t - start_ : 0);
            const uint32_t p = uint32_t((phase0_ + k) % n_);
            const uint32_t high = (n_ + 1) / 2;
            pending_ = pending_deferred_ = true;
            if (mode() == 3 && p < high) {
                pending_tick_ = t + (high - p);
                pending_phase0_ = (count_n() + 1) / 2;  // into its low half
            } else {
                pending_tick_ = t + (n_ - p);
                pending_phase0_ = 0;
            }
            break;
        }
    }
}

void PitCounter::program(uint8_t control, uint64_t now) {
    settle(now);
    freeze(tick_now(now));
    // "When a Control Word is written to a Counter, all Control Logic is
    // immediately reset and OUT goes to a known initial state."
    control_ = control & 0x3f;
    loaded_ = counting_ = false;
    pending_ = pending_deferred_ = false;
    null_count_ = true;
    cr_written_ = false;
    write_msb_ = read_msb_ = false;
    ol_bytes_ = 0;
    status_latch_.reset();
    held_.out = mode() != 0;
}

void PitCounter::write(uint8_t byte, uint64_t now) {
    settle(now);
    switch (rw()) {
        case 1:
            cr_ = byte;
            count_written(now);
            break;
        case 2:
            cr_ = uint16_t(byte << 8);
            count_written(now);
            break;
        default:
            if (!write_msb_) {
                cr_lsb_ = byte;
                write_msb_ = true;
                if (mode() == 0) {
                    // Mode 0: the first byte stops counting, OUT low at once.
                    freeze(tick_now(now), false);
                    pending_ = pending_deferred_ = false;
                }
            } else {
                cr_ = uint16_t(cr_lsb_ | byte << 8);
                write_msb_ = false;
                count_written(now);
            }
            break;
    }
}

uint8_t PitCounter::read(uint64_t now) {
    settle(now);
    if (status_latch_) {
        const uint8_t s = *status_latch_;
        status_latch_.reset();
        return s;
    }
    if (ol_bytes_) {
        if (ol_bytes_ & 1) {
            ol_bytes_ &= 2;
            return uint8_t(ol_);
        }
        ol_bytes_ = 0;
        return uint8_t(ol_ >> 8);
    }
    const uint16_t v = encode(value_at(tick_now(now)).ce);
    switch (rw()) {
        case 1:
            return uint8_t(v);
        case 2:
            return uint8_t(v >> 8);
        default:
            read_msb_ = !read_msb_;
            return read_msb_ ? uint8_t(v) : uint8_t(v >> 8);
    }
}

void PitCounter::latch_count(uint64_t now) {
    settle(now);
    if (ol_bytes_) return;  // latched and not yet read: ignored
    ol_ = encode(value_at(tick_now(now)).ce);
    ol_bytes_ = rw() == 1 ? 1 : rw() == 2 ? 2 : 3;
}

void PitCounter::latch_status(uint64_t now) {
    if (!status_latch_) status_latch_ = status(now);
}

uint8_t PitCounter::status(uint64_t now) {
    return uint8_t(out(now) << 7 | null_count_ << 6 | control_);
}

bool PitCounter::out(uint64_t now) {
    settle(now);
    return value_at(tick_now(now)).out;
}

void PitCounter::set_gate(bool level, uint64_t now) {
    settle(now);
    if (level == gate_) return;
    const uint64_t t = tick_now(now);
    const unsigned m = mode();
    if (!level) {
        if (m == 0 || m == 4) freeze(t);  // counting paused
        if (m == 2 || m == 3) {
            freeze(t, true);  // stopped, OUT high at once
            if (pending_deferred_) pending_ = pending_deferred_ = false;
        }
        gate_ = false;
        return;
    }
    gate_ = true;
    if (m == 0 || m == 4) {
        if (loaded_ && !counting_ && gate_enables_counting()) {
            counting_ = true;
            start_ = t;  // counts on from the next CLK pulse
        }
    } else if (cr_written_) {
        // A trigger: CR is loaded on the next CLK pulse.
        pending_ = true;
        pending_deferred_ = false;
        pending_tick_ = t + 1;
        pending_phase0_ = 0;
    }
}

nlohmann::json PitCounter::save_state(uint64_t now) const {
    return {{"control", control_},
            {"cr", cr_},
            {"cr_lsb", cr_lsb_},
            {"write_msb", write_msb_},
            {"read_msb", read_msb_},
            {"ol", ol_},
            {"ol_bytes", ol_bytes_},
            {"status_latch", status_latch_ ? int(*status_latch_) : -1},
            {"null_count", null_count_},
            {"cr_written", cr_written_},
            {"gate", gate_},
            {"clock_age_ns", int64_t(now) - origin_ns_},
            {"loaded", loaded_},
            {"counting", counting_},
            {"n", n_},
            {"phase0", phase0_},
            {"start", start_},
            {"k_base", k_base_},
            {"held_ce", held_.ce},
            {"held_out", held_.out},
            {"pending", pending_},
            {"pending_deferred", pending_deferred_},
            {"pending_tick", pending_tick_},
            {"pending_phase0", pending_phase0_}};
}

void PitCounter::load_state(const nlohmann::json& s, uint64_t now) {
    PitCounter c;
    c.control_ = s.at("control").get<uint8_t>();
    c.cr_ = s.at("cr").get<uint16_t>();
    c.cr_lsb_ = s.at("cr_lsb").get<uint8_t>();
    c.write_msb_ = s.at("write_msb").get<bool>();
    c.read_msb_ = s.at("read_msb").get<bool>();
    c.ol_ = s.at("ol").get<uint16_t>();
    c.ol_bytes_ = s.at("ol_bytes").get<uint8_t>();
    const int status = s.at("status_latch").get<int>();
    if (status >= 0) c.status_latch_ = uint8_t(status);
    c.null_count_ = s.at("null_count").get<bool>();
    c.cr_written_ = s.at("cr_written").get<bool>();
    c.gate_ = s.at("gate").get<bool>();
    c.origin_ns_ = int64_t(now) - s.at("clock_age_ns").get<int64_t>();
    c.loaded_ = s.at("loaded").get<bool>();
    c.counting_ = s.at("counting").get<bool>();
    c.n_ = s.at("n").get<uint32_t>();
    c.phase0_ = s.at("phase0").get<uint32_t>();
    c.start_ = s.at("start").get<uint64_t>();
    c.k_base_ = s.at("k_base").get<uint64_t>();
    c.held_.ce = s.at("held_ce").get<uint32_t>();
    c.held_.out = s.at("held_out").get<bool>();
    c.pending_ = s.at("pending").get<bool>();
    c.pending_deferred_ = s.at("pending_deferred").get<bool>();
    c.pending_tick_ = s.at("pending_tick").get<uint64_t>();
    c.pending_phase0_ = s.at("pending_phase0").get<uint32_t>();
    // Anything else would divide by zero or read past the count.
    if ((c.control_ & 0x30) == 0 || c.control_ > 0x3f || c.ol_bytes_ > 3 || status > 0xff)
        throw std::invalid_argument("pit: counter record has an impossible control word or latch");
    if (c.n_ == 0 || c.n_ > 65536 || c.held_.ce > 0xffff || c.phase0_ >= c.n_)
        throw std::invalid_argument("pit: counter record has a count outside its range");
    *this = c;
}

}  // namespace ptv::devices
