// Plain-text tables for terminals (exit tables, per-tick tables, bench
// results): left-aligned text columns, right-aligned numeric columns.
#pragma once

#include <string>
#include <vector>

namespace ptv {

class Table {
  public:
    explicit Table(std::vector<std::string> headers);
    // Columns whose header is listed here are right-aligned (numbers).
    Table& right_align(std::vector<size_t> columns);
    Table& row(std::vector<std::string> cells);
    // A horizontal rule before the next row (for totals and sections).
    Table& rule();
    std::string render() const;

  private:
    std::vector<std::string> headers_;
    std::vector<bool> right_;
    std::vector<std::vector<std::string>> rows_;  // empty row = rule
};

}  // namespace ptv
