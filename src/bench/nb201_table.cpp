#include "d2a/bench/nb201_table.h"

#include <algorithm>

#include "d2a/bench/csv.h"
#include "d2a/bench/nb201_class_lookup.h"
#include "d2a/bench/nb201_columns.h"
#include "d2a/error.h"

namespace d2a {
namespace {

struct Layout {
  const char* kind;
  const char* cell_column;
  const char* index_column;                                  // nullptr: the row number is the index
  std::vector<std::pair<const char*, const char*>> metrics;  // csv column -> metric name
};

const std::vector<Layout>& layouts() {
  static const std::vector<Layout> all = {
      {"test_acc_200ep",
       "ArchitectureString",
       nullptr,
       {{"CIFAR10TestAccuracy200Epochs", "cifar10-test"},
        {"CIFAR100TestAccuracy200Epochs", "cifar100-test"},
        {"ImageNetTestAccuracy200Epochs", "imagenet16-120-test"}}},
      {"acc_12ep",
       "cellstr",
       "arch",
       {{"cifar10-test", "cifar10-test"},
        {"cifar10-val", "cifar10-valid"},
        {"cifar100-test", "cifar100-test"},
        {"cifar100-val", "cifar100-valid"},
        {"imagenet-test", "imagenet16-120-test"},
        {"imagenet-val", "imagenet16-120-valid"}}},
  };
  return all;
}

const Layout* find_layout(const CsvTable& csv) {
  for (const auto& candidate : layouts()) {
    if (csv.has_column(candidate.cell_column)) return &candidate;
  }
  return nullptr;
}

}  // namespace

bool Nb201Table::recognises(const CsvTable& csv) { return find_layout(csv) != nullptr; }

Nb201Table Nb201Table::load(const std::string& path) { return from_csv(CsvTable::read(path)); }

Nb201Table Nb201Table::from_csv(const CsvTable& csv) {
  const std::string& path = csv.path();
  const Layout* layout = find_layout(csv);
  if (layout == nullptr) {
    throw bad_input(path +
                    ": not a NAS-Bench-201 accuracy table (expected a column 'ArchitectureString' "
                    "as in nb201_test_acc_200ep.csv or 'cellstr' as in nb201_acc_12ep.csv)");
  }
  const std::size_t cell_col = csv.column(layout->cell_column);
  std::vector<std::size_t> metric_cols;
  std::vector<std::string> metrics;
  for (const auto& [column, metric] : layout->metrics) {
    metric_cols.push_back(csv.column(column));
    metrics.emplace_back(metric);
  }
  std::vector<Nb201Cell> cells(csv.num_rows());
  std::vector<std::vector<float>> accuracy(metrics.size(), std::vector<float>(csv.num_rows()));
  std::vector<int> seen(kNb201NumCells, -1);
  for (std::size_t r = 0; r < csv.num_rows(); ++r) {
    if (layout->index_column != nullptr) {
      const std::size_t col = csv.column(layout->index_column);
      if (csv.integer(r, col) != static_cast<long long>(r)) {
        throw bad_input(csv.where(r, col) + ": index " + csv.cell(r, col) +
                        " out of order (expected " + std::to_string(r) + ")");
      }
    }
    try {
      cells[r] = Nb201Cell::parse(csv.cell(r, cell_col));
    } catch (const Error& e) {
      throw bad_input(csv.where(r, cell_col) + ": " + e.what());
    }
    int& first = seen[cells[r].dense_index()];
    if (first >= 0) {
      throw bad_input(csv.where(r, cell_col) + ": cell listed twice (also at index " +
                      std::to_string(first) + ")");
    }
    first = static_cast<int>(r);
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const double value = csv.number(r, metric_cols[m]);
      if (value < 0 || value > 100) {
        throw bad_input(csv.where(r, metric_cols[m]) + ": accuracy " + csv.cell(r, metric_cols[m]) +
                        " is outside [0, 100]");
      }
      accuracy[m][r] = static_cast<float>(value);
    }
  }
  if (csv.num_rows() != kNb201NumCells) {
    throw bad_input(path + ": " + std::to_string(csv.num_rows()) +
                    " rows, but a NAS-Bench-201 table lists all 15625 cells");
  }
  return Nb201Table(path, layout->kind, std::move(cells), std::move(metrics), std::move(accuracy));
}

Nb201Table::Nb201Table(std::string source, std::string kind, std::vector<Nb201Cell> cells,
                       std::vector<std::string> metrics, std::vector<std::vector<float>> accuracy)
    : source_(std::move(source)),
      kind_(std::move(kind)),
      cells_(std::move(cells)),
      index_of_dense_(nb201_rows_by_dense_index(cells_, source_)),
      metrics_(std::move(metrics)),
      accuracy_(std::move(accuracy)) {
  nb201_check_columns(metrics_, accuracy_, cells_.size(), source_);
}

bool Nb201Table::has_metric(std::string_view metric) const {
  return std::find(metrics_.begin(), metrics_.end(), metric) != metrics_.end();
}

int Nb201Table::index_of(const Nb201Cell& cell) const {
  return index_of_dense_[cell.dense_index()];
}

const Nb201Cell& Nb201Table::cell(int index) const {
  if (index < 0 || index >= size()) {
    throw bad_input(source_ + ": benchmark index " + std::to_string(index) + " is outside [0, " +
                    std::to_string(size()) + ")");
  }
  return cells_[index];
}

const std::vector<float>& Nb201Table::column(std::string_view metric) const {
  return accuracy_[nb201_column_position(metrics_, metric, source_, "metric")];
}

float Nb201Table::accuracy(int index, std::string_view metric) const {
  cell(index);  // range check
  return column(metric)[index];
}

int Nb201Table::rank(int index, std::string_view metric) const {
  const float value = accuracy(index, metric);
  const auto& values = column(metric);
  return 1 + static_cast<int>(std::count_if(values.begin(), values.end(),
                                            [value](float v) { return v > value; }));
}

std::vector<int> Nb201Table::indices_of_class(int class_id) const {
  return nb201_class_positions(class_id, [this](const Nb201Cell& c) { return index_of(c); });
}

std::vector<int> Nb201Table::indices_of_key(std::string_view key) const {
  return indices_of_class(nb201_class_of_key(key));
}

std::string nb201_metric_name(std::string_view dataset, std::string_view split) {
  if (dataset != "cifar10" && dataset != "cifar100" && dataset != "imagenet16-120") {
    throw bad_input("unknown dataset '" + std::string(dataset) +
                    "' (valid: cifar10, cifar100, imagenet16-120)");
  }
  if (split != "test" && split != "valid") {
    throw bad_input("unknown split '" + std::string(split) + "' (valid: test, valid)");
  }
  return std::string(dataset) + "-" + std::string(split);
}

}  // namespace d2a
