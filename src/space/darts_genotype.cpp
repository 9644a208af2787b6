#include "d2a/space/darts_genotype.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include "d2a/error.h"

namespace d2a {
namespace {

constexpr std::array<std::string_view, kDartsNumOps> kOpNames = {
    "none",         "max_pool_3x3", "avg_pool_3x3", "skip_connect",
    "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"};

std::string edge_text(const DartsGenotypeEdge& edge) {
  const auto code = static_cast<std::size_t>(edge.op);
  const std::string op = code < kOpNames.size() ? std::string(kOpNames[code])
                                                : "op#" + std::to_string(code);
  return "('" + op + "', " + std::to_string(edge.input) + ")";
}

void validate_cell(const DartsCellGenotype& cell, const std::string& name) {
  const std::string prefix = "invalid DARTS genotype: ";
  const int expected = kDartsNumNodes * kDartsInputsPerNode;
  if (static_cast<int>(cell.edges.size()) != expected) {
    throw bad_input(prefix + "'" + name + "' has " + std::to_string(cell.edges.size()) +
                    " entries; it needs exactly " + std::to_string(expected) + " (two inputs for "
                    "each of the " + std::to_string(kDartsNumNodes) + " intermediate nodes)");
  }
  for (std::size_t i = 0; i < cell.edges.size(); ++i) {
    const DartsGenotypeEdge& edge = cell.edges[i];
    const int node = static_cast<int>(i) / kDartsInputsPerNode;
    const std::string at = prefix + name + "[" + std::to_string(i) + "] " + edge_text(edge);
    if (static_cast<int>(edge.op) >= kDartsNumOps) throw bad_input(at + ": unknown op code");
    const int last = node + kDartsNumCellInputs - 1;
    if (edge.input < 0 || edge.input > last) {
      throw bad_input(at + ": intermediate node " + std::to_string(node) + " (state " +
                      std::to_string(node + kDartsNumCellInputs) + ") may read states 0.." +
                      std::to_string(last) + ", not " + std::to_string(edge.input));
    }
    if (i % kDartsInputsPerNode == 1 && cell.edges[i - 1].input == edge.input) {
      throw bad_input(at + ": " + name + "[" + std::to_string(i - 1) + "] also reads state " +
                      std::to_string(edge.input) + "; intermediate node " + std::to_string(node) +
                      " needs two different inputs");
    }
  }
  const std::string concat = name + "_concat";
  if (cell.concat.empty()) throw bad_input(prefix + "'" + concat + "' is empty");
  const int first_state = kDartsNumCellInputs;
  const int last_state = kDartsNumCellInputs + kDartsNumNodes - 1;
  for (std::size_t j = 0; j < cell.concat.size(); ++j) {
    const int state = cell.concat[j];
    const std::string at = prefix + concat + "[" + std::to_string(j) + "] = " +
                           std::to_string(state);
    if (state < first_state || state > last_state) {
      throw bad_input(at + ": not an intermediate state (" + std::to_string(first_state) + ".." +
                      std::to_string(last_state) + ")");
    }
    if (std::find(cell.concat.begin(), cell.concat.begin() + j, state) !=
        cell.concat.begin() + j) {
      throw bad_input(at + ": state listed twice");
    }
  }
}

// A recursive-descent reader of the published notation; every error names the character.
class GenotypeParser {
 public:
  explicit GenotypeParser(std::string_view text) : text_(text) {}

