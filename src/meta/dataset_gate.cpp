#include "d2a/meta/dataset_gate.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "d2a/error.h"

namespace d2a {
namespace {

double euclidean(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = static_cast<double>(a[i]) - b[i];
    sum += d * d;
  }
  return std::sqrt(sum);
}

void check_dimensions(const std::vector<std::vector<float>>& references, const std::string& where) {
  if (references.empty() || references[0].empty()) throw bad_input(where + ": no reference tasks");
  for (const auto& r : references) {
    if (r.size() != references[0].size()) {
      throw bad_input(where + ": reference summaries of different dimensions");
    }
  }
}

}  // namespace

DatasetGate DatasetGate::fit(std::vector<std::vector<float>> references,
                             std::vector<std::string> sources, double max_weight) {
  check_dimensions(references, "dataset gate");
  if (sources.size() != references.size()) {
    throw bad_input("dataset gate: one source per reference task is needed");
  }
  if (std::set<std::string>(sources.begin(), sources.end()).size() < 2) {
    throw bad_input("dataset gate: needs tasks of at least two sources to measure how far a new "
                    "source lies");
  }
  if (!(max_weight >= 0)) throw bad_input("dataset gate: the weight must be >= 0");
  std::vector<double> nearest_other;
  for (std::size_t i = 0; i < references.size(); ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < references.size(); ++j) {
      if (sources[j] != sources[i]) best = std::min(best, euclidean(references[i], references[j]));
    }
    nearest_other.push_back(best);
  }
  std::sort(nearest_other.begin(), nearest_other.end());
  DatasetGate gate;
  gate.references = std::move(references);
  gate.sources = std::move(sources);
  gate.near = nearest_other[nearest_other.size() / 2];
  gate.far = nearest_other.back();
  gate.max_weight = max_weight;
  return gate;
}

double DatasetGate::distance(const std::vector<float>& summary) const {
  if (references.empty() || summary.size() != references[0].size()) {
    throw bad_input("dataset gate: a summary of " + std::to_string(summary.size()) +
                    " values, the references have " +
                    std::to_string(references.empty() ? 0 : references[0].size()));
  }
  double best = std::numeric_limits<double>::infinity();
  for (const auto& r : references) best = std::min(best, euclidean(summary, r));
  return best;
}

double DatasetGate::weight_at(double d) const {
  if (d <= near) return max_weight;
  if (d >= far || far <= near) return 0.0;
  return max_weight * (far - d) / (far - near);
}

nlohmann::json DatasetGate::to_json() const {
  nlohmann::json tasks = nlohmann::json::array();
  for (std::size_t i = 0; i < references.size(); ++i) {
    tasks.push_back({{"source", sources[i]}, {"summary", references[i]}});
  }
  return {{"max_weight", max_weight}, {"near", near}, {"far", far}, {"tasks", tasks}};
}

DatasetGate DatasetGate::from_json(const nlohmann::json& json, const std::string& where) {
  DatasetGate gate;
  try {
    gate.max_weight = json.at("max_weight").get<double>();
    gate.near = json.at("near").get<double>();
    gate.far = json.at("far").get<double>();
    for (const auto& t : json.at("tasks")) {
      gate.sources.push_back(t.at("source").get<std::string>());
      gate.references.push_back(t.at("summary").get<std::vector<float>>());
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad_input(where + ": malformed dataset_gate (" + e.what() + ")");
  }
  check_dimensions(gate.references, where + " (dataset_gate)");
  if (!(gate.max_weight >= 0) || !(gate.near >= 0) || !(gate.far >= gate.near)) {
    throw bad_input(where + ": dataset_gate needs max_weight >= 0 and 0 <= near <= far");
  }
  return gate;
}

}  // namespace d2a
