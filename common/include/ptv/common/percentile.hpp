// Percentiles of measured values (latencies), nearest-rank: the p-th
// percentile of n sorted values is the value at rank ceil(p/100 * n), so
// it is always a value that was measured.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace ptv {

// `sorted` ascending; p in [0, 100]. 0 for no values.
template <class T>
T percentile(const std::vector<T>& sorted, double p) {
    if (sorted.empty()) return T{};
    double rank = std::ceil(p / 100.0 * double(sorted.size()));
    size_t i = rank < 1 ? 0 : size_t(rank) - 1;
    return sorted[std::min(i, sorted.size() - 1)];
}

}  // namespace ptv
