#pragma once
// Per-cell numeric scores of NAS-Bench-201 cells: named columns keyed by cell. One type serves
// the two score files of ../shared/data/nb201:
//  - nb201_zero_cost_proxies_cifar10.csv (kind "zero_cost_proxies_cifar10"): 9,445 of the 15,625
//    cells in no particular order; columns epe_nas, fisher, flops (MFLOPs), grad_norm, grasp,
//    jacov, l2_norm, nwot, params (M), plain, snip, synflow, zen. NASLib writes -1e8 where a
//    proxy failed; that value is kept as it is (it ranks such a cell last, as the published
//    correlations do).
//  - nb201_hw_latency_cifar10.csv (kind "hw_latency_cifar10"): all 15,625 cells in benchmark index
//    order; device latency (ms) and energy columns. `edgetpu_latency` writes -1 where no
//    measurement exists: the table holds NaN there (missing), never -1.
// Cells come from the `net` op tuple (nb201_net_tuple.h); where a `net_str` cell string is also
// present, the two must agree.
#include <string>
#include <string_view>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

class CsvTable;

class Nb201ScoreTable {
 public:
  // Loads either file, recognised by its header. Throws d2a::Error (bad input) naming file, line
  // and column for anything malformed: unknown header, a `net` tuple that does not decode (the
  // message quotes it), `net` and `net_str` naming different cells, a non-numeric value, a cell
  // listed twice, or a latency table without all 15,625 cells.
  static Nb201ScoreTable load(const std::string& path);
  static Nb201ScoreTable from_csv(const CsvTable& csv);
  // True when the header is that of one of the two score files.
  static bool recognises(const CsvTable& csv);

  // Builds a table from parts (tests). `cells[r]` is row r; `values[c][r]` is column
  // `columns[c]` of row r (NaN = missing). With `benchmark_order`, row r is benchmark index r.
  Nb201ScoreTable(std::string source, std::string kind, std::vector<Nb201Cell> cells,
                  bool benchmark_order, std::vector<std::string> columns,
                  std::vector<std::vector<double>> values);

  const std::string& source() const { return source_; }  // the file it came from
  // "zero_cost_proxies_cifar10" or "hw_latency_cifar10" (or what the constructor was given).
  const std::string& kind() const { return kind_; }
  int size() const { return static_cast<int>(cells_.size()); }  // rows = cells listed
  const std::vector<std::string>& columns() const { return columns_; }
  bool has_column(std::string_view name) const;
  // True when row r is the cell with benchmark index r (the latency file).
  bool in_benchmark_order() const { return benchmark_order_; }

  const Nb201Cell& cell(int row) const;  // throws for a row out of range
  // Row of a cell, or -1 when the table does not list it.
  int row_of(const Nb201Cell& cell) const;
  bool contains(const Nb201Cell& cell) const { return row_of(cell) >= 0; }

  // A whole column in row order; throws naming the unknown column and listing the valid ones.
  const std::vector<double>& column(std::string_view name) const;
  // One value (NaN where missing). The cell form throws when the table does not list the cell,
  // saying how many of the 15,625 cells it covers.
  double value(int row, std::string_view name) const;
  double value(const Nb201Cell& cell, std::string_view name) const;
  // By benchmark index; throws unless in_benchmark_order().
  double value_at_index(int benchmark_index, std::string_view name) const;

  // Rows (ascending) of the table's members of Nb201Equivalence class `class_id`, or of the class
  // whose key is `key`. Throws for a class id out of range or a key no cell has.
  std::vector<int> rows_of_class(int class_id) const;
  std::vector<int> rows_of_key(std::string_view key) const;

 private:
  std::string source_;
  std::string kind_;
  std::vector<Nb201Cell> cells_;
  bool benchmark_order_;
  std::vector<int> row_of_dense_;  // dense index -> row (-1 if absent)
  std::vector<std::string> columns_;
  std::vector<std::vector<double>> values_;
};

}  // namespace d2a
