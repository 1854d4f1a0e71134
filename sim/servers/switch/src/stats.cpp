// The switch's table of counters (see stats.hpp).
#include "ptv/servers/switch/stats.hpp"

#include <fmt/format.h>

#include "ptv/common/format.hpp"
#include "ptv/common/table.hpp"

namespace ptv::servers::frontend {

std::string render(const SwitchStats& s) {
    Table t({"back end", "state", "open", "connections", "bytes in", "bytes out", "marked down",
             "failed connects"});
    t.right_align({2, 3, 4, 5, 6, 7});
    for (const BackendStats& b : s.backends)
        t.row({b.address.text(), b.up ? "up" : "down", thousands(b.open), thousands(b.connections),
               thousands(b.bytes_to_backend), thousands(b.bytes_to_client),
               thousands(b.marked_down), thousands(b.failed_connects)});
    return t.render() + fmt::format("{} connections accepted, {} refused (no back end up)\n",
                                    thousands(s.accepted), thousands(s.refused));
}

}  // namespace ptv::servers::frontend
