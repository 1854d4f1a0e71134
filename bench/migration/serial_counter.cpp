#include "serial_counter.hpp"

#include <fmt/format.h>
#include <charconv>
#include <string_view>

namespace ptv::bench {

std::vector<uint64_t> counter_lines(const std::string& serial) {
    constexpr std::string_view kPrefix = "counter ";
    std::vector<uint64_t> numbers;
    size_t begin = 0;
    for (size_t eol; (eol = serial.find('\n', begin)) != std::string::npos; begin = eol + 1) {
        const std::string_view line(serial.data() + begin, eol - begin);
        if (!line.starts_with(kPrefix)) continue;
        uint64_t n = 0;
        const char* first = line.data() + kPrefix.size();
        const char* last = line.data() + line.size();
        const auto [end, ec] = std::from_chars(first, last, n);
        if (ec == std::errc() && end == last) numbers.push_back(n);
    }
    return numbers;
}

Continuity check_continuity(const std::string& source, const std::string& destination,
                            size_t min_lines) {
    Continuity c;
    // Complete lines only on the source side; its unfinished tail joins the
    // destination's head.
    const size_t cut = source.rfind('\n');
    const std::string complete = cut == std::string::npos ? "" : source.substr(0, cut + 1);
    const std::string tail = cut == std::string::npos ? source : source.substr(cut + 1);
    const std::vector<uint64_t> src = counter_lines(complete);
    const std::vector<uint64_t> dst = counter_lines(tail + destination);
    if (!src.empty()) c.source_last = src.back();
    if (!dst.empty()) c.destination_first = dst.front();
    if (src.empty()) {
        c.why = "the source printed no counter line";
        return c;
    }
    if (dst.size() < min_lines) {
        c.why = fmt::format("the destination printed {} counter line(s), expected at least {}",
                            dst.size(), min_lines);
        return c;
    }
    uint64_t expected = src.back() + 1;
    for (uint64_t n : dst) {
        if (n != expected) {
            c.why = fmt::format("the destination printed counter {} where {} was due", n, expected);
            return c;
        }
        ++expected;
    }
    c.continued = true;
    return c;
}

}  // namespace ptv::bench
