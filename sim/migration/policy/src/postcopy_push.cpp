#include "ptv/migration/postcopy_push.hpp"

namespace ptv::migration {

// Pages only go from missing to present, so the cursor never looks back.
uint64_t PageOrderPush::next(const MissingPages& missing) {
    while (!missing.missing(cursor_)) ++cursor_;
    return cursor_;
}

}  // namespace ptv::migration
