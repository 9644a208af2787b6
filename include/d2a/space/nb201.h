#pragma once
// The NAS-Bench-201 cell space: a 4-node DAG whose 6 edges each carry one of 5 operations.
// No torch here: this is topology only (modules live in nn/).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace d2a {

// Operation codes as stored in the meta-database (/meta attr op_names lists them in this order).
enum class Nb201Op : std::uint8_t {
  kNone = 0,
  kSkipConnect = 1,
  kNorConv1x1 = 2,
  kNorConv3x3 = 3,
  kAvgPool3x3 = 4,
};

inline constexpr int kNb201NumOps = 5;
inline constexpr int kNb201NumEdges = 6;
inline constexpr int kNb201NumNodes = 4;
inline constexpr int kNb201NumCells = 15625;  // 5^6

// Edge e goes from node kNb201Edges[e].from to node kNb201Edges[e].to, in the order of the
// canonical string: (1<-0), (2<-0), (2<-1), (3<-0), (3<-1), (3<-2).
struct Nb201Edge {
  int from;
  int to;
};
inline constexpr std::array<Nb201Edge, kNb201NumEdges> kNb201Edges = {
    {{0, 1}, {0, 2}, {1, 2}, {0, 3}, {1, 3}, {2, 3}}};

// "none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3".
std::string_view nb201_op_name(Nb201Op op);
// Inverse of nb201_op_name; throws d2a::Error (bad input) naming the unknown op.
Nb201Op nb201_op_from_name(std::string_view name);
// All op names in code order (for /meta op_names and --help texts).
std::vector<std::string> nb201_op_names();

class Nb201Cell {
 public:
  using Ops = std::array<Nb201Op, kNb201NumEdges>;

  Nb201Cell();  // all edges none
  explicit Nb201Cell(const Ops& ops) : ops_(ops) {}

  // Parses `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`; throws d2a::Error naming the offending
  // token and its position on anything else.
  static Nb201Cell parse(std::string_view text);
  // Dense enumeration: index in [0, 15625), base-5 digits with edge 0 most significant.
  // This is d2a's own order; the official benchmark order comes from the tables (bench/).
  static Nb201Cell from_dense_index(int index);
  int dense_index() const;
  // Op codes as bytes (the meta-database's u8[6] row); from_codes validates each byte.
  static Nb201Cell from_codes(const std::array<std::uint8_t, kNb201NumEdges>& codes);
  std::array<std::uint8_t, kNb201NumEdges> codes() const;

  std::string str() const;  // the canonical string
  const Ops& ops() const { return ops_; }
  Nb201Op op(int edge) const { return ops_.at(edge); }
  void set_op(int edge, Nb201Op op) { ops_.at(edge) = op; }

  friend bool operator==(const Nb201Cell& a, const Nb201Cell& b) { return a.ops_ == b.ops_; }
  friend bool operator!=(const Nb201Cell& a, const Nb201Cell& b) { return !(a == b); }
  friend bool operator<(const Nb201Cell& a, const Nb201Cell& b) { return a.ops_ < b.ops_; }

 private:
  Ops ops_;
};

// Every cell of the space, in dense order.
std::vector<Nb201Cell> all_nb201_cells();

}  // namespace d2a
