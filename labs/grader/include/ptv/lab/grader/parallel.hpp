// Runs count jobs on at most `jobs` threads (the grader's -j): each thread
// takes the next undone index until none is left.
#pragma once

#include <cstddef>
#include <functional>

namespace ptv::lab {

void run_parallel(size_t count, int jobs, const std::function<void(size_t)>& job);

}  // namespace ptv::lab
