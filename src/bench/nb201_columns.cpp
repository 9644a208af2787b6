#include "d2a/bench/nb201_columns.h"

namespace d2a {

std::vector<int> nb201_rows_by_dense_index(const std::vector<Nb201Cell>& cells,
                                           const std::string& source) {
  std::vector<int> rows(kNb201NumCells, -1);
  for (std::size_t r = 0; r < cells.size(); ++r) {
    int& slot = rows[cells[r].dense_index()];
    if (slot >= 0) throw bad_input(source + ": cell " + cells[r].str() + " listed twice");
    slot = static_cast<int>(r);
  }
  return rows;
}

std::size_t nb201_column_position(const std::vector<std::string>& names, std::string_view name,
                                  const std::string& source, std::string_view what) {
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (names[c] == name) return c;
  }
  std::string valid;
  for (const auto& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw bad_input(source + ": no " + std::string(what) + " '" + std::string(name) +
                  "' (this table has: " + valid + ")");
}

}  // namespace d2a