  DartsGenotype parse() {
    expect("Genotype");
    expect("(");
    std::optional<std::vector<DartsGenotypeEdge>> normal, reduce;
    std::optional<std::vector<int>> normal_concat, reduce_concat;
    while (true) {
      skip_space();
      const std::size_t field_pos = pos_;
      const std::string field = identifier("a field name");
      expect("=");
      auto once = [&](auto& slot, auto value) {
        if (slot) throw error_at(field_pos, "field '" + field + "' given twice");
        slot = std::move(value);
      };
      if (field == "normal") {
        once(normal, edges());
      } else if (field == "reduce") {
        once(reduce, edges());
      } else if (field == "normal_concat") {
        once(normal_concat, concat());
      } else if (field == "reduce_concat") {
        once(reduce_concat, concat());
      } else {
        throw error_at(field_pos, "unknown field '" + field +
                                      "' (expected normal, normal_concat, reduce, reduce_concat)");
      }
      if (consume(",")) {
        if (consume(")")) break;  // trailing comma
        continue;
      }
      expect(")");
      break;
    }
    skip_space();
    if (pos_ != text_.size()) throw error("end of text after ')'");
    const std::pair<bool, const char*> fields[] = {{normal.has_value(), "normal"},
                                                   {normal_concat.has_value(), "normal_concat"},
                                                   {reduce.has_value(), "reduce"},
                                                   {reduce_concat.has_value(), "reduce_concat"}};
    for (const auto& [present, name] : fields) {
      if (!present) throw bad_input("invalid DARTS genotype: no field '" + std::string(name) + "'");
    }
    return DartsGenotype({std::move(*normal), std::move(*normal_concat)},
                         {std::move(*reduce), std::move(*reduce_concat)});
  }

 private:
  std::vector<DartsGenotypeEdge> edges() {
    std::vector<DartsGenotypeEdge> out;
    expect("[");
    if (consume("]")) return out;
    do {
      if (consume("]")) return out;  // trailing comma
      expect("(");
      skip_space();
      const std::size_t op_pos = pos_;
      const std::string name = quoted();
      DartsGenotypeEdge edge;
      try {
        edge.op = darts_op_from_name(name);
      } catch (const Error& e) {
        throw error_at(op_pos, e.what(), false);
      }
      expect(",");
      edge.input = integer();
      expect(")");
      out.push_back(edge);
    } while (consume(","));
    expect("]");
    return out;
  }

  std::vector<int> concat() {
    std::vector<int> out;
    skip_space();
    const std::size_t start = pos_;
    if (consume_word("range")) {
      expect("(");
      const int from = integer();
      expect(",");
      const int to = integer();
      expect(")");
      if (to <= from) throw error_at(start, "empty range(" + std::to_string(from) + ", " +
                                                std::to_string(to) + ")", false);
      for (int s = from; s < to; ++s) out.push_back(s);
      return out;
    }
    expect("[");
    if (consume("]")) return out;
    do {
      if (consume("]")) return out;
      out.push_back(integer());
    } while (consume(","));
    expect("]");
    return out;
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool consume(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  // Like consume, but only a whole word ("range", not "ranges").
  bool consume_word(std::string_view word) {
    skip_space();
    const std::size_t end = pos_ + word.size();
    if (text_.substr(pos_, word.size()) != word) return false;
    if (end < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[end])) ||
                               text_[end] == '_')) {
      return false;
    }
    pos_ = end;
    return true;
  }
  void expect(std::string_view token) {
    if (!consume(token)) throw error("'" + std::string(token) + "'");
  }
  std::string identifier(const std::string& what) {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    if (pos_ == start) throw error(what);
    return std::string(text_.substr(start, pos_ - start));
  }
  std::string quoted() {
    skip_space();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) {
      throw error("a quoted op name");
    }
    const char quote = text_[pos_];
    const std::size_t close = text_.find(quote, pos_ + 1);
    if (close == std::string_view::npos) throw error("a closing " + std::string(1, quote));
    std::string name(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return name;
  }
  int integer() {
    skip_space();
    const std::size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    const std::size_t digits = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ == digits || pos_ - digits > 6) {
      pos_ = start;
      throw error("an integer");
    }
    return std::stoi(std::string(text_.substr(start, pos_ - start)));
  }

