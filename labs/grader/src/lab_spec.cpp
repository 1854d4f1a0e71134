#include "ptv/lab/grader/lab_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "ptv/common/error.hpp"

namespace ptv::lab {

using nlohmann::json;

namespace {

// Every complaint names the file and where in it, so an instructor editing
// lab.json finds the mistake without reading the grader.
[[noreturn]] void bad(const std::string& origin, const std::string& where,
                      const std::string& what) {
    throw UsageError(fmt::format("{}: {}: {}", origin, where, what));
}

const json& field(const json& object, const char* key, json::value_t type,
                  const std::string& origin, const std::string& where) {
    auto it = object.find(key);
    if (it == object.end()) bad(origin, where, fmt::format("missing \"{}\"", key));
    bool ok = it->type() == type || (type == json::value_t::number_float && it->is_number());
    if (!ok) bad(origin, where, fmt::format("\"{}\" has the wrong type", key));
    return *it;
}

std::string string_field(const json& o, const char* key, const std::string& origin,
                         const std::string& where) {
    auto s = field(o, key, json::value_t::string, origin, where).get<std::string>();
    if (s.empty()) bad(origin, where, fmt::format("\"{}\" is empty", key));
    return s;
}

TestSpec parse_test(const json& t, const LabSpec& lab, const std::string& origin,
                    const std::string& where) {
    if (!t.is_object()) bad(origin, where, "a test must be an object");
    TestSpec test;
    test.name = string_field(t, "name", origin, where);
    std::string here = fmt::format("{} (\"{}\")", where, test.name);
    test.case_name = string_field(t, "case", origin, here);
    test.points = field(t, "points", json::value_t::number_float, origin, here).get<double>();
    if (test.points < 0) bad(origin, here, "\"points\" is negative");
    test.hint = t.value("hint", std::string());
    test.variant = t.value("variant", std::string("normal"));
    if (std::find(lab.variants.begin(), lab.variants.end(), test.variant) == lab.variants.end())
        bad(origin, here,
            fmt::format("variant \"{}\" is not in the lab's \"variants\"", test.variant));
    test.hidden = t.value("hidden", false);
    test.seeds = t.value("seeds", 1);
    if (test.seeds < 1) bad(origin, here, "\"seeds\" must be at least 1");
    if (!test.hidden && t.contains("seeds"))
        bad(origin, here, "\"seeds\" is for hidden tests; a public test has one \"seed\"");
    test.seed = t.value("seed", 1ull);
    std::string substrate = t.value("substrate", std::string("model"));
    if (substrate != "model" && substrate != "kvm")
        bad(origin, here, "\"substrate\" must be \"model\" or \"kvm\"");
    test.needs_kvm = substrate == "kvm";
    return test;
}

}  // namespace

double LabSpec::max_points() const {
    double total = 0;
    for (const auto& p : parts)
        for (const auto& t : p.tests) total += t.points;
    return total;
}

LabSpec parse_lab_spec(const std::string& text, const std::string& origin) {
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw UsageError(fmt::format("{}: not valid JSON: {}", origin, e.what()));
    }
    if (!doc.is_object()) bad(origin, "top level", "must be an object");
    LabSpec lab;
    lab.id = string_field(doc, "id", origin, "top level");
    lab.title = string_field(doc, "title", origin, "top level");
    for (const auto& f : field(doc, "student_files", json::value_t::array, origin, "top level")) {
        if (!f.is_string() || f.get<std::string>().empty() ||
            f.get<std::string>().find('/') != std::string::npos)
            bad(origin, "student_files", "each entry must be a plain file name");
        lab.student_files.push_back(f.get<std::string>());
    }
    if (lab.student_files.empty()) bad(origin, "student_files", "is empty");
    lab.variants = {"normal"};
    if (doc.contains("variants")) {
        lab.variants.clear();
        for (const auto& v : field(doc, "variants", json::value_t::array, origin, "top level")) {
            static const std::set<std::string> known = {"normal", "asan", "tsan"};
            if (!v.is_string() || !known.count(v.get<std::string>()))
                bad(origin, "variants", "each must be \"normal\", \"asan\" or \"tsan\"");
            lab.variants.push_back(v.get<std::string>());
        }
    }
    const auto& parts = field(doc, "parts", json::value_t::array, origin, "top level");
    for (size_t i = 0; i < parts.size(); ++i) {
        std::string where = fmt::format("parts[{}]", i);
        if (!parts[i].is_object()) bad(origin, where, "a part must be an object");
        PartSpec part;
        part.name = string_field(parts[i], "name", origin, where);
        part.time_limit_s =
            field(parts[i], "time_limit_s", json::value_t::number_float, origin, where)
                .get<double>();
        if (part.time_limit_s <= 0) bad(origin, where, "\"time_limit_s\" must be positive");
        // Names are unique within a part; two parts may each have "read one sector".
        std::set<std::string> names;
        const auto& tests = field(parts[i], "tests", json::value_t::array, origin, where);
        for (size_t j = 0; j < tests.size(); ++j) {
            auto test = parse_test(tests[j], lab, origin, fmt::format("{}.tests[{}]", where, j));
            if (!names.insert(test.name).second)
                bad(origin, where, fmt::format("two tests are named \"{}\"", test.name));
            part.tests.push_back(std::move(test));
        }
        lab.parts.push_back(std::move(part));
    }
    return lab;
}

LabSpec load_lab_spec(const std::string& lab_dir) {
    std::string path = lab_dir + "/lab.json";
    std::ifstream in(path);
    if (!in) throw UsageError(fmt::format("cannot read {}; is this a lab directory?", path));
    std::stringstream text;
    text << in.rdbuf();
    return parse_lab_spec(text.str(), path);
}

}  // namespace ptv::lab
