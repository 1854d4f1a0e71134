#include "stderr_to.hpp"

#include <fstream>

namespace ptv::bench {

std::string last_error_line(const std::string& file) {
    std::ifstream in(file);
    std::string last;
    for (std::string line; std::getline(in, line);)
        if (!line.empty() && line.find("warning:") == std::string::npos) last = line;
    return last;
}

}  // namespace ptv::bench
