// The dataset gate: its scale from the references, the weight it gives, JSON round trip.
#include "d2a/meta/dataset_gate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "d2a/error.h"

namespace d2a {
namespace {

// Three sources on a line: a at 0 and 1, b at 4, c at 10 (one dimension, second coordinate 0).
DatasetGate line_gate(double weight = 0.8) {
  return DatasetGate::fit({{0, 0}, {1, 0}, {4, 0}, {10, 0}}, {"a", "a", "b", "c"}, weight);
}

TEST(DatasetGate, ScaleIsTheDistanceFromEachTaskToTheNearestOtherSource) {
  const DatasetGate gate = line_gate();
  // Nearest task of another source: a@0 -> 4, a@1 -> 3, b@4 -> 3, c@10 -> 6.
  // Sorted 3, 3, 4, 6: near is the median (index 2 of 4), far the largest.
  EXPECT_DOUBLE_EQ(gate.near, 4.0);
  EXPECT_DOUBLE_EQ(gate.far, 6.0);
  EXPECT_DOUBLE_EQ(gate.distance({2, 0}), 1.0);    // nearest reference: a@1
  EXPECT_DOUBLE_EQ(gate.distance({10, 5}), 5.0);   // c@10
  EXPECT_DOUBLE_EQ(gate.weight_at(0.5), 0.8);      // within near: full weight
  EXPECT_DOUBLE_EQ(gate.weight_at(4.0), 0.8);
  EXPECT_DOUBLE_EQ(gate.weight_at(5.0), 0.4);      // halfway between near and far
  EXPECT_DOUBLE_EQ(gate.weight_at(6.0), 0.0);      // as far as the farthest source: none
  EXPECT_DOUBLE_EQ(gate.weight_at(60.0), 0.0);
}

TEST(DatasetGate, JsonRoundTripAndRefusals) {
  const DatasetGate gate = line_gate(0.5);
  const DatasetGate back = DatasetGate::from_json(gate.to_json(), "model.json");
  EXPECT_EQ(back.references, gate.references);
  EXPECT_EQ(back.sources, gate.sources);
  EXPECT_DOUBLE_EQ(back.near, gate.near);
  EXPECT_DOUBLE_EQ(back.far, gate.far);
  EXPECT_DOUBLE_EQ(back.max_weight, 0.5);

  EXPECT_THROW(DatasetGate::fit({{0, 0}, {1, 0}}, {"a", "a"}, 1), Error);  // one source
  EXPECT_THROW(DatasetGate::fit({{0, 0}, {1}}, {"a", "b"}, 1), Error);     // mixed dimensions
  EXPECT_THROW(gate.distance({1, 2, 3}), Error);
  nlohmann::json bad = gate.to_json();
  bad["far"] = -1;
  EXPECT_THROW(DatasetGate::from_json(bad, "model.json"), Error);
  bad.erase("far");
  EXPECT_THROW(DatasetGate::from_json(bad, "model.json"), Error);
}

}  // namespace
}  // namespace d2a
