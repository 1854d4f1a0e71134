// Marking a student's answers against a bank (check.hpp).
#include "ptv/exercises/check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>

#include "ptv/common/error.hpp"

namespace ptv::exercises {

namespace {

std::optional<double> as_number(const nlohmann::json& a) {
    if (a.is_number()) return a.get<double>();
    if (!a.is_string()) return std::nullopt;
    const std::string s = a.get<std::string>();
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string keys(const Question& q) {
    std::string s;
    for (const Choice& c : q.choices) s += (s.empty() ? "\"" : ", \"") + c.key + "\"";
    return s;
}

Mark mark_one(const Question& q, const nlohmann::json* a) {
    Mark m{q.id, 0, ""};
    if (!a) {
        m.feedback = "no answer";
        return m;
    }
    if (q.type == Question::Type::Numerical) {
        const auto v = as_number(*a);
        const std::string right = fmt::format("{} {}", q.answer, q.unit);
        if (!v) {
            m.feedback = fmt::format("{} is not a number; the answer is {}", a->dump(), right);
            return m;
        }
        // A hair of slack for the decimal spelling of the tolerance's edge.
        const double slack = 1e-9 * std::max(1.0, std::fabs(q.answer));
        if (std::fabs(*v - q.answer) <= q.tolerance + slack) {
            m.points = 1;
            m.feedback = fmt::format("{} is right ({})", *v, right);
        } else {
            m.feedback = fmt::format("{} is wrong: the answer is {}{}", *v, right,
                                     q.tolerance > 0 ? fmt::format(", +/- {}", q.tolerance) : "");
        }
        return m;
    }
    const Choice* right = q.right_choice();
    const std::string given = a->is_string() ? a->get<std::string>() : a->dump();
    for (const Choice& c : q.choices) {
        if (c.key != given) continue;
        m.points = c.fraction / 100;
        if (c.fraction == 100)
            m.feedback = fmt::format("\"{}\" is right", given);
        else if (c.fraction > 0)
            m.feedback = fmt::format("\"{}\" earns {}%: the best answer is \"{}\"", given,
                                     c.fraction, right->key);
        else
            m.feedback = fmt::format("\"{}\" is wrong: the answer is \"{}\"", given, right->key);
        return m;
    }
    m.feedback = fmt::format("\"{}\" is not one of the choices ({}); the answer is \"{}\"", given,
                             keys(q), right->key);
    return m;
}

}  // namespace

Marking mark(const Bank& bank, const nlohmann::json& answers) {
    if (!answers.is_object())
        throw UsageError("the answers are not a JSON object; write {\"QUESTION-ID\": answer, ...}");
    std::set<std::string> ids;
    for (const Question& q : bank.questions) ids.insert(q.id);
    for (const auto& [id, value] : answers.items())
        if (!ids.count(id))
            throw UsageError(
                fmt::format("the answers name '{}', which is not a question of this "
                            "bank; use the ids in the bank",
                            id));
    Marking r;
    for (const Question& q : bank.questions) {
        const nlohmann::json* a = answers.contains(q.id) ? &answers.at(q.id) : nullptr;
        r.marks.push_back(mark_one(q, a));
        r.total += r.marks.back().points;
        r.out_of += 1;
    }
    return r;
}

std::string Marking::report() const {
    std::string s;
    for (const Mark& m : marks) s += fmt::format("{}: {} ({}/1)\n", m.id, m.feedback, m.points);
    s += fmt::format("Total: {}/{} ({:.1f}%)\n", total, out_of,
                     out_of > 0 ? 100 * total / out_of : 0.0);
    return s;
}

}  // namespace ptv::exercises
