// Part 4, the written part: Fig. 3-19 column by column, and the exercises
// of `ptv migrate bindings -s 306 -n 20 --kind binding`
// (harness/bindings_check.hpp).
#include "harness/bindings_check.hpp"

namespace ptv::lab::migration {

PTV_LAB_CASE("bindings-unattached") {
    check_column(ctx, Attachment::Unattached);
}

PTV_LAB_CASE("bindings-fastened") {
    check_column(ctx, Attachment::Fastened);
}

PTV_LAB_CASE("bindings-fixed") {
    check_column(ctx, Attachment::Fixed);
}

PTV_LAB_CASE("bindings-exercises") {
    check_exercises(ctx);
}

}  // namespace ptv::lab::migration
