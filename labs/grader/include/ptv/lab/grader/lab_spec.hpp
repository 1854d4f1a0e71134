// A lab's test list, read from its lab.json (labs/README.md, "lab.json"):
// parts with a time limit, and in each its tests with their points, the
// harness case that runs them, the build variant they run in, and whether
// their input is hidden (generated from seeds drawn at grading time).
#pragma once

#include <string>
#include <vector>

namespace ptv::lab {

struct TestSpec {
    std::string name;
    std::string case_name;  // lab.json "case"
    double points = 0;
    std::string hint;
    std::string variant = "normal";
    bool hidden = false;
    int seeds = 1;                // hidden: how many seeds are drawn, all must pass
    unsigned long long seed = 1;  // public: the one seed it runs with
    bool needs_kvm = false;       // "substrate": "kvm"
};

struct PartSpec {
    std::string name;
    double time_limit_s = 10;
    std::vector<TestSpec> tests;
};

struct LabSpec {
    std::string id;
    std::string title;
    std::vector<std::string> student_files;
    std::vector<std::string> variants;
    std::vector<PartSpec> parts;

    double max_points() const;
};

// Parses lab.json's text; `origin` names it in errors. Throws
// ptv::UsageError with one line naming the field that is wrong.
LabSpec parse_lab_spec(const std::string& json_text, const std::string& origin);
// Reads and parses DIR/lab.json.
LabSpec load_lab_spec(const std::string& lab_dir);

}  // namespace ptv::lab
