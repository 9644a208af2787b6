#pragma once
// `d2a suggest --target`: device costs of the ranked cells (HW-NAS-Bench table or measured here),
// latency and energy bounds, and the Pareto set. Internal to the suggest command.
#include <nlohmann/json.hpp>

#include <limits>
#include <string>

#include "d2a/meta/suggest.h"
#include "d2a/space/nb201_cost.h"

namespace d2a::cli {

struct TargetArgs {
  std::string target;          // "" = none
  std::string latency_table;   // HW-NAS-Bench CSV ("" = the default location)
  double max_latency_ms = std::numeric_limits<double>::infinity();
  double max_energy_mj = std::numeric_limits<double>::infinity();
  bool pareto = false;
  int latency_batch = 1;       // measured targets: also time a batch of this size
  int measure_top = 30;        // measured targets: how many of the best cells are timed
  double latency_tolerance = 0.05;  // measured targets: LatencyOptions::tolerance
  std::string latency_cache;   // "" = the default file, "none" = no cache
  bool bounded() const;
};

// Validates what needs no file (bad input: unknown target, bound without target, ...).
void validate_target(const TargetArgs& args);
// Whether the whole space should be ranked: a table device with a bound, where the generator's
// candidates (chosen for accuracy, not speed) may hold few cells that meet it.
bool target_wants_whole_space(const TargetArgs& args);

// Attaches costs to result.ranked, drops the cells that do not meet the bounds, marks the Pareto
// set; returns the JSON summary ("target" in suggest's output). Throws d2a::Error (bad input)
// when no ranked cell meets the bounds, saying the best value among the candidates.
nlohmann::json apply_target(const TargetArgs& args, SuggestResult& result,
                            const Nb201MacroConfig& network, const std::string& device);

}  // namespace d2a::cli
