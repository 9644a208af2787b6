#include "d2a/meta/bench_columns.h"

#include <algorithm>

#include "d2a/error.h"
#include "d2a/split.h"

namespace d2a {
namespace {

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

std::vector<std::string> parse_bench_column_list(const std::string& list) {
  std::vector<std::string> names;
  for (const std::string_view piece : split_at(list, ',')) {
    const std::string name = trim(std::string(piece));
    if (name.empty()) throw bad_input("--bench-columns '" + list + "': empty column name");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      throw bad_input("--bench-columns '" + list + "': '" + name + "' given twice");
    }
    names.push_back(name);
  }
  return names;
}

bool is_held_out_metric(const std::string& metric) { return metric.rfind("cifar10-", 0) == 0; }

std::vector<BenchColumn> select_bench_columns(const Nb201Table& table,
                                              const std::vector<std::string>& metrics) {
  for (const auto& metric : metrics) {
    if (is_held_out_metric(metric)) {
      throw bad_input(table.source() + ": refusing benchmark column '" + metric +
                      "': CIFAR-10 is the held-out target, nothing that trains a model may read "
                      "its accuracies (use cifar100-* or imagenet16-120-*)");
    }
  }
  std::vector<Nb201Cell> cells;
  cells.reserve(table.size());
  for (int i = 0; i < table.size(); ++i) cells.push_back(table.cell(i));
  std::vector<BenchColumn> columns;
  for (const auto& metric : metrics) {
    if (!table.has_metric(metric)) {
      std::string known;
      for (const auto& m : table.metrics()) {
        if (!is_held_out_metric(m)) known += (known.empty() ? "" : ", ") + m;
      }
      throw bad_input(table.source() + ": no benchmark column '" + metric + "' (allowed: " + known + ")");
    }
    columns.push_back({metric, table.source(), table.kind(), cells, table.column(metric)});
  }
  return columns;
}

}  // namespace d2a
