// The counter guest's serial output, checked line by line: shared by the
// live-migration tests (one guest, its output split between two workers).
#pragma once

#include <string>
#include <vector>

namespace ptv::test {

// The counter guest's lines ("counter N"), in order; checks the banner
// comes once and first, and N goes 1, 2, 3... with nothing missing or
// doubled. The guest is stopped wherever it is, often in the middle of a
// line, so an unfinished last line only has to begin the line that was due.
// Returns the numbers of the complete lines.
std::vector<int> counter_lines(const std::string& serial);

}  // namespace ptv::test
