#include "ptv/devices/key_script.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "ptv/common/error.hpp"

namespace ptv::devices {

namespace {

constexpr std::string_view kForm =
    "write TIME:KEY items such as \"500ms:space 1.2s:left 3s:esc\" (TIME a number with ns, us, "
    "ms or s; KEY one of a-z, 0-9, space, enter, esc, backspace, tab, up, down, left, right)";

// The longest time a script may name: far beyond any run, far below the
// point where nanoseconds overflow.
constexpr uint64_t kMaxSeconds = 1'000'000;

// "1.25s" -> 1'250'000'000; nullopt for anything else.
std::optional<uint64_t> parse_time(std::string_view t) {
    uint64_t unit = 0;
    for (auto [suffix, ns] : {std::pair<std::string_view, uint64_t>{"ns", 1},
                              {"us", 1'000},
                              {"ms", 1'000'000},
                              {"s", 1'000'000'000}}) {
        if (t.ends_with(suffix)) {
            unit = ns;
            t.remove_suffix(suffix.size());
            break;
        }
    }
    if (unit == 0 || t.empty()) return std::nullopt;
    const size_t dot = t.find('.');
    const std::string_view whole = t.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? "" : t.substr(dot + 1);
    if (whole.empty() || whole.size() > 16 || (dot != std::string_view::npos && fraction.empty()))
        return std::nullopt;
    auto digits = [](std::string_view d) {
        return std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!digits(whole) || !digits(fraction)) return std::nullopt;
    uint64_t value = 0;
    for (char c : whole) value = value * 10 + uint64_t(c - '0');
    if (value > kMaxSeconds * 1'000'000'000 / unit) return std::nullopt;
    uint64_t ns = value * unit;
    // The fraction, to the nanosecond (further digits are dropped).
    uint64_t scale = unit;
    for (char c : fraction) {
        scale /= 10;
        ns += uint64_t(c - '0') * scale;
    }
    return ns;
}

}  // namespace

std::vector<ScheduledKey> parse_key_script(std::string_view script) {
    std::vector<ScheduledKey> keys;
    size_t i = 0;
    while (i < script.size()) {
        if (script[i] == ' ' || script[i] == ',' || script[i] == '\t') {
            ++i;
            continue;
        }
        const size_t end = script.find_first_of(" ,\t", i);
        const std::string_view item =
            script.substr(i, end == std::string_view::npos ? end : end - i);
        i = end == std::string_view::npos ? script.size() : end;
        const size_t colon = item.find(':');
        auto bad = [item](std::string_view why) {
            return UsageError(
                fmt::format("bad key press \"{}\" in --keys: {}; {}", item, why, kForm));
        };
        if (colon == std::string_view::npos) throw bad("no ':' between time and key");
        const auto at = parse_time(item.substr(0, colon));
        if (!at) throw bad(fmt::format("\"{}\" is not a time", item.substr(0, colon)));
        const auto key = key_named(item.substr(colon + 1));
        if (!key) throw bad(fmt::format("no key is named \"{}\"", item.substr(colon + 1)));
        keys.push_back({*at, *key});
    }
    std::stable_sort(keys.begin(), keys.end(), [](const ScheduledKey& a, const ScheduledKey& b) {
        return a.at_ns < b.at_ns;
    });
    return keys;
}

}  // namespace ptv::devices
