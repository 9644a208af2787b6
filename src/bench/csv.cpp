#include "d2a/bench/csv.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "d2a/error.h"

namespace d2a {

CsvTable CsvTable::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(path + ": cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parse(buffer.str(), path);
}

CsvTable CsvTable::parse(std::string_view text, const std::string& name) {
  CsvTable table;
  table.path_ = name;
  std::vector<std::string> record;
  std::string field;
  std::size_t line = 1, record_line = 1;
  bool in_quotes = false, field_started = false;

  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    field_started = false;
    if (record.size() == 1 && record[0].empty()) {  // blank line
      record.clear();
      return;
    }
    if (table.header_.empty()) {
      table.header_ = std::move(record);
    } else {
      if (record.size() != table.header_.size()) {
        throw bad_input(name + ":" + std::to_string(record_line) + ": expected " +
                        std::to_string(table.header_.size()) + " fields, found " +
                        std::to_string(record.size()));
      }
      table.rows_.push_back(std::move(record));
      table.line_of_row_.push_back(record_line);
    }
    record.clear();
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_quotes) {
      if (ch == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    switch (ch) {
      case '"':
        if (field_started && !field.empty()) {
          throw bad_input(name + ":" + std::to_string(line) + ": quote inside an unquoted field");
        }
        in_quotes = true;
        field_started = true;
        break;
      case ',':
        record.push_back(std::move(field));
        field.clear();
        field_started = false;
        break;
      case '\r':
        break;
      case '\n':
        end_record();
        record_line = ++line;
        break;
      default:
        field += ch;
        field_started = true;
    }
  }
  if (in_quotes) throw bad_input(name + ":" + std::to_string(record_line) + ": unterminated quote");
  if (!field.empty() || !record.empty()) end_record();
  if (table.header_.empty()) throw bad_input(name + ": empty file (no header row)");
  return table;
}

std::size_t CsvTable::column(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return i;
  }
  throw bad_input(path_ + ": no column '" + std::string(name) + "' in the header");
}

bool CsvTable::has_column(std::string_view name) const {
  for (const auto& h : header_) {
    if (h == name) return true;
  }
  return false;
}

std::string CsvTable::where(std::size_t row, std::size_t col) const {
  return path_ + ":" + std::to_string(line_of_row_.at(row)) + ", column '" + header_.at(col) + "'";
}

double CsvTable::number(std::size_t row, std::size_t col) const {
  const std::string& text = cell(row, col);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
    throw bad_input(where(row, col) + ": '" + text + "' is not a number");
  }
  return value;
}

long long CsvTable::integer(std::size_t row, std::size_t col) const {
  const std::string& text = cell(row, col);
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE) {
    throw bad_input(where(row, col) + ": '" + text + "' is not an integer");
  }
  return value;
}

}  // namespace d2a
