#pragma once
// Plumbing shared by the tables that hold named columns of per-cell values (Nb201Table,
// Nb201ScoreTable): the cell -> row map, and checked access to a column by name.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "d2a/error.h"
#include "d2a/space/nb201.h"

namespace d2a {

// Row of every cell by dense index (-1 where `cells` does not list it). Throws d2a::Error (bad
// input) naming `source` and the cell when a cell is listed twice.
std::vector<int> nb201_rows_by_dense_index(const std::vector<Nb201Cell>& cells,
                                           const std::string& source);

// Position of `name` in `names`; throws d2a::Error (bad input) "<source>: no <what> '<name>'
// (this table has: a, b, ...)".
std::size_t nb201_column_position(const std::vector<std::string>& names, std::string_view name,
                                  const std::string& source, std::string_view what);

// Checks that there is one value column per name and one value per cell in each.
template <typename T>
void nb201_check_columns(const std::vector<std::string>& names,
                         const std::vector<std::vector<T>>& values, std::size_t num_cells,
                         const std::string& source) {
  if (values.size() != names.size()) {
    throw bad_input(source + ": " + std::to_string(names.size()) + " column names but " +
                    std::to_string(values.size()) + " columns of values");
  }
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (values[c].size() != num_cells) {
      throw bad_input(source + ": column '" + names[c] + "' has " +
                      std::to_string(values[c].size()) + " values for " +
                      std::to_string(num_cells) + " cells");
    }
  }
}

}  // namespace d2a
