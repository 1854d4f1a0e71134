// The student's decisions as the kit's translator takes them.
#pragma once

#include "ptv/lab/bt/translator.hpp"
#include "ptv/lab/harness.hpp"
#include "ptv/vmm/binary_translation.hpp"

namespace ptv::lab::bt {

// classify(), chain() and invalidate() of translator.cpp.
vmm::TranslatorDecisions student_decisions();
// The student's decisions of one part, the kit's for the others (which
// make the reference's translations of a guest that writes no code): a
// part's cases grade that part alone.
enum class Part { Classify, Chain, Invalidate };
vmm::TranslatorDecisions only_student(Part part);
// The cache a unit belongs to (the one whose invalidate() is running).
vmm::TranslationCache& owner_of(vmm::TranslationUnit& unit);

}  // namespace ptv::lab::bt
