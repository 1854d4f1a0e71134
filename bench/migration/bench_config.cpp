#include "bench_config.hpp"

namespace ptv::bench {

const char* mode_name(Mode m) {
    switch (m) {
        case Mode::PreCopy:
            return "precopy";
        case Mode::StopAndCopy:
            return "stopcopy";
        case Mode::PostCopy:
            return "postcopy";
    }
    return "?";
}

}  // namespace ptv::bench
