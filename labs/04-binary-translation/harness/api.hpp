// The student's decisions as the kit's translator takes them.
#pragma once

#include "ptv/lab/bt/translator.hpp"
#include "ptv/lab/harness.hpp"
#include "ptv/vmm/binary_translation.hpp"

namespace ptv::lab::bt {

// classify(), chain() and invalidate() of translator.cpp.
vmm::TranslatorDecisions student_decisions();
// The cache a unit belongs to (the one whose invalidate() is running).
vmm::TranslationCache& owner_of(vmm::TranslationUnit& unit);

}  // namespace ptv::lab::bt
