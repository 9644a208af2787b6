#include "d2a/bench/nb201_score_table.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "d2a/bench/csv.h"
#include "d2a/bench/nb201_class_lookup.h"
#include "d2a/bench/nb201_columns.h"
#include "d2a/bench/nb201_net_tuple.h"
#include "d2a/error.h"

namespace d2a {
namespace {

struct Layout {
  const char* kind;
  const char* required_column;  // the column whose presence identifies the file
  bool benchmark_order;
  std::vector<const char*> columns;
  std::vector<const char*> minus_one_is_missing;  // columns that write -1 for "not measured"
};

const std::vector<Layout>& layouts() {
  // The proxies layout first: it has `net_str`, the latency file does not.
  static const std::vector<Layout> all = {
      {"zero_cost_proxies_cifar10",
       "net_str",
       false,
       {"epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm", "nwot", "params",
        "plain", "snip", "synflow", "zen"},
       {}},
      {"hw_latency_cifar10",
       "edgegpu_latency",
       true,
       {"edgegpu_latency", "edgegpu_energy", "raspi4_latency", "edgetpu_latency", "pixel3_latency",
        "eyeriss_latency", "eyeriss_energy", "eyeriss_arithmetic_intensity", "fpga_latency",
        "fpga_energy"},
       {"edgetpu_latency"}},
  };
  return all;
}

const Layout* find_layout(const CsvTable& csv) {
  if (!csv.has_column("net")) return nullptr;
  for (const auto& candidate : layouts()) {
    if (csv.has_column(candidate.required_column)) return &candidate;
  }
  return nullptr;
}

}  // namespace

bool Nb201ScoreTable::recognises(const CsvTable& csv) { return find_layout(csv) != nullptr; }

Nb201ScoreTable Nb201ScoreTable::load(const std::string& path) {
  return from_csv(CsvTable::read(path));
}

Nb201ScoreTable Nb201ScoreTable::from_csv(const CsvTable& csv) {
  const std::string& path = csv.path();
  const Layout* layout = find_layout(csv);
  if (layout == nullptr) {
    throw bad_input(path +
                    ": not a NAS-Bench-201 score table (expected a column 'net' with 'net_str' as "
                    "in nb201_zero_cost_proxies_cifar10.csv or with 'edgegpu_latency' as in "
                    "nb201_hw_latency_cifar10.csv)");
  }
  const std::size_t net_col = csv.column("net");
  const bool has_str = csv.has_column("net_str");
  const std::size_t str_col = has_str ? csv.column("net_str") : 0;
  std::vector<std::size_t> cols;
  std::vector<bool> minus_one_missing;
  std::vector<std::string> names;
  for (const char* name : layout->columns) {
    cols.push_back(csv.column(name));
    names.emplace_back(name);
    minus_one_missing.push_back(std::find(layout->minus_one_is_missing.begin(),
                                          layout->minus_one_is_missing.end(),
                                          names.back()) != layout->minus_one_is_missing.end());
  }
  std::vector<Nb201Cell> cells(csv.num_rows());
  std::vector<std::vector<double>> values(names.size(), std::vector<double>(csv.num_rows()));
  std::vector<int> seen(kNb201NumCells, -1);
  for (std::size_t r = 0; r < csv.num_rows(); ++r) {
    try {
      cells[r] = nb201_cell_from_net_tuple(csv.cell(r, net_col));
    } catch (const Error& e) {
      throw bad_input(csv.where(r, net_col) + ": " + e.what());
    }
    if (has_str) {
      Nb201Cell named;
      try {
        named = Nb201Cell::parse(csv.cell(r, str_col));
      } catch (const Error& e) {
        throw bad_input(csv.where(r, str_col) + ": " + e.what());
      }
      if (named != cells[r]) {
        throw bad_input(csv.where(r, str_col) + ": names " + named.str() + " but 'net' " +
                        csv.cell(r, net_col) + " is " + cells[r].str());
      }
    }
    int& first = seen[cells[r].dense_index()];
    if (first >= 0) {
      throw bad_input(csv.where(r, net_col) + ": cell " + cells[r].str() +
                      " listed twice (also on data row " + std::to_string(first + 1) + ")");
    }
    first = static_cast<int>(r);
    for (std::size_t c = 0; c < cols.size(); ++c) {
      double value = csv.number(r, cols[c]);
      if (minus_one_missing[c] && value == -1.0) value = std::numeric_limits<double>::quiet_NaN();
      values[c][r] = value;
    }
  }
  if (layout->benchmark_order && csv.num_rows() != kNb201NumCells) {
    throw bad_input(path + ": " + std::to_string(csv.num_rows()) +
                    " rows, but this table lists all 15625 cells in benchmark index order");
  }
  return Nb201ScoreTable(path, layout->kind, std::move(cells), layout->benchmark_order,
                         std::move(names), std::move(values));
}

Nb201ScoreTable::Nb201ScoreTable(std::string source, std::string kind,
                                 std::vector<Nb201Cell> cells, bool benchmark_order,
                                 std::vector<std::string> columns,
                                 std::vector<std::vector<double>> values)
    : source_(std::move(source)),
      kind_(std::move(kind)),
      cells_(std::move(cells)),
      benchmark_order_(benchmark_order),
      row_of_dense_(nb201_rows_by_dense_index(cells_, source_)),
      columns_(std::move(columns)),
      values_(std::move(values)) {
  nb201_check_columns(columns_, values_, cells_.size(), source_);
}

bool Nb201ScoreTable::has_column(std::string_view name) const {
  return std::find(columns_.begin(), columns_.end(), name) != columns_.end();
}

const Nb201Cell& Nb201ScoreTable::cell(int row) const {
  if (row < 0 || row >= size()) {
    throw bad_input(source_ + ": row " + std::to_string(row) + " is outside [0, " +
                    std::to_string(size()) + ")");
  }
  return cells_[row];
}

int Nb201ScoreTable::row_of(const Nb201Cell& cell) const {
  return row_of_dense_[cell.dense_index()];
}

const std::vector<double>& Nb201ScoreTable::column(std::string_view name) const {
  return values_[nb201_column_position(columns_, name, source_, "column")];
}

double Nb201ScoreTable::value(int row, std::string_view name) const {
  cell(row);  // range check
  return column(name)[row];
}

double Nb201ScoreTable::value(const Nb201Cell& cell, std::string_view name) const {
  const int row = row_of(cell);
  if (row < 0) {
    throw bad_input(source_ + ": cell " + cell.str() + " is not in this table (it lists " +
                    std::to_string(size()) + " of the " + std::to_string(kNb201NumCells) +
                    " cells)");
  }
  return column(name)[row];
}

double Nb201ScoreTable::value_at_index(int benchmark_index, std::string_view name) const {
  if (!benchmark_order_) {
    throw bad_input(source_ + ": rows are not in benchmark index order; look cells up by cell");
  }
  if (benchmark_index < 0 || benchmark_index >= size()) {
    throw bad_input(source_ + ": benchmark index " + std::to_string(benchmark_index) +
                    " is outside [0, " + std::to_string(size()) + ")");
  }
  return column(name)[benchmark_index];
}

std::vector<int> Nb201ScoreTable::rows_of_class(int class_id) const {
  return nb201_class_positions(class_id, [this](const Nb201Cell& c) { return row_of(c); });
}

std::vector<int> Nb201ScoreTable::rows_of_key(std::string_view key) const {
  return rows_of_class(nb201_class_of_key(key));
}

}  // namespace d2a
