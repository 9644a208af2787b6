#pragma once
// The NAS-Bench-201 accuracy tables (../shared/data/nb201): the 200-epoch test-accuracy table
// and the 12-epoch table. Both list the 15,625 cells in the official benchmark index order,
// which is not d2a's dense order: the table is what maps a cell to its benchmark index.
// A table is a value that callers are handed (never a global), so tests can build tiny ones.
#include <string>
#include <string_view>
#include <vector>

#include "d2a/space/nb201.h"

namespace d2a {

class CsvTable;

class Nb201Table {
 public:
  // Loads either table, recognised by its header:
  //  - nb201_test_acc_200ep.csv -> metrics "cifar10-test", "cifar100-test", "imagenet16-120-test"
  //  - nb201_acc_12ep.csv       -> metrics "cifar10-test", "cifar10-valid", "cifar100-test",
  //                                 "cifar100-valid", "imagenet16-120-test", "imagenet16-120-valid"
  // Throws d2a::Error (bad input) naming file, line and column for anything malformed: unknown
  // header, unparsable cell string, non-numeric accuracy, a cell listed twice, a missing cell
  // (a full table has all 15,625), or an `arch` index that disagrees with the row number.
  static Nb201Table load(const std::string& path);
  // The same from a CSV already read (a caller that inspects the header first, like `lookup`).
  static Nb201Table from_csv(const CsvTable& csv);
  // True when the header is that of one of the two accuracy tables.
  static bool recognises(const CsvTable& csv);

  // Builds a table from parts (tests, and tables read from a meta-database). `cells[i]` has
  // benchmark index i; `accuracy[m][i]` is metric `metrics[m]` of cell i. Need not be full.
  Nb201Table(std::string source, std::string kind, std::vector<Nb201Cell> cells,
             std::vector<std::string> metrics, std::vector<std::vector<float>> accuracy);

  const std::string& source() const { return source_; }  // the file it came from
  const std::string& kind() const { return kind_; }      // "test_acc_200ep" or "acc_12ep"
  int size() const { return static_cast<int>(cells_.size()); }
  const std::vector<std::string>& metrics() const { return metrics_; }
  bool has_metric(std::string_view metric) const;

  // Benchmark index of a cell, or -1 when the table does not list it.
  int index_of(const Nb201Cell& cell) const;
  const Nb201Cell& cell(int index) const;
  // Accuracy in percent; throws naming the unknown metric (and listing the valid ones) or an
  // index out of range.
  float accuracy(int index, std::string_view metric) const;
  const std::vector<float>& column(std::string_view metric) const;
  // 1 + the number of cells with a strictly higher `metric` (1 = best; ties share a rank).
  int rank(int index, std::string_view metric) const;

  // Benchmark indices (ascending) of the table's members of Nb201Equivalence class `class_id`,
  // or of the class whose key is `key` (the 200-epoch table's `UniqueString`). Throws for a class
  // id out of range or a key no cell has. The class's accuracies are accuracy(i, m) over these.
  std::vector<int> indices_of_class(int class_id) const;
  std::vector<int> indices_of_key(std::string_view key) const;

 private:
  std::string source_;
  std::string kind_;
  std::vector<Nb201Cell> cells_;
  std::vector<int> index_of_dense_;  // dense index -> benchmark index (-1 if absent)
  std::vector<std::string> metrics_;
  std::vector<std::vector<float>> accuracy_;
};

// Maps the user-facing dataset names (cifar10, cifar100, imagenet16-120) and an optional
// split ("test" default, "valid") to the metric name above; throws listing the valid names.
std::string nb201_metric_name(std::string_view dataset, std::string_view split = "test");

}  // namespace d2a
