#pragma once
// A strict CSV reader for the benchmark tables: RFC 4180 quoting ("a, b" fields, "" escapes),
// a header row, and errors that name the file, line and column.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace d2a {

class CsvTable {
 public:
  // Reads the whole file; throws d2a::Error (bad input) for a missing file, an empty file, a
  // row whose field count differs from the header's, or an unterminated quote.
  static CsvTable read(const std::string& path);
  static CsvTable parse(std::string_view text, const std::string& name);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t num_rows() const { return rows_.size(); }
  const std::vector<std::string>& row(std::size_t i) const { return rows_.at(i); }
  // Column index by header name; throws naming the file and the missing column.
  std::size_t column(std::string_view name) const;
  bool has_column(std::string_view name) const;

  const std::string& cell(std::size_t row, std::size_t col) const { return rows_.at(row).at(col); }
  // The field as a number; throws naming file, line (1-based, header = line 1) and column.
  double number(std::size_t row, std::size_t col) const;
  long long integer(std::size_t row, std::size_t col) const;
  // "file:line, column 'name'" for messages about a field.
  std::string where(std::size_t row, std::size_t col) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::size_t> line_of_row_;  // source line of each row (quoted newlines allowed)
};

}  // namespace d2a
