// The physical limit of a migration on one host: how fast TCP on 127.0.0.1
// carries bytes, measured in the same run (the total-time target is
// 1.3 x memory / this bandwidth). A writer thread pushes `bytes` in big
// writes through a connected pair of TCP sockets; the reader times it.
#pragma once

#include <cstdint>

namespace ptv::bench {

// Bytes per second from the first byte written to the last byte read.
double loopback_bandwidth(uint64_t bytes);

}  // namespace ptv::bench
