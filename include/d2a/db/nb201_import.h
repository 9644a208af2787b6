#pragma once
// Importing a NAS-Bench-201 accuracy table into a meta-database: every cell of the table
// becomes an arch (with its benchmark index) and every metric a /benchmarks/<name> column.
#include <string>
#include <string_view>
#include <vector>

#include "d2a/bench/nb201_table.h"
#include "d2a/db/meta_database.h"

namespace d2a {

// "<table>.<metric>": "nb201-200ep.cifar10-test", "nb201-12ep.cifar100-valid". The table part
// comes from Nb201Table::kind() ("test_acc_200ep" -> "nb201-200ep", "acc_12ep" -> "nb201-12ep").
std::string nb201_benchmark_name(std::string_view table_kind, std::string_view metric);

// What a metric may be used for: CIFAR-10 accuracies are the held-out target
// (shared/data/README.md), so they are kUseEvaluationOnly; the rest kUseTrainingAllowed.
const char* nb201_metric_use(std::string_view metric);

struct Nb201ImportSummary {
  int archs_added = 0;                  // cells the database did not hold before
  std::vector<std::string> benchmarks;  // names written (added or replaced)
};

// Adds the table's cells not yet in `db` as archs, in benchmark index order, and records the
// benchmark index of those already there; then writes one benchmark per metric (values by
// benchmark index; provenance: table source file, kind, metric, use), replacing any benchmark
// of the same name. Everything else in `db` is kept. Throws d2a::Error (bad input) when a
// cell's benchmark index contradicts the one the database already holds.
Nb201ImportSummary import_nb201_table(MetaDatabase& db, const Nb201Table& table);

}  // namespace d2a
