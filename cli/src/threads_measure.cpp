// `ptv threads measure`: not built yet.
#include "commands.hpp"

namespace ptv::cli {

Commands threads_measure_commands(CLI::App&) { return {}; }

}  // namespace ptv::cli
