// Part 4, the written part: Fig. 3-19 and the binding exercises
// (README.md, part 4). Plain data: the harness compares it with the
// lecture's table and the exercises' answers.
#include "ptv/lab/migration/bindings.hpp"
#include "ptv/lab/harness.hpp"

namespace ptv::lab::migration {

std::vector<Action> fig_3_19(Binding row, Attachment column) {
    using enum Action;
    using A = Attachment;
    switch (row) {
        case Binding::ByIdentifier:
            // Exactly that resource: it moves along if it can, else a
            // global reference to it.
            if (column == A::Unattached) return {MV, GR};
            if (column == A::Fastened) return {GR, MV};
            return {GR};
        case Binding::ByValue:
            // Its content counts: a copy serves as well.
            if (column == A::Unattached) return {CP, MV, GR};
            if (column == A::Fastened) return {GR, CP};
            return {GR};
        case Binding::ByType:
            // Any of its kind: the target machine's own first.
            if (column == A::Unattached) return {RB, MV, CP};
            if (column == A::Fastened) return {RB, GR, CP};
            return {RB, GR};
    }
    return {};
}

std::vector<ExerciseAnswer> exercise_answers() {
    using B = Binding;
    using A = Attachment;
    using enum Action;
    return {
        {1, B::ByType, A::Fastened, RB},           // the site's time-series database
        {2, B::ByType, A::Fastened, RB},           // the spelling-dictionary service
        {3, B::ByIdentifier, A::Fixed, GR},        // the URL of a web site
        {4, B::ByIdentifier, A::Unattached, MV},   // its own log file
        {5, B::ByType, A::Unattached, RB},         // a thumbnail cache
        {6, B::ByValue, A::Fixed, GR},             // a key in a hardware security module
        {7, B::ByValue, A::Unattached, CP},        // the standard C library
        {8, B::ByIdentifier, A::Fastened, GR},     // a 200 GB web site's documents
        {9, B::ByType, A::Fixed, RB},              // the hardware random-number generator
        {10, B::ByValue, A::Fastened, GR},         // a 30 GB package mirror
        {11, B::ByType, A::Fixed, RB},             // the local display
        {12, B::ByValue, A::Fixed, GR},            // a shared memory segment
        {13, B::ByIdentifier, A::Fixed, GR},       // the TCP port clients know
        {14, B::ByValue, A::Unattached, CP},       // a configuration file
        {15, B::ByValue, A::Fastened, GR},         // a 50 GB genome
        {16, B::ByType, A::Fixed, RB},             // the physical memory
        {17, B::ByType, A::Fixed, RB},             // the local printer
        {18, B::ByIdentifier, A::Fastened, GR},    // a large database it updates
        {19, B::ByType, A::Unattached, RB},        // a scratch file
        {20, B::ByIdentifier, A::Unattached, MV},  // its own data files
    };
}

}  // namespace ptv::lab::migration
