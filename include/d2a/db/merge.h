#pragma once
// Joining meta-databases built as shards (`db build --shard I/N`) or separately.
#include <string>
#include <utility>
#include <vector>

#include "d2a/db/meta_database.h"

namespace d2a {

// Merges `inputs` (name for messages, database) into one. Archs are joined by cell, tasks by id,
// budgets by name (ids are reassigned where they clash), benchmarks by name. Refuses, with
// d2a::Error (bad input) naming both inputs:
//  - overlapping shards: the same (task, cell, budget, seed) record in two inputs;
//  - inconsistent inputs: a task id whose classes, seed or images differ, a budget name whose
//    recipe differs, a benchmark name whose values differ.
// Tasks keep the order of their first appearance, records the order of the inputs.
MetaDatabase merge_databases(const std::vector<std::pair<std::string, MetaDatabase>>& inputs);

}  // namespace d2a
