// `ptv threads sim`: not built yet.
#include "commands.hpp"

namespace ptv::cli {

Commands threads_sim_commands(CLI::App&) { return {}; }

}  // namespace ptv::cli
