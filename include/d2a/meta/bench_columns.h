#pragma once
// Benchmark accuracy columns that meta-training may learn from (shared/data/README.md): the
// NAS-Bench-201 CIFAR-100 and ImageNet16-120 columns are allowed, with their source recorded;
// every CIFAR-10 column is the held-out target and is refused. No torch here.
#include <string>
#include <vector>

#include "d2a/bench/nb201_table.h"
#include "d2a/space/nb201.h"

namespace d2a {

struct BenchColumn {
  std::string metric;              // e.g. "cifar100-test"
  std::string source;              // the table file it came from
  std::string table_kind;          // e.g. "test_acc_200ep"
  std::vector<Nb201Cell> cells;    // every cell of the table
  std::vector<float> accuracy;     // percent, one per cell
};

// Splits "a,b" (spaces around names allowed) into names; throws d2a::Error (bad input) for an
// empty list, an empty name or a name given twice.
std::vector<std::string> parse_bench_column_list(const std::string& list);

// True for the metrics nothing may train on: every CIFAR-10 column ("cifar10-test",
// "cifar10-valid", ...), but not "cifar100-*".
bool is_held_out_metric(const std::string& metric);

// The columns `metrics` of `table`. Throws d2a::Error (bad input) naming the metric and the
// table for a CIFAR-10 metric (before anything else is read) and for a metric the table does not
// have (listing those it has).
std::vector<BenchColumn> select_bench_columns(const Nb201Table& table,
                                              const std::vector<std::string>& metrics);

}  // namespace d2a
