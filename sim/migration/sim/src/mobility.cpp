// Fig. 3-18: the kinds of code mobility (see mobility.hpp).
#include "ptv/migration/sim/mobility.hpp"

namespace ptv::migration::sim {

const char* to_string(const Mobility& m) {
    return std::visit([](const auto& kind) { return kind.name; }, m);
}

Segments moves(const Mobility& m) {
    return std::visit([](const auto& kind) { return kind.moves; }, m);
}

const char* to_string(Initiative i) {
    return i == Initiative::Sender ? "sender" : "receiver";
}

}  // namespace ptv::migration::sim
