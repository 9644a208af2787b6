#include "d2a/db/nb201_import.h"

namespace d2a {

std::string nb201_benchmark_name(std::string_view table_kind, std::string_view metric) {
  std::string table;
  if (table_kind == "test_acc_200ep") {
    table = "nb201-200ep";
  } else if (table_kind == "acc_12ep") {
    table = "nb201-12ep";
  } else {
    table = "nb201-" + std::string(table_kind);
  }
  return table + "." + std::string(metric);
}

const char* nb201_metric_use(std::string_view metric) {
  return metric.substr(0, 8) == "cifar10-" ? kUseEvaluationOnly : kUseTrainingAllowed;
}

Nb201ImportSummary import_nb201_table(MetaDatabase& db, const Nb201Table& table) {
  Nb201ImportSummary summary;
  const std::size_t before = db.archs().size();
  for (int index = 0; index < table.size(); ++index) db.add_arch(table.cell(index), index);
  summary.archs_added = static_cast<int>(db.archs().size() - before);
  for (const auto& metric : table.metrics()) {
    DbBenchmark benchmark;
    benchmark.name = nb201_benchmark_name(table.kind(), metric);
    benchmark.values = table.column(metric);
    benchmark.source = table.source();
    benchmark.table_kind = table.kind();
    benchmark.metric = metric;
    benchmark.use = nb201_metric_use(metric);
    summary.benchmarks.push_back(benchmark.name);
    db.set_benchmark(std::move(benchmark));
  }
  return summary;
}

}  // namespace d2a
