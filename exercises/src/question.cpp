// A question and a bank as JSON, both ways (question.hpp).
#include "ptv/exercises/question.hpp"

#include <fmt/format.h>

#include "ptv/common/error.hpp"

namespace ptv::exercises {

const Choice* Question::right_choice() const {
    for (const Choice& c : choices)
        if (c.fraction == 100) return &c;
    return nullptr;
}

std::string key_of(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

nlohmann::json to_json(const Question& q) {
    nlohmann::json j = {{"id", q.id},
                        {"module", q.module},
                        {"seed", q.seed},
                        {"command", q.command},
                        {"title", q.title},
                        {"text", q.text},
                        {"explanation", q.explanation},
                        {"skipped", q.skipped},
                        {"source", {{"pointers", q.pointers}, {"scale", q.scale}}}};
    if (q.type == Question::Type::Numerical) {
        j["type"] = "numerical";
        j["answer"] = q.answer;
        j["tolerance"] = q.tolerance;
        j["tolerance_why"] = q.tolerance_why;
        j["unit"] = q.unit;
    } else {
        j["type"] = "multichoice";
        nlohmann::json cs = nlohmann::json::array();
        for (const Choice& c : q.choices)
            cs.push_back({{"key", c.key}, {"text", c.text}, {"fraction", c.fraction}});
        j["choices"] = cs;
    }
    return j;
}

nlohmann::json to_json(const Bank& b) {
    nlohmann::json qs = nlohmann::json::array();
    for (const Question& q : b.questions) qs.push_back(to_json(q));
    return {{"format", "ptv-exercises"},   {"version", 1},   {"module", b.module}, {"seed", b.seed},
            {"count", b.questions.size()}, {"questions", qs}};
}

namespace {

template <typename T>
T field(const nlohmann::json& j, const char* name, const std::string& where) {
    if (!j.contains(name))
        throw UsageError(
            fmt::format("{}: no \"{}\"; export the bank again with "
                        "'ptv exercises export --format json'",
                        where, name));
    try {
        return j.at(name).get<T>();
    } catch (const nlohmann::json::exception&) {
        throw UsageError(
            fmt::format("{}: \"{}\" has the wrong type; export the bank again with "
                        "'ptv exercises export --format json'",
                        where, name));
    }
}

}  // namespace

Bank bank_from_json(const nlohmann::json& j) {
    if (!j.is_object() || j.value("format", "") != "ptv-exercises")
        throw UsageError(
            "not a question bank (no \"format\": \"ptv-exercises\"); give the file 'ptv exercises "
            "export --format json' wrote");
    Bank b;
    b.module = field<std::string>(j, "module", "the bank");
    b.seed = field<uint64_t>(j, "seed", "the bank");
    const auto qs = field<nlohmann::json>(j, "questions", "the bank");
    if (!qs.is_array()) throw UsageError("the bank: \"questions\" is not a list");
    for (size_t i = 0; i < qs.size(); ++i) {
        const auto& x = qs[i];
        const std::string where = fmt::format("question {}", i + 1);
        if (!x.is_object()) throw UsageError(where + ": not an object");
        Question q;
        q.id = field<std::string>(x, "id", where);
        q.module = field<std::string>(x, "module", where);
        q.seed = field<uint64_t>(x, "seed", where);
        q.command = field<std::string>(x, "command", where);
        q.title = field<std::string>(x, "title", where);
        q.text = field<std::string>(x, "text", where);
        const auto type = field<std::string>(x, "type", where);
        if (type == "numerical") {
            q.type = Question::Type::Numerical;
            q.answer = field<double>(x, "answer", where);
            q.tolerance = field<double>(x, "tolerance", where);
            q.unit = x.value("unit", "");
            q.tolerance_why = x.value("tolerance_why", "");
        } else if (type == "multichoice") {
            q.type = Question::Type::MultiChoice;
            for (const auto& c : field<nlohmann::json>(x, "choices", where))
                q.choices.push_back({field<std::string>(c, "key", where),
                                     field<std::string>(c, "text", where),
                                     field<double>(c, "fraction", where)});
            if (!q.right_choice())
                throw UsageError(where + ": no choice is worth 100; export the bank again");
        } else {
            throw UsageError(
                fmt::format("{}: type '{}' is neither numerical nor multichoice", where, type));
        }
        q.explanation = x.value("explanation", "");
        if (x.contains("source") && x["source"].is_object()) {
            q.pointers = x["source"].value("pointers", std::vector<std::string>{});
            q.scale = x["source"].value("scale", 1.0);
        }
        q.skipped = x.value("skipped", std::vector<std::string>{});
        b.questions.push_back(std::move(q));
    }
    return b;
}

}  // namespace ptv::exercises
