#pragma once
// `d2a db build`: sample tasks from image sources, sample cells, train every (task, cell) pair
// under a named budget and append the records to a meta-database. No torch in this header.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "d2a/space/nb201.h"
#include "d2a/train/budget.h"

namespace d2a {

struct DbBuildOptions {
  std::vector<std::string> data;  // image sources (SPEC: path or name); task t uses data[t % size]
  std::string out;                // the database file, re-saved atomically after every record
  int tasks = 0;                  // tasks of the whole build (all shards together)
  int archs_per_task = 0;         // cells drawn per task, uniformly over the equivalence classes
  std::vector<Nb201Cell> extra_cells;  // trained on every task besides the drawn ones
  int min_classes = 5;            // K per task, drawn uniformly in [min, max]; max is capped by
                                  // the source's class count, a source with fewer than min is
                                  // refused
  int max_classes = 10;
  std::string budget = "cpu-fast";  // a name from named_budgets()
  BudgetOverrides overrides;      // changes to it; any change renames it (train/budget.h)
  // Where the test images come from: "train" (disjoint from the training images, from the same
  // split) or "test" (the source's own test split: other typefaces, themes or pictures, so a
  // record measures generalisation to drawings the training images never showed).
  std::string test_split = "train";
  int repeats = 1;                // training runs per (task, cell), each with its own seed: the
                                  // spread between them is the records' noise
  std::uint64_t seed = 0;         // the whole build is a function of the options and this seed
  int shard_index = 0;            // this process builds the tasks t with t % shard_count == index
  int shard_count = 1;
  bool resume = false;            // continue an existing `out`, skipping records it already has
  std::string device = "cpu";
  bool quiet = false;             // no progress bar
};

struct DbBuildSummary {
  std::string out;
  std::string budget;        // the budget name as stored
  int tasks = 0;             // tasks of this shard
  int records_added = 0;     // trained in this run
  int records_skipped = 0;   // already in `out` (resume)
  int records_total = 0;     // records in `out` at the end
  double seconds = 0;        // wall time of this run
  double train_seconds = 0;  // sum of the records' training time in this run
  bool interrupted = false;  // stopped by SIGINT/SIGTERM after saving the record in flight
};

// Validates everything before any work (bad input: d2a::Error with one line), then builds.
// An existing `out` without `resume` is refused. With `resume`, a task that `out` holds must be
// identical to the one the options draw again, else the file was built with other settings.
// Killing the process at any moment loses at most the record being trained.
DbBuildSummary build_meta_database(const DbBuildOptions& options);

// The deterministic pieces of the plan, exposed for tests and for `db build --dry-run`-style use.
std::string db_task_id(std::uint64_t seed, int task);
std::uint64_t db_task_seed(std::uint64_t seed, int task);
// The training seed of repeat r of a cell on a task (repeat 0: the seed of a build without
// repeats).
std::int32_t db_record_seed(std::uint64_t task_seed, const Nb201Cell& cell, int repeat);
std::vector<int> db_shard_tasks(int tasks, int shard_index, int shard_count);

}  // namespace d2a
