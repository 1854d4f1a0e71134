// One clock for every trace: CLOCK_MONOTONIC in nanoseconds (a vDSO call,
// cheap enough for the exit path).
#pragma once

#include <cstdint>
#include <ctime>

namespace ptv {

inline uint64_t now_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000u + uint64_t(ts.tv_nsec);
}

}  // namespace ptv
