// `ptv threads demo`: not built yet.
#include "commands.hpp"

namespace ptv::cli {

Commands threads_demo_commands(CLI::App&) { return {}; }

}  // namespace ptv::cli
