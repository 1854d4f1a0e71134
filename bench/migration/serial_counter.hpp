// Reading the counter guest's serial output ("counter N" lines, see
// guests/counter.asm) to check that a migrated guest went on from where it
// was: the destination's first number follows the source's last one, and
// the destination keeps counting, with no gap and no repeat.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ptv::bench {

// The N of every complete "counter N" line, in order.
std::vector<uint64_t> counter_lines(const std::string& serial);

struct Continuity {
    bool continued = false;
    std::optional<uint64_t> source_last, destination_first;
    std::string why;  // when not continued
};

// The source's output up to the switch and the destination's after it. A
// line cut in two by the switch (begun on the source, ended on the
// destination) counts as the destination's first line. The destination
// must have printed at least `min_lines` lines.
Continuity check_continuity(const std::string& source, const std::string& destination,
                            size_t min_lines);

}  // namespace ptv::bench
