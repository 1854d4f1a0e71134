// What a test printed, made fit for every report: a guest's serial line or
// a student's program may print any bytes, and a report must still be text
// a terminal shows and valid UTF-8 for the JSON of Gradescope and
// PrairieLearn.
#pragma once

#include <string>
#include <string_view>

namespace ptv::lab {

// `text` with each byte that is neither part of a valid UTF-8 character nor
// printable (line feeds and tabs are kept) written as \xNN.
std::string printable(std::string_view text);

}  // namespace ptv::lab