  Error error(const std::string& expected) const { return error_at(pos_, expected, true); }
  // "at character N (1-based) near '...'": `expected` is what should have been there, or, with
  // is_expectation false, the problem itself.
  Error error_at(std::size_t pos, const std::string& message, bool is_expectation = false) const {
    const std::string near = pos < text_.size()
                                 ? "near '" + std::string(text_.substr(pos, 20)) + "'"
                                 : "at the end of the text";
    return bad_input("cannot parse DARTS genotype at character " + std::to_string(pos + 1) + " (" +
                     near + "): " + (is_expectation ? "expected " : "") + message);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

void append_cell(std::string& out, const std::string& name, const DartsCellGenotype& cell) {
  out += name + "=[";
  for (std::size_t i = 0; i < cell.edges.size(); ++i) {
    out += (i > 0 ? ", " : "") + edge_text(cell.edges[i]);
  }
  out += "], " + name + "_concat=[";
  for (std::size_t i = 0; i < cell.concat.size(); ++i) {
    out += (i > 0 ? ", " : "") + std::to_string(cell.concat[i]);
  }
  out += "]";
}

nlohmann::json cell_to_json(const DartsCellGenotype& cell) {
  nlohmann::json edges = nlohmann::json::array();
  for (const auto& edge : cell.edges) edges.push_back({darts_op_name(edge.op), edge.input});
  return edges;
}

const nlohmann::json& json_field(const nlohmann::json& json, const char* name) {
  if (!json.is_object()) throw bad_input("DARTS genotype JSON: expected an object");
  const auto it = json.find(name);
  if (it == json.end()) throw bad_input("DARTS genotype JSON: no field '" + std::string(name) + "'");
  return *it;
}

int json_int(const nlohmann::json& value, const std::string& where) {
  if (!value.is_number_integer()) {
    throw bad_input("DARTS genotype JSON: " + where + " is " + value.dump() + ", not an integer");
  }
  return value.get<int>();
}

DartsCellGenotype cell_from_json(const nlohmann::json& json, const std::string& name) {
  DartsCellGenotype cell;
  const auto& edges = json_field(json, name.c_str());
  if (!edges.is_array()) throw bad_input("DARTS genotype JSON: '" + name + "' is not an array");
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const auto& e = edges[i];
    const std::string where = name + "[" + std::to_string(i) + "]";
    if (!e.is_array() || e.size() != 2 || !e[0].is_string()) {
      throw bad_input("DARTS genotype JSON: " + where + " is " + e.dump() +
                      ", not [\"op\", input]");
    }
    cell.edges.push_back({darts_op_from_name(e[0].get<std::string>()), json_int(e[1], where)});
  }
  const std::string concat_name = name + "_concat";
  const auto& concat = json_field(json, concat_name.c_str());
  if (!concat.is_array()) {
    throw bad_input("DARTS genotype JSON: '" + concat_name + "' is not an array");
  }
  for (std::size_t j = 0; j < concat.size(); ++j) {
    cell.concat.push_back(json_int(concat[j], concat_name + "[" + std::to_string(j) + "]"));
  }
  return cell;
}

}  // namespace

std::string_view darts_op_name(DartsOp op) { return kOpNames.at(static_cast<std::size_t>(op)); }

DartsOp darts_op_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kOpNames.size(); ++i) {
    if (kOpNames[i] == name) return static_cast<DartsOp>(i);
  }
  std::string valid;
  for (const auto& n : kOpNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw bad_input("unknown DARTS op '" + std::string(name) + "' (valid: " + valid + ")");
}

std::vector<std::string> darts_op_names() { return {kOpNames.begin(), kOpNames.end()}; }

DartsGenotype::DartsGenotype(DartsCellGenotype normal, DartsCellGenotype reduce)
    : normal_(std::move(normal)), reduce_(std::move(reduce)) {
  validate_cell(normal_, "normal");
  validate_cell(reduce_, "reduce");
}

DartsGenotype DartsGenotype::parse(std::string_view text) { return GenotypeParser(text).parse(); }

std::string DartsGenotype::str() const {
  std::string out = "Genotype(";
  append_cell(out, "normal", normal_);
  out += ", ";
  append_cell(out, "reduce", reduce_);
  return out + ")";
}

nlohmann::json DartsGenotype::to_json() const {
  return {{"normal", cell_to_json(normal_)},
          {"normal_concat", normal_.concat},
          {"reduce", cell_to_json(reduce_)},
          {"reduce_concat", reduce_.concat}};
}

DartsGenotype DartsGenotype::from_json(const nlohmann::json& json) {
  return DartsGenotype(cell_from_json(json, "normal"), cell_from_json(json, "reduce"));
}

}  // namespace d2a
