#pragma once
// The budget flags `d2a train` and `d2a db build` share: --budget and the overrides that rename
// it (train/budget.h, BudgetOverrides). No torch here.
#include <CLI/CLI.hpp>

#include <string>

#include "d2a/train/budget.h"

namespace d2a::cli {

// Declares --budget (into `budget`, one of the named budgets; `budget_help` says the default)
// and --epochs, --channels, --cells, --image-size, --train-per-class, --test-per-class,
// --batch-size, --lr, --no-flip and --precision (into `overrides`).
void add_budget_options(CLI::App* command, std::string& budget, const std::string& budget_help,
                        BudgetOverrides& overrides);

}  // namespace d2a::cli
